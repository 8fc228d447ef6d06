"""Sending the line to a TAK server (``deconflict cot``): one party's picture as CoT events.

The link follows the service as one party (its token): the stream ``WS /v1/stream``
for its alerts (the ``hello`` lists them, then each change), ``GET /v1/tracks`` every
``poll_s`` for its own tracks, and ``GET /v1/zones`` and ``GET /v1/positions`` every
``shapes_s`` (sooner on a ``zone`` event) for the shapes. It sends what the service
gives this party and nothing more: the service decides what a party may see
(docs/security.md); the link only redraws it (:mod:`.cotout`). Given several service
URLs (a cluster's gateways), a stream that fails or closes, or a read without an answer
or with a 502/503/504, moves the link to the next URL (:mod:`.failover`); the stream's
``hello`` on the new gateway gives the whole alert list again.

What is shown is kept as groups of events (the own tracks, each alert with the other
parties' aircraft it shows, the shapes). When an object leaves its group — a track no
longer reported, an alert closed for this party (resolved, expired, or given a final
answer by it), a zone gone — its last event is sent once more with ``stale`` = now, so
the devices drop it. Live events are sent again every ``stale_s / 2`` so they never go
stale while they hold. Memory is bounded by what is shown: one event per object.

The TAK side is pytak's transport (``tcp://``, ``tls://`` with a client certificate,
``udp://`` unicast or multicast); a lost connection is made again with backoff and
everything shown is sent again on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from configparser import ConfigParser
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, tostring

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

from ..errors import Forbidden, InvalidInput
from . import cotout
from .failover import ServiceUrls, moves_on
from .hostport import host_port
from .poster import Backoff
from .reporting import Reporting

__all__ = ["CotLinkOptions", "CotLinkStats", "Shown", "TakTarget", "alert_closed", "run_link"]

FINAL = ("roger", "wilco", "unable")
LIVE_STATES = ("open", "notified", "answered")
MAX_FRAME_BYTES = 8 * 1024 * 1024 + 1024
"""A stream frame the service may send: its 8 MiB frame bound, and a little framing."""


@dataclass(frozen=True)
class TakTarget:
    """Where the events go: ``tcp://HOST:PORT``, ``tls://HOST:PORT`` (with a client
    certificate and key, and the CA to check the server with) or ``udp://HOST:PORT``
    (a multicast group such as ``239.2.3.1:6969``, or one host)."""

    url: str
    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    password: str | None = None
    server_name: str | None = None

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()

    def check(self) -> None:
        """Raise :class:`InvalidInput` naming what is wrong with the target."""
        parts = urlsplit(self.url)
        if parts.scheme.lower() not in ("tcp", "tls", "udp"):
            raise InvalidInput(
                f"--to {self.url!r}: expected tcp://HOST:PORT, tls://HOST:PORT or udp://HOST:PORT"
            )
        host_port(parts, f"--to {self.url!r}")
        if self.scheme == "tls" and not self.cert:
            raise InvalidInput("--to tls://...: needs --cert (the client certificate)")
        if self.scheme != "tls" and (self.cert or self.key or self.ca):
            raise InvalidInput("--cert, --key and --ca are for a tls:// target")

    def pytak_config(self) -> Any:
        """The section of settings pytak's ``protocol_factory`` takes."""
        parts = urlsplit(self.url)
        scheme = "udp+wo" if self.scheme == "udp" else self.scheme
        settings = {"COT_URL": f"{scheme}://{parts.hostname}:{parts.port}"}
        optional = {
            "PYTAK_TLS_CLIENT_CERT": self.cert,
            "PYTAK_TLS_CLIENT_KEY": self.key or self.cert,
            "PYTAK_TLS_CLIENT_CAFILE": self.ca,
            "PYTAK_TLS_CLIENT_PASSWORD": self.password,
            "PYTAK_TLS_SERVER_EXPECTED_HOSTNAME": self.server_name,
        }
        settings.update({k: v for k, v in optional.items() if v})
        config = ConfigParser(interpolation=None)
        config["link"] = settings
        return config["link"]


