"""``/v1/tracks``: a party reports its tracks and reads its own."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from ...service.trackbatch import decode_batch
from ..context import Ctx, IdemKey, Party
from ..jsontext import parse_json
from ..schemas import tracks_body

__all__ = ["router"]


async def post_tracks(
    request: Request, ctx: Ctx, party: Party, idem: IdemKey = None
) -> dict[str, Any]:
    """Report the caller's tracks (a JSON list of track objects, validated once by the
    service: a valid batch by the compiled validator straight from the bytes, anything
    else the ordinary way, which names what is wrong); answers ``{"accepted",
    "receipt"}``."""
    raw = await request.body()
    items = decode_batch(raw)
    if items is None:
        items = parse_json(raw)
    result: dict[str, Any] = await run_in_threadpool(
        ctx.service.report_tracks, party, items, idempotency_key=idem
    )
    return result


def get_tracks(ctx: Ctx, party: Party) -> dict[str, Any]:
    """The caller's own current tracks."""
    return {"tracks": ctx.service.tracks_of(party)}


def router(max_batch: int) -> APIRouter:
    """The tracks routes; the documented body holds 1 to ``max_batch`` tracks (the
    service's own bound, so that ``/openapi.json`` says what it accepts)."""
    routes = APIRouter(tags=["tracks"])
    routes.add_api_route(
        "/v1/tracks", post_tracks, methods=["POST"], openapi_extra=tracks_body(max_batch)
    )
    routes.add_api_route("/v1/tracks", get_tracks, methods=["GET"])
    return routes
