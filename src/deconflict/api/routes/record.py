"""``/v1/log``: the record — its signed head, proofs, the caller's export, cosignatures."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from ...errors import Forbidden, InvalidInput
from ..context import Ctx, Officer, Party
from ..schemas import CosignIn

__all__ = ["router"]

router = APIRouter(tags=["log"])


@router.get("/v1/log/head")
def get_head(ctx: Ctx, party: Party) -> dict[str, Any]:
    """The signed tree head and the service's public key."""
    return ctx.service.head()


@router.get("/v1/log/inclusion")
def get_inclusion(
    ctx: Ctx,
    party: Party,
    index: Annotated[int, Query(ge=0)],
    tree_size: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    return ctx.service.inclusion(index, tree_size)


@router.get("/v1/log/consistency")
def get_consistency(
    ctx: Ctx,
    party: Party,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Consistency proof between two tree sizes."""
    return ctx.service.consistency(first, second)


@router.get("/v1/log/export")
def get_export(ctx: Ctx, party: Party) -> StreamingResponse:
    """The log as JSON lines; entries the caller may not read appear as their hash."""
    lines = ctx.service.export_for(party)

    def body() -> Iterator[bytes]:
        for line in lines:
            yield (line + "\n").encode("utf-8")

    return StreamingResponse(body(), media_type="application/x-ndjson")


@router.post("/v1/log/cosign")
def post_cosign(ctx: Ctx, party: Party, officer: Officer, body: CosignIn) -> dict[str, Any]:
    """Cosign a tree head the service signed, with the caller's own witness key (its
    first cosignature puts the key on the record). The party's witness is a machine
    client: an officer's token is refused (403), so no one officer binds the party's key."""
    if officer is not None:
        raise Forbidden("cosign with the party's own token (its witness), not an officer's")
    if body.party is not None and body.party != party:
        raise InvalidInput(f"party: must be the caller ({party!r})")
    return ctx.service.cosign(party, body.sth, body.public_key, body.signature)