@dataclass(frozen=True)
class CotLinkOptions:
    """How often the link reads the service and refreshes the devices (s)."""

    protocol: str = "xml"
    poll_s: float = 2.0
    shapes_s: float = 30.0
    stale_s: float = 120.0
    duration_s: float | None = None
    stats_every_s: float | None = None
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    http_timeout_s: float = 10.0

    def check(self) -> None:
        if self.protocol not in ("xml", "proto"):
            raise InvalidInput(f"--protocol must be xml or proto, got {self.protocol!r}")
        for name, value in {
            "--poll": self.poll_s,
            "--shapes": self.shapes_s,
            "--stale": self.stale_s,
        }.items():
            if not value > 0:
                raise InvalidInput(f"{name} must be > 0 s, got {value}")
        if self.duration_s is not None and not self.duration_s > 0:
            raise InvalidInput(f"--duration must be > 0 s, got {self.duration_s}")


@dataclass
class CotLinkStats:
    """Counters of one link run (the status line and the ``--json`` lines)."""

    tracks: int = 0
    alerts: int = 0
    others: int = 0
    shapes: int = 0
    events_sent: int = 0
    stale_sent: int = 0
    tak_connects: int = 0
    stream_connects: int = 0
    tak: str = "connecting"
    service: str = "connecting"
    service_url: str = ""
    """The service URL the stream last opened on."""
    failovers: int = 0
    """Moves to another of the service URLs given."""
    last_error: str = ""
    started: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["elapsed_s"] = round(time.monotonic() - out.pop("started"), 3)
        return out

    def status_line(self) -> str:
        return (
            f"{self.tracks} tracks, {self.alerts} alerts, {self.others} others' aircraft, "
            f"{self.shapes} shapes | {self.events_sent} events sent ({self.stale_sent} stale) "
            f"| TAK {self.tak} | service {self.service}"
        )


class Shown:
    """What the devices are shown: groups of events by uid, and the events to send.

    :meth:`put` replaces a group; an event that changed goes out, one that left the
    group goes out stale. ``pending`` holds at most one event per uid.
    """

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, tuple[bytes, Element]]] = {}
        self.pending: dict[str, Element] = {}
        self.stale_uids: set[str] = set()
        self.sent_at: dict[str, float] = {}
        self.wake = asyncio.Event()

    def put(
        self, group: str, events: list[Element], now: float, last: Sequence[Element] = ()
    ) -> None:
        """Show ``events`` as ``group``; an event of the group left out goes stale (as
        its version in ``last``, made stale, when there is one: a closed alert's final
        state)."""
        new: dict[str, tuple[bytes, Element]] = {}
        for ev in events:
            new[ev.get("uid", "")] = (_signature(ev), ev)
        final = {ev.get("uid", ""): ev for ev in last}
        old = self.groups.pop(group, {})
        for uid, (_, ev) in old.items():
            if uid not in new:
                self.pending[uid] = cotout.staled(final.get(uid, ev), now)
                self.stale_uids.add(uid)
                self.sent_at.pop(uid, None)
        for uid, (sig, ev) in new.items():
            if uid not in old or old[uid][0] != sig:
                self.pending[uid] = ev
                self.stale_uids.discard(uid)
        if new:
            self.groups[group] = new
        if self.pending:
            self.wake.set()

    def live(self) -> dict[str, Element]:
        return {uid: ev for group in self.groups.values() for uid, (_, ev) in group.items()}

    def refresh(self, now: float, stale_s: float, *, everything: bool = False) -> None:
        """Queue again every live event not sent for ``stale_s / 2`` (all with
        ``everything``: a new TAK connection), stamped now."""
        for uid, ev in self.live().items():
            if everything or now - self.sent_at.get(uid, now) >= stale_s / 2:
                self.pending[uid] = cotout.restamp(ev, now, now + stale_s)
                self.stale_uids.discard(uid)
        if self.pending:
            self.wake.set()

    def take(self) -> list[tuple[str, Element, bool]]:
        """The events to send now, each with whether it is a stale one."""
        out = [(uid, ev, uid in self.stale_uids) for uid, ev in self.pending.items()]
        self.pending.clear()
        self.stale_uids.clear()
        self.wake.clear()
        return out

    def count(self, prefix: str) -> int:
        return sum(len(g) for name, g in self.groups.items() if name.startswith(prefix))


