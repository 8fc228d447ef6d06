"""``WS /v1/stream``: a party's events as they happen, and its tracks sent on the stream.

The client authenticates with its ``Authorization`` header or a first message
``{"type": "auth", "token"}``; it then gets a ``hello`` (its alerts, the channel) and
every event the :class:`~deconflict.api.broker.Broker` has for it. It may send ``ping``
and ``tracks`` messages; each error is an ``error`` event made by
:func:`~deconflict.api.errors.failure_of`. The stream ends when the client goes, when
its queue overflows (close code 4408) or when its token no longer names its party
(4401, checked every ``reauth_s`` seconds).
"""

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from ...errors import DeconflictError, InvalidInput
from ...service.auth import Unauthenticated
from ...service.officers import Principal
from ..broker import Subscriber
from ..context import ApiContext, Ctx, bearer
from ..errors import ApiError, failure_of, rate_limited, too_large
from ..jsontext import parse_json

__all__ = ["AUTH_WAIT_S", "STREAM_FAULT", "router"]

log = logging.getLogger("deconflict.api")

AUTH_WAIT_S = 10.0
"""How long a stream without an ``Authorization`` header waits for its auth message."""
STREAM_FAULT = "the service failed on this message"
"""The message of a fault on one stream message (the stream stays open)."""

router = APIRouter()


@router.websocket("/v1/stream")
async def stream(ws: WebSocket, ctx: Ctx) -> None:
    """Authenticate, say hello, then pump events out and messages in."""
    await ws.accept()
    token = bearer(ws.headers.get("authorization"))
    try:
        if token is None:
            first = await asyncio.wait_for(_receive(ws, ctx), timeout=AUTH_WAIT_S)
            if not isinstance(first, dict) or first.get("type") != "auth":
                raise Unauthenticated('first message must be {"type": "auth", "token"}')
            token = first.get("token") if isinstance(first.get("token"), str) else None
        who = await run_in_threadpool(ctx.service.principal, token)
    except (TimeoutError, ValueError, WebSocketDisconnect, DeconflictError) as exc:
        reason = str(exc) if isinstance(exc, DeconflictError) else "authentication expected"
        with contextlib.suppress(Exception):
            await ws.send_json(failure_of(Unauthenticated(reason)).event())
            await ws.close(code=4401, reason="unauthenticated")
        return
    party = who.party
    sub = ctx.broker.subscribe(party, who.role)
    arrived = ctx.service.officers.connected(who)
    try:
        await ws.send_json(await run_in_threadpool(_hello, ctx, who))
        if arrived:  # the roster changed: every party is told (at most once a minute)
            await run_in_threadpool(ctx.service.push_roster)
        await _pump(ws, ctx, sub, who, token or "")
    finally:
        ctx.broker.unsubscribe(sub)
        ctx.service.officers.left(who)  # present a minute more: nothing to tell yet


def _hello(ctx: ApiContext, who: Principal) -> dict[str, Any]:
    """The first event of a stream: who the party is (and the officer, with its role),
    its alerts (an officer's: those the ladder reached it with), the channel, the duty
    roster and the service's clock (the page counts "in 4 min" and "2 min ago" on it)."""
    service = ctx.service
    party = who.party
    return {
        "type": "hello",
        "party": party,
        "officer": who.officer,
        "role": who.role,
        "language": service.language_of(party),
        "alerts": service.alerts_for(party, who.role),
        "channel": service.channel_state(),
        "roster": service.roster_for(party),
        "clock": service.clock_state(),
    }


