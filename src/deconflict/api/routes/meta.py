"""``/v1/meta``: the registry's constants the page is built from (public, no party data)."""

from typing import Any

from fastapi import APIRouter

from ...bounds import DECLARATION_BOUNDS, MAX_ID_CHARS, MAX_NAME_CHARS, MOVEMENT_BOUNDS
from ...kinds import meta
from ..context import Ctx

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/v1/meta")
def get_meta(ctx: Ctx) -> dict[str, Any]:
    """Every alert kind's label per language, colour, default deadline and whether it
    needs an answer; the alert states (the live ones apart) and the answer vocabulary
    (:func:`deconflict.kinds.meta`); and ``basemap``: ``{"url": "/basemap.pmtiles"}``
    when the operator serves an offline basemap, else ``null``; and ``bounds``, the
    closed ranges ``[lo, hi]`` (SI units) the service holds a declaration's numbers to
    (:data:`deconflict.bounds.DECLARATION_BOUNDS`, ``MOVEMENT_BOUNDS``) with the
    longest id and name, which the page checks a form against before sending. The same
    for every caller, with or without a token."""
    basemap = {"url": ctx.basemap} if ctx.basemap is not None else None
    return {**meta(), "basemap": basemap, "bounds": declaration_bounds()}


def declaration_bounds() -> dict[str, Any]:
    """``{"declarations": {name: [lo, hi]}, "movement": {name: [lo, hi]},
    "max_id_chars", "max_name_chars"}``."""
    return {
        "declarations": {k: [r.lo, r.hi] for k, r in DECLARATION_BOUNDS.items()},
        "movement": {k: [r.lo, r.hi] for k, r in MOVEMENT_BOUNDS.items()},
        "max_id_chars": MAX_ID_CHARS,
        "max_name_chars": MAX_NAME_CHARS,
    }
