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


@router.post("/v1/zones/{zone_id}/consent", tags=["zones"])
def post_consent(ctx: Ctx, party: Party, officer: Officer, zone_id: str) -> dict[str, Any]:
    """The caller consents to a zone that names it."""
    return ctx.service.consent(party, zone_id, officer=officer)
