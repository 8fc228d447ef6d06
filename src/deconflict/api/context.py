"""What every route is given: the service, the broker and the settings.

:func:`~deconflict.api.app.create_app` makes one :class:`ApiContext` per app and keeps
it in ``app.state.context``; routes take it, and the authenticated caller, as FastAPI
dependencies (:data:`Ctx`, :data:`Party`; :data:`Officer` names the officer acting, when
the token is an officer's).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from ..service.core import Service
from .broker import Broker
from .errors import rate_limited
from .jsontext import check_text

__all__ = [
    "CLOSE_WAIT_S",
    "MAX_BODY_BYTES",
    "REAUTH_S",
    "ApiContext",
    "ApiSettings",
    "Ctx",
    "IdemKey",
    "Officer",
    "Party",
    "bearer",
    "caller",
    "context",
]

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body accepted (413 beyond), and largest stream message."""
REAUTH_S = 1.0
"""How often an open stream checks that its token still names its party (revocation and
rotation close it within this time, also when done by another process)."""
CLOSE_WAIT_S = 30.0
"""How long a dropped stream's last words (its reason and close frame) may wait for a
stalled reader before the connection is given up."""


@dataclass(frozen=True)
class ApiSettings:
    """The HTTP layer's own limits (the service's are in its config)."""

    max_body_bytes: int = MAX_BODY_BYTES
    reauth_s: float = REAUTH_S
    close_wait_s: float = CLOSE_WAIT_S


@dataclass
class ApiContext:
    """The dependencies of every route of one app."""

    service: Service
    broker: Broker
    settings: ApiSettings
    declaring: dict[str, asyncio.Lock] = field(default_factory=dict)
    """One declaration request of a party at a time: a party that sends many at once
    waits for its own, and takes no more of the service than one request's cost."""
    basemap: str | None = None
    """The URL of the operator's offline basemap (``serve --basemap``), or ``None``."""


def context(conn: HTTPConnection) -> ApiContext:
    """The app's context (a dependency of HTTP and WebSocket routes alike)."""
    ctx: ApiContext = conn.app.state.context
    return ctx


Ctx = Annotated[ApiContext, Depends(context)]


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header; ``None`` for any other."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def caller(
    request: Request, ctx: Ctx, authorization: Annotated[str | None, Header()] = None
) -> str:
    """The party the request's token acts for (401 otherwise), within its request rate
    (429 with ``Retry-After`` otherwise); a viewer officer's POST or DELETE is refused
    (403); a body holding NUL or a lone surrogate anywhere is refused here, naming
    where (the body is read once and cached). The principal is kept in ``request.state``."""
    service = ctx.service
    # who, and one of its party's requests spent, in one call (in cluster mode one call
    # to the recorder, which counts every gateway's requests of the party)
    who, wait = await run_in_threadpool(service.principal_admitted, bearer(authorization))
    request.state.principal = who
    party = who.party
    if wait > 0:
        rate = service.config.rate_per_s
        raise rate_limited(f"party {party!r} is over {rate:g} requests/s", wait)
    if request.method in ("POST", "DELETE"):
        who.check_write()
        raw = await request.body()
        if b"\\u" in raw:
            try:
                doc = json.loads(raw)
            except (ValueError, RecursionError):
                doc = None  # not JSON: the route says so
            check_text(doc)
    return party


Party = Annotated[str, Depends(caller)]


def officer_of(request: Request, party: Party) -> str | None:
    """The officer the request's token names (``None`` for a party token)."""
    return request.state.principal.officer  # type: ignore[no-any-return]


Officer = Annotated[str | None, Depends(officer_of)]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]
