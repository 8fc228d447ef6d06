"""The FastAPI application over a :class:`~deconflict.service.core.Service`.

Routes are DESIGN's *HTTP* table under ``/v1``; every request carries
``Authorization: Bearer <party token>``. Writes run in worker threads (the service
serialises them); the WebSocket stream runs on the event loop and is fed by the
:class:`~deconflict.api.broker.Broker`.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Header, Query, Request, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from ..bounds import TRACK_BOUNDS
from ..errors import DeconflictError, InvalidInput
from ..service.auth import Unauthenticated
from ..service.core import Service
from ..service.hotline import ACTIVE_STATES
from ..service.runner import DetectionRunner
from .broker import Broker, Subscriber
from .errors import ApiError, install_error_handlers, status_of
from .headers import SecurityHeaders
from .jsontext import check_text, parse_json
from .ratelimit import RateLimiter

__all__ = ["create_app"]

log = logging.getLogger("deconflict.api")

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body accepted (413 beyond)."""
REAUTH_S = 1.0
"""How often an open stream checks that its token still names its party (revocation and
rotation close it within this time, also when done by another process)."""
CLOSE_WAIT_S = 30.0
"""How long a dropped stream's last words (its reason and close frame) may wait for a
stalled reader before the connection is given up."""


_B = TRACK_BOUNDS