async def _receive(ws: WebSocket, ctx: ApiContext) -> Any:
    """The client's next message, parsed (:class:`InvalidInput` if it is not a JSON
    text frame, 413 over the body limit); :class:`WebSocketDisconnect` when the client
    has gone."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise InvalidInput("messages are JSON text frames, not binary ones")
    # the limit of a body, in UTF-8 bytes (the server closes larger frames itself)
    limit = ctx.settings.max_body_bytes
    if len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit:
        raise too_large(limit, "message")
    return parse_json(text, "message")


async def _last_words(
    ws: WebSocket, ctx: ApiContext, event: dict[str, Any], code: int, reason: str
) -> None:
    """Send ``event`` and close, waiting at most ``close_wait_s`` on the reader."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(ctx.settings.close_wait_s):
            await ws.send_json(event)
            await ws.close(code=code, reason=reason[:120])


async def _send_events(ws: WebSocket, ctx: ApiContext, sub: Subscriber) -> None:
    """Forward the subscriber's events until the broker drops it."""
    while True:
        get = asyncio.ensure_future(sub.queue.get())
        closed = asyncio.ensure_future(sub.closed.wait())
        try:
            done, _ = await asyncio.wait({get, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when the stream ends: no waiter is left behind
            for waiter in (get, closed):
                if not waiter.done():
                    waiter.cancel()
        if closed in done:
            reason = sub.dropped or "closed"
            await _last_words(ws, ctx, {"type": "closed", "reason": reason}, 4408, reason)
            return
        await ws.send_json(get.result())


async def _answer_messages(ws: WebSocket, ctx: ApiContext, who: Principal) -> None:
    """Answer each message of the client; a bad one is answered with an error."""
    while True:
        try:
            msg = await _receive(ws, ctx)
        except (InvalidInput, ApiError) as exc:
            await ws.send_json(failure_of(exc).event())
            continue
        try:
            reply = await _handle(ctx, msg, who)
        except Exception as exc:
            log.exception("stream message of %s failed", who.party)
            reply = failure_of(exc, fault=STREAM_FAULT).event()
        await ws.send_json(reply)


async def _watch_token(ws: WebSocket, ctx: ApiContext, party: str, token: str) -> None:
    """End the stream when its token is revoked or rotated, wherever that was done."""
    while True:
        await asyncio.sleep(ctx.settings.reauth_s)
        try:
            still = await run_in_threadpool(ctx.service.authenticate, token)
        except Unauthenticated:
            still = None
        except DeconflictError:
            continue  # the store is down: keep the stream, check again later
        if still != party:
            reason = "token revoked or replaced"
            await _last_words(ws, ctx, {"type": "closed", "reason": reason}, 4401, reason)
            return


async def _pump(
    ws: WebSocket, ctx: ApiContext, sub: Subscriber, who: Principal, token: str
) -> None:
    """Run the three halves of a stream until the first one ends, then stop the others."""
    tasks = [
        asyncio.ensure_future(_send_events(ws, ctx, sub)),
        asyncio.ensure_future(_answer_messages(ws, ctx, who)),
        asyncio.ensure_future(_watch_token(ws, ctx, who.party, token)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t


async def _handle(ctx: ApiContext, msg: Any, who: Principal) -> dict[str, Any]:
    """The reply to one parsed message: ``pong``, a ``receipt`` or an ``error`` (a
    viewer's ``tracks`` are refused, 403)."""
    party = who.party
    if not isinstance(msg, dict):
        return failure_of(InvalidInput("messages are JSON objects")).event()
    kind = msg.get("type")
    if kind == "ping":
        return {"type": "pong"}
    if kind == "tracks":
        ref = msg.get("ref")
        try:
            who.check_write()
            wait = await run_in_threadpool(ctx.service.admit, party)
            if wait > 0:
                raise rate_limited("over the request rate", wait)
            result = await run_in_threadpool(
                ctx.service.report_tracks,
                party,
                msg.get("tracks"),
                idempotency_key=msg.get("idempotency_key"),
            )
        except DeconflictError as exc:
            return failure_of(exc).event(ref=ref)
        return {"type": "receipt", "ref": ref, **result}
    return failure_of(InvalidInput(f"unknown message type {kind!r}")).event()
