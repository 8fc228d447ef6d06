"""``/v1/meta``: the registry's constants the page is built from (public, no party data)."""

from typing import Any

from fastapi import APIRouter

from ...kinds import meta

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/v1/meta")
def get_meta() -> dict[str, Any]:
    """Every alert kind's label per language, colour, default deadline and whether it
    needs an answer; the alert states (the live ones apart) and the answer vocabulary
    (:func:`deconflict.kinds.meta`). The same for every caller, with or without a token."""
    return meta()
