"""What ``deconflict serve --cluster URLS --role ROLE`` starts.

- ``gateway``: the HTTP API, WebSocket stream and map page over a
  :class:`~deconflict.cluster.remote.RemoteService`; stateless, any number.
- ``recorder``: a :class:`~deconflict.cluster.recorder.Recorder`; any number, one active.
- ``detector``: a :class:`~deconflict.cluster.detector.Detector`, detection for a share
  of the area; any number (none: the active recorder detects itself).
- ``hotline``: a :class:`~deconflict.cluster.hotline.Hotline`, the deadlines and the
  escalation ladder of a share of the live alerts; any number (none: the active recorder
  watches them itself).
- ``all``: the four in one process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..detect.partition import cell_radius_m
from ..errors import InvalidInput
from ..service.config import ServiceConfig
from ..service.core import Service
from ..service.picture import warm_up
from .bus import NatsBus
from .detector import Detector
from .hotline import Hotline
from .lease import Lease
from .recorder import Recorder
from .remote import RemoteService

__all__ = [
    "ROLES",
    "check_cluster",
    "gateway_app",
    "start_detector",
    "start_hotline",
    "start_recorder",
]

log = logging.getLogger("deconflict.cluster")

ROLES = ("gateway", "recorder", "detector", "hotline", "all")


def check_cluster(urls: str, db: str | None, role: str | None) -> list[str]:
    """The NATS URLs of ``--cluster``, checked with ``--db`` and ``--role``."""
    servers = [u.strip() for u in urls.split(",") if u.strip()]
    if not servers or any(not u.startswith(("nats://", "tls://")) for u in servers):
        raise InvalidInput(f"--cluster: expected nats://HOST:PORT[,nats://...], not {urls!r}")
    if role not in ROLES:
        raise InvalidInput(f"--role: one of {', '.join(ROLES)}, not {role!r}")
    if role not in ("detector", "hotline") and (
        db is None or not db.startswith(("postgresql://", "postgres://"))
    ):
        raise InvalidInput("--cluster needs --db postgresql://... (the cluster's store)")
    return servers


def start_recorder(
    servers: Sequence[str],
    open_service: Callable[[], Service],
    db_url: str,
    stop: threading.Event,
    config: ServiceConfig,
) -> tuple[Recorder, threading.Thread]:
    """A recorder on its own bus connection, running in a thread until ``stop``; it
    compiles the detectors before it asks for the lease, so a takeover is quick."""
    bus = NatsBus(servers, name="deconflict-recorder").start()
    recorder = Recorder(
        bus, Lease(db_url), open_service, prepare=lambda: warm_up(config, time.time())
    )
    thread = threading.Thread(target=recorder.run, args=(stop,), name="deconflict-recorder")
    thread.daemon = True
    thread.start()
    return recorder, thread


def start_detector(
    servers: Sequence[str], name: str, stop: threading.Event
) -> tuple[Detector, threading.Thread]:
    """Detector ``name`` on its own bus connection, running in a thread until ``stop``;
    it compiles the detectors first."""
    warm_up(ServiceConfig(), time.time())
    cell_radius_m()  # measured once over every cell
    detector = Detector(NatsBus(servers, name=f"deconflict-detector-{name}").start(), name)
    return detector, _running(detector.run, stop, f"deconflict-detector-{name}")


def start_hotline(
    servers: Sequence[str], name: str, stop: threading.Event
) -> tuple[Hotline, threading.Thread]:
    """Hotline ``name`` on its own bus connection, running in a thread until ``stop``."""
    hotline = Hotline(NatsBus(servers, name=f"deconflict-hotline-{name}").start(), name)
    return hotline, _running(hotline.run, stop, f"deconflict-hotline-{name}")


def _running(
    run: Callable[[threading.Event], None], stop: threading.Event, name: str
) -> threading.Thread:
    """``run(stop)`` in a daemon thread ``name``, started."""
    thread = threading.Thread(target=run, args=(stop,), name=name, daemon=True)
    thread.start()
    return thread


def gateway_app(
    servers: Sequence[str], config: ServiceConfig, *, basemap_file: Path | None = None
) -> Any:
    """The API app of a gateway: every call to the recorder, events from the stream."""
    from ..api.app import create_app

    bus = NatsBus(servers, name="deconflict-gateway").start()
    remote = RemoteService(bus, config)
    # the API is written against the service's methods; the remote has each of them
    # (tests/cluster/test_wire.py checks it against what the API calls)
    app = create_app(remote, run_detection=False, basemap_file=basemap_file)  # type: ignore[arg-type]
    bus.follow_events(remote.deliver)
    remote.keep_presence(threading.Event())  # for the process's life
    return app
