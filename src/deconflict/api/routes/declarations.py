"""Declarations: positions, intents and zones (GeoJSON), and a party's consent to a zone."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from ..context import ApiContext, Ctx, IdemKey, Officer, Party
from ..jsontext import parse_json
from ..schemas import DECLARATION_BODY

__all__ = ["router"]

router = APIRouter()


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


@router.post("/v1/positions", tags=["declarations"], openapi_extra=DECLARATION_BODY)
async def post_positions(
    request: Request, ctx: Ctx, party: Party, idem: IdemKey = None
) -> dict[str, Any]:
    """Declare forces positions or protected sites (GeoJSON Points with radius_m)."""
    return await _declare(ctx, "positions", party, request, idem)


@router.get("/v1/positions", tags=["declarations"])
def get_positions(ctx: Ctx, party: Party) -> dict[str, Any]:
    """The caller's own declared positions."""
    features = ctx.service.own_declarations(party, ["position"])
    return {"type": "FeatureCollection", "features": features}


@router.delete("/v1/positions/{decl_id}", tags=["declarations"])
async def delete_position(
    ctx: Ctx, party: Party, officer: Officer, decl_id: str, idem: IdemKey = None
) -> dict[str, Any]:
    """Withdraw one of the caller's positions; every other party is told (a
    ``declaration`` alert, ``"action": "withdrawn"``). Another's or an unknown id: 404."""
    return await _withdraw(ctx, "positions", party, officer, decl_id, idem)


@router.post("/v1/intents", tags=["declarations"], openapi_extra=DECLARATION_BODY)
async def post_intents(
    request: Request, ctx: Ctx, party: Party, idem: IdemKey = None
) -> dict[str, Any]:
    """Declare plans: 4D volumes, strikes and ground movements (GeoJSON)."""
    return await _declare(ctx, "intents", party, request, idem)


@router.get("/v1/intents", tags=["declarations"])
def get_intents(ctx: Ctx, party: Party) -> dict[str, Any]:
    """The caller's own declared intents."""
    features = ctx.service.own_declarations(party, ["strike", "volume", "movement"])
    return {"type": "FeatureCollection", "features": features}


@router.delete("/v1/intents/{decl_id}", tags=["declarations"])
async def delete_intent(
    ctx: Ctx, party: Party, officer: Officer, decl_id: str, idem: IdemKey = None
) -> dict[str, Any]:
    """Withdraw one of the caller's intents (a strike, volume or movement); every other
    party is told. Another's or an unknown id: 404."""
    return await _withdraw(ctx, "intents", party, officer, decl_id, idem)


@router.post("/v1/zones", tags=["zones"], openapi_extra=DECLARATION_BODY)
async def post_zones(
    request: Request, ctx: Ctx, party: Party, idem: IdemKey = None
) -> dict[str, Any]:
    """Claim zones (GeoJSON); each named party consents on its own."""
    return await _declare(ctx, "zones", party, request, idem)


@router.get("/v1/zones", tags=["zones"])
def get_zones(ctx: Ctx, party: Party) -> dict[str, Any]:
    """Every zone, with its status and who has not consented."""
    return {"type": "FeatureCollection", "features": ctx.service.zones()}


@router.delete("/v1/zones/{decl_id}", tags=["zones"])
async def delete_zone(
    ctx: Ctx, party: Party, officer: Officer, decl_id: str, idem: IdemKey = None
) -> dict[str, Any]:
    """Withdraw a zone the caller claimed; every other party is told. Another's or an
    unknown id: 404."""
    return await _withdraw(ctx, "zones", party, officer, decl_id, idem)


@router.post("/v1/zones/{zone_id}/consent", tags=["zones"])
def post_consent(ctx: Ctx, party: Party, officer: Officer, zone_id: str) -> dict[str, Any]:
    """The caller consents to a zone that names it."""
    return ctx.service.consent(party, zone_id, officer=officer)