class TrackIn(BaseModel):
    """One track as a party reports it (DESIGN: the CSV columns plus ``time``)."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=64)
    time: str = Field(description="ISO 8601, e.g. 2017-06-18T16:40:00Z")
    party: str | None = Field(default=None, description="if given, must be the caller")
    lat: float = Field(ge=_B["lat"].lo, le=_B["lat"].hi, description="WGS84 degrees")
    lon: float = Field(ge=_B["lon"].lo, le=_B["lon"].hi, description="WGS84 degrees")
    alt_m: float = Field(ge=_B["alt_m"].lo, le=_B["alt_m"].hi, description="metres")
    gs_mps: float = Field(ge=_B["gs_mps"].lo, le=_B["gs_mps"].hi, description="ground speed, m/s")
    track_deg: float = Field(
        ge=_B["track_deg"].lo, le=_B["track_deg"].hi, description="true track, degrees"
    )
    vs_mps: float = Field(
        ge=_B["vs_mps"].lo, le=_B["vs_mps"].hi, description="vertical speed, m/s, up positive"
    )


class AckIn(BaseModel):
    response: Literal["roger", "wilco", "unable", "standby"]
    text: str | None = Field(default=None, max_length=2000)


class MessageIn(BaseModel):
    to: list[Annotated[str, Field(min_length=1, max_length=63)]] = Field(min_length=1)
    text: str = Field(min_length=1, max_length=4000)


class SuspendIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ResumeIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class CosignIn(BaseModel):
    """A witness's cosignature of a tree head (docs/ledger.md, *Witnesses*)."""

    sth: str = Field(
        min_length=1, max_length=1000, description="the head's JSON text, as GET /v1/log/head"
    )
    public_key: str = Field(
        min_length=1, max_length=100, description="the party's witness key: base64, 32 bytes"
    )
    signature: str = Field(
        min_length=1, max_length=200, description="Ed25519 signature of the sth bytes, base64"
    )
    party: str | None = Field(default=None, description="if given, must be the caller")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before they are read whole.

    A declared ``Content-Length`` over the limit is refused before a byte is read; a
    body without one is taken in as it comes and refused as soon as it passes the limit
    (the route never sees it), else handed on whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.limit
            except ValueError:
                too_big = True
            if too_big:
                await self._refuse(send)
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client has gone
                await self.app(scope, _replay(message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay(whole, receive), send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": {"code": "too_large", "message": f"body over {self.limit} bytes"}}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(first: Message, receive: Receive) -> Receive:
    """``receive`` that gives ``first`` once, then what the client sends next."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return first
        return await receive()

    return replay


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def create_app(
    service: Service,
    *,
    run_detection: bool = True,
    max_body_bytes: int = MAX_BODY_BYTES,
    reauth_s: float = REAUTH_S,
) -> FastAPI:
    """The API over ``service``; detection runs in a background thread unless told not to.

    Open streams re-check their token every ``reauth_s`` seconds."""
    broker = Broker()
    limiter = RateLimiter(service.config.rate_per_s, service.config.burst)
    runner = DetectionRunner(service) if run_detection else None
    previous_publish = service.publish

    def publish(party: str, event: dict[str, Any]) -> None:
        previous_publish(party, event)
        broker.publish(party, event)

    service.publish = publish

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broker.bind(asyncio.get_running_loop())
        if runner is not None:
            runner.start()
        service.heads.start()  # the published head's cadence (only with an interval)
        try:
            yield
        finally:
            service.heads.stop()
            if runner is not None:
                runner.stop()

    app = FastAPI(
        title="deconflict",
        version="1",
        summary="Incident prevention between parties sharing airspace",
        lifespan=lifespan,
        # the interactive pages load their scripts from another host: off; the
        # description stays at /openapi.json
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.broker = broker
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)

    async def caller(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> str:
        party = await run_in_threadpool(service.authenticate, _bearer(authorization))
        wait = limiter.take(party)
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                f"party {party!r} is over {service.config.rate_per_s:g} requests/s",
                {"Retry-After": str(max(1, round(wait + 0.5)))},
            )
        if request.method == "POST":
            # NUL and lone surrogates, wherever they are (the body is read once, cached)
            raw = await request.body()
            if b"\\u" in raw:
                try:
                    doc = json.loads(raw)
                except (ValueError, RecursionError):
                    doc = None  # not JSON: the route says so
                check_text(doc)
        return party

    Party = Annotated[str, Depends(caller)]
    IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]

    # -- tracks ----------------------------------------------------------------------

    tracks_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": service.config.max_batch,
                    "items": TrackIn.model_json_schema(),
                }
            }
        },
    }

    @app.post("/v1/tracks", tags=["tracks"], openapi_extra={"requestBody": tracks_body})
    async def post_tracks(request: Request, party: Party, idem: IdemKey = None) -> dict[str, Any]:
        """Report the caller's tracks (a JSON list of track objects, validated once by the
        service); answers ``{"accepted", "receipt"}``."""
        items = parse_json(await request.body())
        result: dict[str, Any] = await run_in_threadpool(
            service.report_tracks, party, items, idempotency_key=idem
        )
        return result

    @app.get("/v1/tracks", tags=["tracks"])
    def get_tracks(party: Party) -> dict[str, Any]:
        """The caller's own current tracks."""
        return {"tracks": service.tracks_of(party)}

    # -- declarations ----------------------------------------------------------------

    # read by the JSON reader of every body (NaN, Infinity and over-long integers are
    # refused there, naming the body); the service checks the GeoJSON and its bounds
    geojson_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"enum": ["Feature", "FeatureCollection"]}},
                }
            }
        },
    }
    declarations = {"requestBody": geojson_body}
    declaring: dict[str, asyncio.Lock] = {}
    """One declaration request of a party at a time: a party that sends many at once
    waits for its own, and takes no more of the service than one request's cost."""

    async def _declare(
        expect: str, party: str, request: Request, idem: str | None
    ) -> dict[str, Any]:
        async with declaring.setdefault(party, asyncio.Lock()):
            doc = parse_json(await request.body())
            result: dict[str, Any] = await run_in_threadpool(
                service.declare, party, doc, expect=expect, idempotency_key=idem
            )
        return result

    @app.post("/v1/positions", tags=["declarations"], openapi_extra=declarations)
    async def post_positions(
        request: Request, party: Party, idem: IdemKey = None
    ) -> dict[str, Any]:
        """Declare forces positions or protected sites (GeoJSON Points with radius_m)."""
        return await _declare("positions", party, request, idem)

    @app.get("/v1/positions", tags=["declarations"])
    def get_positions(party: Party) -> dict[str, Any]:
        """The caller's own declared positions."""
        features = service.own_declarations(party, ["position"])
        return {"type": "FeatureCollection", "features": features}

    @app.post("/v1/intents", tags=["declarations"], openapi_extra=declarations)
    async def post_intents(request: Request, party: Party, idem: IdemKey = None) -> dict[str, Any]:
        """Declare plans: 4D volumes and strikes (GeoJSON)."""
        return await _declare("intents", party, request, idem)

    @app.get("/v1/intents", tags=["declarations"])
    def get_intents(party: Party) -> dict[str, Any]:
        """The caller's own declared intents."""
        features = service.own_declarations(party, ["strike", "volume"])
        return {"type": "FeatureCollection", "features": features}

    @app.post("/v1/zones", tags=["zones"], openapi_extra=declarations)
    async def post_zones(request: Request, party: Party, idem: IdemKey = None) -> dict[str, Any]:
        """Claim zones (GeoJSON); each named party consents on its own."""
        return await _declare("zones", party, request, idem)

    @app.get("/v1/zones", tags=["zones"])
    def get_zones(party: Party) -> dict[str, Any]:
        """Every zone, with its status and who has not consented."""
        return {"type": "FeatureCollection", "features": service.zones()}

    @app.post("/v1/zones/{zone_id}/consent", tags=["zones"])
    def post_consent(party: Party, zone_id: str) -> dict[str, Any]:
        """The caller consents to a zone that names it."""
        return service.consent(party, zone_id)

    # -- alerts ----------------------------------------------------------------------

    @app.get("/v1/alerts", tags=["alerts"])
    def get_alerts(party: Party) -> dict[str, Any]:
        """The alerts that involve the caller, live ones first."""
        return {"alerts": service.alerts_for(party)}

    @app.get("/v1/alerts/{alert_id}", tags=["alerts"])
    def get_alert(party: Party, alert_id: str) -> dict[str, Any]:
        """One alert that involves the caller."""
        return {"alert": service.alert_for(party, alert_id)}

    @app.post("/v1/alerts/{alert_id}/ack", tags=["alerts"])
    def post_ack(party: Party, alert_id: str, ack: AckIn) -> dict[str, Any]:
        """Answer an alert: roger, wilco, unable or standby."""
        return service.answer(party, alert_id, ack.response, ack.text)

    # -- messages and channel --------------------------------------------------------

    @app.post("/v1/messages", tags=["messages"])
    def post_message(party: Party, message: MessageIn) -> dict[str, Any]:
        """Send a free-text message to other parties."""
        return service.send_message(party, message.to, message.text)

    @app.get("/v1/messages", tags=["messages"])
    def get_messages(party: Party) -> dict[str, Any]:
        """Messages sent to or by the caller."""
        return {"messages": service.messages_for(party)}

    @app.get("/v1/channel", tags=["channel"])
    def get_channel(party: Party) -> dict[str, Any]:
        """The hotline's state: who suspended it, since when, why; its history."""
        return service.channel_state()

    @app.post("/v1/channel/suspend", tags=["channel"])
    def post_suspend(party: Party, body: SuspendIn) -> dict[str, Any]:
        """The caller suspends its participation (with a reason)."""
        return service.set_channel(party, True, body.reason)

    @app.post("/v1/channel/resume", tags=["channel"])
    def post_resume(
        party: Party, body: Annotated[ResumeIn | None, Body()] = None
    ) -> dict[str, Any]:
        """The caller resumes its participation."""
        return service.set_channel(party, False, body.reason if body else None)

    @app.get("/v1/status", tags=["service"])
    def get_status(party: Party) -> dict[str, Any]:
        """The caller's own counts (its tracks, the alerts that involve it) and how many
        parties are connected; never another party's numbers. The service-wide detection
        and commit figures only when the operator turned on ``public_stats``."""
        mine = service.alerts_for(party)
        figures = service.status()
        shared = figures if service.config.public_stats else {"parties": figures["parties"]}
        return {
            **shared,
            "tracks": len(service.tracks_of(party)),
            "alerts_live": sum(1 for a in mine if a["state"] in ACTIVE_STATES),
            "alerts_total": len(mine),
        }

    # -- the record ------------------------------------------------------------------

    @app.get("/v1/log/head", tags=["log"])
    def get_head(party: Party) -> dict[str, Any]:
        """The signed tree head and the service's public key."""
        return service.head()

    @app.get("/v1/log/inclusion", tags=["log"])
    def get_inclusion(
        party: Party,
        index: Annotated[int, Query(ge=0)],
        tree_size: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict[str, Any]:
        """Inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
        return service.inclusion(index, tree_size)

    @app.get("/v1/log/consistency", tags=["log"])
    def get_consistency(
        party: Party,
        first: Annotated[int, Query(ge=0)],
        second: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict[str, Any]:
        """Consistency proof between two tree sizes."""
        return service.consistency(first, second)

    @app.get("/v1/log/export", tags=["log"])
    def get_export(party: Party) -> StreamingResponse:
        """The log as JSON lines; entries the caller may not read appear as their hash."""
        lines = service.export_for(party)

        def body() -> Iterator[bytes]:
            for line in lines:
                yield (line + "\n").encode("utf-8")

        return StreamingResponse(body(), media_type="application/x-ndjson")

    @app.post("/v1/log/cosign", tags=["log"])
    def post_cosign(party: Party, body: CosignIn) -> dict[str, Any]:
        """Cosign a tree head the service signed, with the caller's own witness key (its
        first cosignature puts the key on the record)."""
        if body.party is not None and body.party != party:
            raise InvalidInput(f"party: must be the caller ({party!r})")
        return service.cosign(party, body.sth, body.public_key, body.signature)

    # -- the stream ------------------------------------------------------------------

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        token = _bearer(ws.headers.get("authorization"))
        try:
            if token is None:
                first = await asyncio.wait_for(_receive(ws), timeout=10.0)
                if not isinstance(first, dict) or first.get("type") != "auth":
                    raise Unauthenticated('first message must be {"type": "auth", "token"}')
                token = first.get("token") if isinstance(first.get("token"), str) else None
            party = await run_in_threadpool(service.authenticate, token)
        except (TimeoutError, ValueError, WebSocketDisconnect, DeconflictError) as exc:
            reason = str(exc) if isinstance(exc, DeconflictError) else "authentication expected"
            with contextlib.suppress(Exception):
                await ws.send_json(
                    {"type": "error", "error": {"code": "unauthenticated", "message": reason}}
                )
                await ws.close(code=4401, reason="unauthenticated")
            return
        sub = broker.subscribe(party)
        try:
            hello = await run_in_threadpool(
                lambda: {
                    "type": "hello",
                    "party": party,
                    "language": service.language_of(party),
                    "alerts": service.alerts_for(party),
                    "channel": service.channel_state(),
                }
            )
            await ws.send_json(hello)
            await _pump(ws, sub, party, token or "")
        finally:
            broker.unsubscribe(sub)

    async def _receive(ws: WebSocket) -> Any:
        """The client's next message, parsed (:class:`InvalidInput` if it is not a JSON
        text frame); :class:`WebSocketDisconnect` when the client has gone."""
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        text = message.get("text")
        if text is None:
            raise InvalidInput("messages are JSON text frames, not binary ones")
        # the limit of a body, in UTF-8 bytes (the server closes larger frames itself)
        if len(text) > max_body_bytes // 4 and len(text.encode("utf-8", "surrogatepass")) > (
            max_body_bytes
        ):
            raise ApiError(413, "too_large", f"message over {max_body_bytes} bytes")
        return parse_json(text, "message")

    async def _last_words(ws: WebSocket, event: dict[str, Any], code: int, reason: str) -> None:
        """Send ``event`` and close, waiting at most :data:`CLOSE_WAIT_S` on the reader."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_WAIT_S):
                await ws.send_json(event)
                await ws.close(code=code, reason=reason[:120])

    async def _pump(ws: WebSocket, sub: Subscriber, party: str, token: str) -> None:
        async def sender() -> None:
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
                    await _last_words(ws, {"type": "closed", "reason": reason}, 4408, reason)
                    return
                await ws.send_json(get.result())

        async def receiver() -> None:
            while True:
                try:
                    msg = await _receive(ws)
                except (InvalidInput, ApiError) as exc:
                    error = {"code": exc.code, "message": str(exc)}
                    await ws.send_json({"type": "error", "error": error, "status": status_of(exc)})
                    continue
                try:
                    reply = await _handle(msg, party)
                except Exception:
                    log.exception("stream message of %s failed", party)
                    error = {"code": "internal", "message": "the service failed on this message"}
                    reply = {"type": "error", "error": error, "status": 500}
                if reply is not None:
                    await ws.send_json(reply)

        async def watchdog() -> None:
            # a revoked or rotated token ends the stream, wherever the change was made
            while True:
                await asyncio.sleep(reauth_s)
                try:
                    still = await run_in_threadpool(service.authenticate, token)
                except Unauthenticated:
                    still = None
                except DeconflictError:
                    continue  # the store is down: keep the stream, check again later
                if still != party:
                    reason = "token revoked or replaced"
                    await _last_words(ws, {"type": "closed", "reason": reason}, 4401, reason)
                    return

        tasks = [
            asyncio.ensure_future(sender()),
            asyncio.ensure_future(receiver()),
            asyncio.ensure_future(watchdog()),
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

    async def _handle(msg: Any, party: str) -> dict[str, Any] | None:
        if not isinstance(msg, dict):
            return {
                "type": "error",
                "error": {"code": "invalid_input", "message": "messages are JSON objects"},
            }
        kind = msg.get("type")
        if kind == "ping":
            return {"type": "pong"}
        if kind == "tracks":
            try:
                if limiter.take(party) > 0:
                    raise ApiError(429, "rate_limited", "over the request rate")
                result = await run_in_threadpool(
                    service.report_tracks,
                    party,
                    msg.get("tracks"),
                    idempotency_key=msg.get("idempotency_key"),
                )
            except DeconflictError as exc:
                return {
                    "type": "error",
                    "ref": msg.get("ref"),
                    "error": {"code": exc.code, "message": str(exc)},
                    "status": status_of(exc),
                }
            return {"type": "receipt", "ref": msg.get("ref"), **result}
        return {
            "type": "error",
            "error": {"code": "invalid_input", "message": f"unknown message type {kind!r}"},
        }

    # -- the map page ----------------------------------------------------------------

    web = resources.files("deconflict") / "web"

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> HTMLResponse | JSONResponse:
        page = web / "index.html"
        if page.is_file():
            return HTMLResponse(page.read_text(encoding="utf-8"))
        return JSONResponse({"service": "deconflict", "api": "/v1", "openapi": "/openapi.json"})

    # a fixed directory of the installed package, served by Starlette (which refuses
    # absolute paths, '..' and links leading out of it)
    with resources.as_file(web / "static") as static_dir:
        app.mount("/static", StaticFiles(directory=static_dir, follow_symlink=False), "static")

    return app
