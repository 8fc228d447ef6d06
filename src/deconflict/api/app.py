"""The FastAPI application over a :class:`~deconflict.service.core.Service`.

Routes are DESIGN's *HTTP* table under ``/v1``, one router per concern
(:mod:`deconflict.api.routes`); every request carries ``Authorization: Bearer <party
token>``. :func:`create_app` only wires them: it makes the app's
:class:`~deconflict.api.context.ApiContext` (the service, the broker,
the settings), which routes take as a dependency, adds the middleware and the error
handlers, and runs detection and the head cadence for the app's lifetime. Writes run in
worker threads (the service serialises them); the WebSocket stream runs on the event
loop and is fed by the :class:`~deconflict.api.broker.Broker`.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ..service.core import Service
from ..service.runner import DetectionRunner
from .bodylimit import BodyLimit
from .broker import Broker
from .context import CLOSE_WAIT_S, MAX_BODY_BYTES, REAUTH_S, ApiContext, ApiSettings
from .errors import install_error_handlers
from .headers import SecurityHeaders
from .routes import (
    alerts,
    basemap,
    channel,
    declarations,
    messages,
    meta,
    officers,
    page,
    record,
    status,
    stop,
    stream,
    tracks,
)

__all__ = ["CLOSE_WAIT_S", "MAX_BODY_BYTES", "REAUTH_S", "create_app"]


def create_app(
    service: Service,
    *,
    run_detection: bool = True,
    max_body_bytes: int = MAX_BODY_BYTES,
    reauth_s: float = REAUTH_S,
    basemap_file: Path | None = None,
) -> FastAPI:
    """The API over ``service``; detection runs in a background thread unless told not to.

    Bodies and stream messages over ``max_body_bytes`` are refused (413); open streams
    re-check their token every ``reauth_s`` seconds. ``basemap_file`` (a PMTiles v3
    file, :func:`~deconflict.api.routes.basemap.check_basemap`) is served at
    ``/basemap.pmtiles``."""
    ctx = ApiContext(
        service=service,
        broker=Broker(),
        settings=ApiSettings(max_body_bytes=max_body_bytes, reauth_s=reauth_s),
        basemap=basemap.BASEMAP_URL if basemap_file is not None else None,
    )
    _publish_to_streams(ctx)
    runner = DetectionRunner(service) if run_detection else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.broker.bind(asyncio.get_running_loop())
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
    app.state.context = ctx
    app.state.service = service
    app.state.broker = ctx.broker
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    app.include_router(tracks.router(service.config.max_batch))
    concerns = (
        declarations,
        alerts,
        messages,
        channel,
        officers,
        status,
        meta,
        stop,
        record,
        stream,
        page,
    )
    for concern in concerns:
        app.include_router(concern.router)
    if basemap_file is not None:
        app.include_router(basemap.router(basemap_file))
    app.mount("/static", page.static_files(), "static")
    return app


def _publish_to_streams(ctx: ApiContext) -> None:
    """Make what the service publishes also reach the broker (after what it did before)."""
    service, broker = ctx.service, ctx.broker
    previous = service.publish

    def publish(party: str, event: dict[str, Any]) -> None:
        previous(party, event)
        broker.publish(party, event)

    service.publish = publish
