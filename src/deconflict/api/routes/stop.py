"""``/v1/stop``: ask the owner of a track, strike or movement to stop it now."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ...service.stops import MAX_TEXT
from ..context import Ctx, Officer, Party

__all__ = ["StopIn", "router"]

router = APIRouter(tags=["alerts"])


class StopIn(BaseModel):
    """A stop request: the subject's id (a track, strike or movement of another party
    the caller was shown) and an optional text."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=200)
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    owner: str | None = Field(
        default=None,
        min_length=1,
        max_length=63,
        description="the party whose object it is, when several parties hold that id",
    )


@router.post("/v1/stop")
def post_stop(ctx: Ctx, party: Party, officer: Officer, body: StopIn) -> dict[str, Any]:
    """Raise a ``stop-request`` alert to the caller and the subject's owner (answer
    deadline at most 60 s); a repeat while the owner owes an answer returns the same
    alert; a subject the caller was not shown is 404, as one that does not exist; an id
    several parties hold is 409 unless ``owner`` says whose."""
    result: dict[str, Any] = ctx.service.request_stop(
        party, body.subject, body.text, officer=officer, owner=body.owner
    )
    return result