def _signature(ev: Element) -> bytes:
    """What makes an event different from the last one sent (not its times)."""
    point = ev.find("point")
    detail = ev.find("detail")
    parts = [ev.get("type", ""), "" if point is None else repr(sorted(point.items()))]
    if detail is not None:
        parts.append(tostring(detail).decode("utf-8"))
    return "\x00".join(parts).encode("utf-8")


def alert_closed(alert: Mapping[str, Any], party: str) -> bool:
    """Whether an alert is over for ``party``: no longer live, or answered by it (any
    answer but ``standby``)."""
    if alert.get("state") not in LIVE_STATES:
        return True
    ack = (alert.get("acks") or {}).get(party)
    return isinstance(ack, Mapping) and ack.get("response") in FINAL


def alert_events(alert: Mapping[str, Any], party: str, now: float, stale: float) -> list[Element]:
    """The alert's event and the other parties' aircraft it shows (``details.states``)."""
    events = [cotout.alert_event(alert, now, stale)]
    states = (alert.get("details") or {}).get("states") or {}
    if isinstance(states, Mapping):
        for tid, state in states.items():
            if isinstance(state, Mapping) and state.get("party") != party:
                events.append(cotout.other_aircraft(alert, str(tid), state, now, stale))
    return events


@dataclass(eq=False)
class _Link(Reporting[CotLinkStats]):
    """One link: follows ``services`` as the party of ``token``, shows it on ``target``."""

    services: ServiceUrls
    token: str
    target: TakTarget
    o: CotLinkOptions

    def __post_init__(self) -> None:
        self.stats = CotLinkStats()
        self.shown = Shown()
        self.party: str | None = None
        self.alerts: dict[str, Mapping[str, Any]] = {}
        self.shapes_now = asyncio.Event()
        self.headers = {"Authorization": f"Bearer {self.token}"}

    # -- the service -----------------------------------------------------------------
    def _alerts(self, alerts: list[Any], *, whole: bool) -> None:
        """Take alerts from the stream (``whole``: the hello's full list)."""
        now = time.time()
        party = self.party or ""
        seen = set()
        for alert in alerts:
            if not isinstance(alert, Mapping) or not isinstance(alert.get("id"), str):
                continue
            aid = alert["id"]
            seen.add(aid)
            if alert_closed(alert, party):
                self.alerts.pop(aid, None)
                final = alert_events(alert, party, now, now)
                self.shown.put(f"alert:{aid}", [], now, last=final)
            else:
                self.alerts[aid] = alert
                self.shown.put(
                    f"alert:{aid}", alert_events(alert, party, now, now + self.o.stale_s), now
                )
        if whole:
            for aid in [a for a in self.alerts if a not in seen]:
                del self.alerts[aid]
                self.shown.put(f"alert:{aid}", [], now)
        self.stats.alerts = len(self.alerts)
        self.stats.others = sum(
            max(0, len(g) - 1) for n, g in self.shown.groups.items() if n.startswith("alert:")
        )

    async def follow_stream(self, ready: asyncio.Event) -> None:
        """Follow ``WS /v1/stream``; a failed or closed stream is opened again after the
        backoff, on the next service URL when there are several."""
        backoff = Backoff(self.o.backoff_initial_s, self.o.backoff_max_s)
        while True:
            service = self.services.current
            url = service.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
            try:
                async with connect(
                    url + "/v1/stream",
                    additional_headers=self.headers,
                    max_size=MAX_FRAME_BYTES,
                    open_timeout=self.o.http_timeout_s,
                ) as ws:
                    self.stats.stream_connects += 1
                    self.stats.service_url = service
                    async for raw in ws:
                        msg = json.loads(raw)
                        if not isinstance(msg, dict):
                            continue
                        kind = msg.get("type")
                        if kind == "hello":
                            self.party = str(msg.get("party"))
                            self.stats.service = "up"
                            backoff.reset()
                            self._alerts(list(msg.get("alerts") or ()), whole=True)
                            ready.set()
                        elif kind == "alert":
                            self._alerts([msg.get("alert")], whole=False)
                        elif kind == "zone":
                            self.shapes_now.set()
                        elif kind == "error" and _refused(msg):
                            raise Forbidden(f"the service refused the token ({_message(msg)})")
                self._down(f"stream: {service}: closed")
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    raise Forbidden("the service refused the token") from exc
                self._down(f"stream: {service}: {exc}")
            except (OSError, TimeoutError, WebSocketException, ValueError) as exc:
                self._down(f"stream: {service}: {type(exc).__name__}: {exc}")
            self._move_from(service)
            await asyncio.sleep(backoff.next_delay())

    def _move_from(self, service: str) -> None:
        self.services.move_from(service)
        self.stats.failovers = self.services.moves

    def _down(self, error: str) -> None:
        self.stats.service = "down"
        self.stats.last_error = error

    async def _get(self, client: httpx.AsyncClient, path: str) -> Any:
        """GET ``path`` from the current service URL; a failure that a gateway of its
        own makes (no answer, 502/503/504) moves the next read to the next URL."""
        service = self.services.current
        try:
            r = await client.get(service + path, headers=self.headers)
        except httpx.HTTPError:
            self._move_from(service)
            raise
        if r.status_code in (401, 403):
            raise Forbidden(f"the service refused the token ({r.status_code})")
        if moves_on(r.status_code):
            self._move_from(service)
        r.raise_for_status()
        return r.json()

    async def poll(self, client: httpx.AsyncClient, ready: asyncio.Event) -> None:
        await ready.wait()
        last_shapes = -float("inf")
        while True:
            started = time.monotonic()
            try:
                doc = await self._get(client, "/v1/tracks")
                now = time.time()
                tracks = [
                    cotout.own_track(t, now, self.o.stale_s)
                    for t in doc.get("tracks") or ()
                    if isinstance(t, Mapping) and isinstance(t.get("id"), str)
                ]
                self.shown.put("tracks", tracks, now)
                self.stats.tracks = len(tracks)
                if self.shapes_now.is_set() or started - last_shapes >= self.o.shapes_s:
                    self.shapes_now.clear()
                    last_shapes = started
                    await self._shapes(client)
                self.shown.refresh(time.time(), self.o.stale_s)
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                self._down(f"service: {type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, self.o.poll_s - (time.monotonic() - started))):
                    await self.shapes_now.wait()

    async def _shapes(self, client: httpx.AsyncClient) -> None:
        zones = await self._get(client, "/v1/zones")
        positions = await self._get(client, "/v1/positions")
        now = time.time()
        stale = now + self.o.stale_s
        events: list[Element] = []
        for feature in zones.get("features") or ():
            if isinstance(feature, Mapping):
                events += cotout.zone_shapes(feature, now, stale)
        for feature in positions.get("features") or ():
            if isinstance(feature, Mapping):
                events += cotout.position_shapes(feature, now, stale)
        self.shown.put("shapes", events, now)
        self.stats.shapes = len(events)

    # -- the TAK side ----------------------------------------------------------------
    async def send(self) -> None:
        import pytak  # the TAK transport, loaded only by the command that uses it

        backoff = Backoff(self.o.backoff_initial_s, self.o.backoff_max_s)
        mesh = self.target.scheme == "udp"
        while True:
            self.stats.tak = "connecting"
            try:
                reader, writer = await pytak.protocol_factory(self.target.pytak_config())
            except (OSError, TimeoutError, ValueError, SyntaxError) as exc:
                self.stats.tak = "reconnecting"
                self.stats.last_error = f"TAK: {exc}"
                await asyncio.sleep(backoff.next_delay())
                continue
            self.stats.tak = "connected"
            self.stats.tak_connects += 1
            self.shown.refresh(time.time(), self.o.stale_s, everything=True)
            # what the server sends back (other clients' events) is read and dropped;
            # its end is the connection's
            gone = asyncio.create_task(_drain(reader))
            try:
                while True:
                    waker = asyncio.create_task(self.shown.wake.wait())
                    await asyncio.wait({waker, gone}, return_when=asyncio.FIRST_COMPLETED)
                    waker.cancel()
                    if gone.done():
                        raise ConnectionError("the TAK server closed the connection")
                    for uid, ev, stale in self.shown.take():
                        data = cotout.serialize(ev, self.o.protocol, mesh=mesh)
                        if hasattr(writer, "drain"):
                            writer.write(data)
                            await writer.drain()
                        else:
                            await writer.send(data)
                        self.shown.sent_at[uid] = time.time()
                        self.stats.events_sent += 1
                        self.stats.stale_sent += stale
                    backoff.reset()
            except (OSError, ConnectionError, pytak.asyncio_dgram.TransportClosed) as exc:
                self.stats.last_error = f"TAK: {exc or type(exc).__name__}"
            finally:
                gone.cancel()
                with contextlib.suppress(Exception):
                    writer.close()
            self.stats.tak = "reconnecting"
            await asyncio.sleep(backoff.next_delay())


async def _drain(reader: Any) -> None:
    """Read and drop what a TCP peer sends until it closes (UDP: wait forever)."""
    if not hasattr(reader, "read"):
        await asyncio.Event().wait()
    with contextlib.suppress(OSError):
        while await reader.read(65536):
            pass


def _refused(msg: Mapping[str, Any]) -> bool:
    err = msg.get("error")
    return isinstance(err, Mapping) and err.get("code") == "unauthenticated"


def _message(msg: Mapping[str, Any]) -> str:
    err = msg.get("error")
    return str(err.get("message", "")) if isinstance(err, Mapping) else ""


async def run_link(
    service: str | Sequence[str],
    token: str,
    target: TakTarget,
    options: CotLinkOptions | None = None,
    *,
    stop: asyncio.Event | None = None,
    stats_out: TextIO | None = None,
    status_out: TextIO | None = None,
) -> CotLinkStats:
    """Send ``service``'s picture (one URL, or several comma-separated, tried in turn) for
    the party of ``token`` to ``target`` until ``stop`` is set or ``options.duration_s``
    passes; returns the counters. Raises :class:`InvalidInput` for a bad option or URL,
    :class:`Forbidden` when the token is refused.
    """
    o = options or CotLinkOptions()
    o.check()
    target.check()
    if not token:
        raise InvalidInput("no token: set DECONFLICT_TOKEN to the party's token")
    services = ServiceUrls.parse(service)
    link = _Link(services, token, target, o, stats_out=stats_out, status_out=status_out)
    stop = stop or asyncio.Event()
    ready = asyncio.Event()
    async with httpx.AsyncClient(timeout=o.http_timeout_s) as client:
        tasks = [
            asyncio.create_task(link.follow_stream(ready)),
            asyncio.create_task(link.poll(client, ready)),
            asyncio.create_task(link.send()),
            asyncio.create_task(link.report(o.stats_every_s)),
        ]
        enders: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        if o.duration_s is not None:
            enders.append(asyncio.create_task(asyncio.sleep(o.duration_s)))
        try:
            await asyncio.wait([*tasks, *enders], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*tasks, *enders):
                task.cancel()
            await asyncio.gather(*tasks, *enders, return_exceptions=True)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                assert exc is not None
                raise exc
    link.report_last()
    return link.stats
