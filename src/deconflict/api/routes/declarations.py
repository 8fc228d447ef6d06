"""Declarations: positions, intents and zones (GeoJSON), and a party's consent to a zone."""

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from ...service.core import Service
from ..context import ApiContext, Ctx, IdemKey, Officer, Party
from ..jsontext import parse_json
from ..schemas import DECLARATION_BODY

__all__ = ["router"]

router = APIRouter()

Features = Callable[[Service, str], list[dict[str, Any]]]
"""What ``GET /v1/{endpoint}`` lists for a party."""


async def _declare(
    ctx: ApiContext, expect: str, party: str, request: Request, idem: str | None
) -> dict[str, Any]:
    """Hand the body to the service as ``expect`` declarations, one request of a party
    at a time (:attr:`ApiContext.declaring`), recorded with the officer who made them."""
    officer = request.state.principal.officer
    async with ctx.declaring.setdefault(party, asyncio.Lock()):
        doc = parse_json(await request.body())
        result: dict[str, Any] = await run_in_threadpool(
            ctx.service.declare,
            party,
            doc,
            expect=expect,
            idempotency_key=idem,
            officer=officer,
        )
    return result


async def _withdraw(
    ctx: ApiContext, endpoint: str, party: str, officer: str | None, id: str, idem: str | None
) -> dict[str, Any]:
    """Withdraw the caller's declaration ``id`` (:meth:`Service.withdraw`),
    in turn with the party's declarations."""
    async with ctx.declaring.setdefault(party, asyncio.Lock()):
        result: dict[str, Any] = await run_in_threadpool(
            ctx.service.withdraw, party, endpoint, id, idempotency_key=idem, officer=officer
        )
    return result


def _add_routes(
    endpoint: str, tag: str, features: Features, *, declare: str, read: str, withdraw: str
) -> None:
    """``POST /v1/{endpoint}`` (declare), ``GET /v1/{endpoint}`` (the ``features``, as a
    FeatureCollection) and ``DELETE /v1/{endpoint}/{decl_id}`` (withdraw), documented by
    ``declare``, ``read`` and ``withdraw``."""

    async def post(
        request: Request, ctx: Ctx, party: Party, idem: IdemKey = None
    ) -> dict[str, Any]:
        return await _declare(ctx, endpoint, party, request, idem)

    def get(ctx: Ctx, party: Party) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": features(ctx.service, party)}

    async def delete(
        ctx: Ctx, party: Party, officer: Officer, decl_id: str, idem: IdemKey = None
    ) -> dict[str, Any]:
        return await _withdraw(ctx, endpoint, party, officer, decl_id, idem)

    path, one = f"/v1/{endpoint}", endpoint.removesuffix("s")
    for route, method, at, name, doc, extra in (
        (post, "POST", path, f"post_{endpoint}", declare, DECLARATION_BODY),
        (get, "GET", path, f"get_{endpoint}", read, None),
        (delete, "DELETE", path + "/{decl_id}", f"delete_{one}", withdraw, None),
    ):
        router.add_api_route(
            at,
            route,
            methods=[method],
            name=name,
            tags=[tag],
            description=doc,
            openapi_extra=extra,
        )


_add_routes(
    "positions",
    "declarations",
    lambda service, party: service.own_declarations(party, ["position"]),
    declare="Declare forces positions or protected sites (GeoJSON Points with radius_m).",
    read="The caller's own declared positions.",
    withdraw=(
        "Withdraw one of the caller's positions; every other party is told (a\n"
        '``declaration`` alert, ``"action": "withdrawn"``). Another\'s or an unknown id: 404.'
    ),
)
_add_routes(
    "intents",
    "declarations",
    lambda service, party: service.own_declarations(party, ["strike", "volume", "movement"]),
    declare="Declare plans: 4D volumes, strikes and ground movements (GeoJSON).",
    read="The caller's own declared intents.",
    withdraw=(
        "Withdraw one of the caller's intents (a strike, volume or movement); every other\n"
        "party is told. Another's or an unknown id: 404."
    ),
)
_add_routes(
    "zones",
    "zones",
    lambda service, party: service.zones(),
    declare="Claim zones (GeoJSON); each named party consents on its own.",
    read="Every zone, with its status and who has not consented.",
    withdraw=(
        "Withdraw a zone the caller claimed; every other party is told. Another's or an\n"
        "unknown id: 404."
    ),
)


@router.post("/v1/zones/{zone_id}/consent", tags=["zones"])
def post_consent(ctx: Ctx, party: Party, officer: Officer, zone_id: str) -> dict[str, Any]:
    """The caller consents to a zone that names it."""
    return ctx.service.consent(party, zone_id, officer=officer)
