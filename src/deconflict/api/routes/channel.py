"""``/v1/channel``: the hotline's state, and a party suspending and resuming its part."""

from typing import Annotated, Any

from fastapi import APIRouter, Body

from ..context import Ctx, Officer, Party
from ..schemas import ResumeIn, SuspendIn

__all__ = ["router"]

router = APIRouter(tags=["channel"])


@router.get("/v1/channel")
def get_channel(ctx: Ctx, party: Party) -> dict[str, Any]:
    """The hotline's state: who suspended it, since when, why; its history."""
    return ctx.service.channel_state()


@router.post("/v1/channel/suspend")
def post_suspend(ctx: Ctx, party: Party, officer: Officer, body: SuspendIn) -> dict[str, Any]:
    """The caller suspends its participation (with a reason)."""
    return ctx.service.set_channel(party, True, body.reason, officer=officer)


@router.post("/v1/channel/resume")
def post_resume(
    ctx: Ctx, party: Party, officer: Officer, body: Annotated[ResumeIn | None, Body()] = None
) -> dict[str, Any]:
    """The caller resumes its participation."""
    reason = body.reason if body else None
    return ctx.service.set_channel(party, False, reason, officer=officer)
