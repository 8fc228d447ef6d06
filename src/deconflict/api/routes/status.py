"""``/v1/status``: the caller's own counts, and the service's figures where they are public."""

from typing import Any

from fastapi import APIRouter

from ...kinds import ACTIVE_STATES
from ..context import Ctx, Party

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/v1/status")
def get_status(ctx: Ctx, party: Party) -> dict[str, Any]:
    """The caller's own counts (its tracks, the alerts that involve it) and how many
    parties are connected; never another party's numbers. The service-wide detection
    and commit figures only when the operator turned on ``public_stats``."""
    service = ctx.service
    mine = service.alerts_for(party)
    figures = service.status()
    shared = figures if service.config.public_stats else {"parties": figures["parties"]}
    return {
        **shared,
        "tracks": len(service.tracks_of(party)),
        "alerts_live": sum(1 for a in mine if a["state"] in ACTIVE_STATES),
        "alerts_total": len(mine),
    }
