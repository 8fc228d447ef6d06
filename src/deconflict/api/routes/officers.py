"""``/v1/officers``: who the caller is, and the duty roster of every party."""

from typing import Any

from fastapi import APIRouter, Request

from ..context import Ctx, Party

__all__ = ["router"]

router = APIRouter(tags=["officers"])


@router.get("/v1/officers")
def get_officers(request: Request, ctx: Ctx, party: Party) -> dict[str, Any]:
    """``me`` (``{"party", "officer", "role"}``; officer and role ``None`` for a party
    token) and ``roster``: per active party, its officers as the caller may read them
    (its own: name, role, present; another's: its duty officers' names and presence)."""
    who = request.state.principal
    return {
        "me": {"party": who.party, "officer": who.officer, "role": who.role},
        "roster": ctx.service.roster_for(party),
    }
