"""``/v1/meta``: the registry's constants the page is built from (public, no party data)."""

from typing import Any

from fastapi import APIRouter

from ...kinds import meta
from ..context import Ctx

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/v1/meta")
def get_meta(ctx: Ctx) -> dict[str, Any]:
    """Every alert kind's label per language, colour, default deadline and whether it
    needs an answer; the alert states (the live ones apart) and the answer vocabulary
    (:func:`deconflict.kinds.meta`); and ``basemap``: ``{"url": "/basemap.pmtiles"}``
    when the operator serves an offline basemap, else ``null``. The same for every
    caller, with or without a token."""
    basemap = {"url": ctx.basemap} if ctx.basemap is not None else None
    return {**meta(), "basemap": basemap}
