"""``/v1/messages``: free text between parties."""

from typing import Any

from fastapi import APIRouter

from ..context import Ctx, Officer, Party
from ..schemas import MessageIn

__all__ = ["router"]

router = APIRouter(tags=["messages"])


@router.post("/v1/messages")
def post_message(ctx: Ctx, party: Party, officer: Officer, message: MessageIn) -> dict[str, Any]:
    """Send a free-text message to other parties (signed with the officer's name)."""
    return ctx.service.send_message(party, message.to, message.text, officer=officer)


@router.get("/v1/messages")
def get_messages(ctx: Ctx, party: Party) -> dict[str, Any]:
    """Messages sent to or by the caller."""
    return {"messages": ctx.service.messages_for(party)}
