"""``/v1/alerts``: the alerts that involve the caller, and its answers to them."""

from typing import Any

from fastapi import APIRouter

from ..context import Ctx, Officer, Party
from ..schemas import AckIn

__all__ = ["router"]

router = APIRouter(tags=["alerts"])


@router.get("/v1/alerts")
def get_alerts(ctx: Ctx, party: Party) -> dict[str, Any]:
    """The alerts that involve the caller, live ones first (all of them, also for an
    officer the escalation ladder has not reached yet: its stream waits for the ladder)."""
    return {"alerts": ctx.service.alerts_for(party)}


@router.get("/v1/alerts/{alert_id}")
def get_alert(ctx: Ctx, party: Party, alert_id: str) -> dict[str, Any]:
    """One alert that involves the caller."""
    return {"alert": ctx.service.alert_for(party, alert_id)}


@router.post("/v1/alerts/{alert_id}/ack")
def post_ack(ctx: Ctx, party: Party, officer: Officer, alert_id: str, ack: AckIn) -> dict[str, Any]:
    """Answer an alert: roger, wilco, unable or standby (recorded with the officer)."""
    return ctx.service.answer(
        party, alert_id, ack.response, ack.text, officer=officer, understood=ack.understood
    )
