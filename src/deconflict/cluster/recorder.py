"""The ``recorder`` role: the ledger's single writer, answering every call of the API.

Recorders wait for the :class:`~deconflict.cluster.lease.Lease`; the one that takes it
loads the service from PostgreSQL (the parties, the picture, the alert book with every
open alert, the channel and its history, the messages), runs the hotline's deadlines and
escalation and the head cadence, serves the calls on
:data:`~deconflict.cluster.bus.RPC_SUBJECT` and publishes the parties' events on the
events stream. It publishes every change of the picture for the detectors, takes their
findings (:class:`~deconflict.cluster.inbox.FindingsInbox`) and turns them into alerts;
while no detector is alive it detects itself. It publishes every live alert's due times
for the hotlines, and while any is alive looks for late answers and ladder climbs only at
the alerts they say are due (:class:`~deconflict.cluster.duebox.DueInbox`); while none
is, at every alert itself. Because the book is loaded from the
store, an alert raised before a takeover is the same alert after it (its stable key),
never raised twice. A recorder
that loses its lease stops serving at once and exits (status 4).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, NotFound
from ..service.core import Service
from ..service.hotline import LiveAlert
from ..service.interpreter import settle
from ..service.runner import DetectionRunner
from ..service.trackbatch import batch_of
from .bus import (
    ALERTS_SUBJECT,
    FINDINGS_SUBJECT,
    HOTLINE_SUBJECT,
    PICTURE_SUBJECT,
    RPC_SUBJECT,
    NatsBus,
)
from .calls import METHODS, PART
from .duebox import DueInbox, timing
from .inbox import FindingsInbox
from .members import HOTLINES_SUBJECT, Members
from .share import detection_settings
from .wire import decode_call, encode_answer, principal_fields, principal_of

__all__ = ["LOST_LEASE", "CallServer", "Recorder", "event_bytes"]

log = logging.getLogger("deconflict.cluster")

LOST_LEASE = 4
"""The exit status of a recorder that lost its lease."""
PARTS_KEPT_S = 60.0
"""How long the parts of a cut answer wait to be fetched (seconds)."""


def event_bytes(party: str, event: dict[str, Any]) -> bytes:
    """An event for ``party``'s streams as it goes on the events stream."""
    return json.dumps({"party": party, "event": event}, separators=(",", ":")).encode()


class CallServer:
    """Answers calls (:mod:`~deconflict.cluster.wire` bytes) on ``service``."""

    def __init__(
        self,
        service: Service,
        *,
        limit: Callable[[], int],
        calls: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        """``limit()``: the largest answer one message may carry (bytes). ``calls``: the
        calls served instead of the service's methods (the detectors' subject)."""
        self.service = service
        self.limit = limit
        self.calls = calls
        self._parts: dict[str, tuple[float, list[bytes]]] = {}
        self._lock = threading.Lock()

    def _invoke(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self.calls is not None:
            if method not in self.calls:
                raise InvalidInput(f"no call {method!r}")
            return self.calls[method](*args, **kwargs)
        if method not in METHODS:
            raise InvalidInput(f"no call {method!r}")
        if method == "principal":
            return principal_fields(self.service.principal(*args, **kwargs))
        if method == "principal_admitted":
            who, wait = self.service.principal_admitted(*args, **kwargs)
            return [principal_fields(who), wait]
        if method == "officer_connected":
            return self.service.officers.connected(principal_of(args[0]), *args[1:])
        if method == "officer_left":
            self.service.officers.left(principal_of(args[0]), *args[1:])
            return None
        if method == "officers_resync":
            source, streams = args
            self.service.officers.resync(str(source), [tuple(s) for s in streams])
            return None
        if method == "report_tracks" and len(args) > 1:
            # the gateway checked the batch; the compiled validator checks it again here
            # (the recorder trusts no caller), at its speed rather than the ordinary one's
            args[1] = batch_of(args[1]) or args[1]
        return getattr(self.service, method)(*args, **kwargs)

    def handle(self, data: bytes) -> bytes:
        """The answer to one call."""
        try:
            method, args, kwargs = decode_call(data)
            if method == PART:
                return self._part(*args)
            answer = encode_answer(self._invoke(method, args, kwargs))
        except Exception as exc:
            if not hasattr(exc, "code"):
                log.exception("recorder: a call failed")
            return encode_answer(error=exc)
        return self._cut(answer)

    def _cut(self, answer: bytes) -> bytes:
        size = max(1024, self.limit() - 1024)
        if len(answer) <= size:
            return answer
        parts = [answer[i : i + size] for i in range(0, len(answer), size)]
        key = secrets.token_urlsafe(12)
        now = time.monotonic()
        with self._lock:
            for old in [k for k, (t, _) in self._parts.items() if now - t > PARTS_KEPT_S]:
                del self._parts[old]
            self._parts[key] = (now, parts)
        return json.dumps({"parts": len(parts), "id": key}).encode()

    def _part(self, key: str, index: int) -> bytes:
        with self._lock:
            kept = self._parts.get(key)
            if kept is None or not 0 <= index < len(kept[1]):
                raise NotFound("no such part of an answer")
            part = kept[1][index]
            if index == len(kept[1]) - 1:
                del self._parts[key]
        return part


@dataclass(eq=False)
class Recorder:
    """One recorder process: standby until it holds the lease, then the writer.

    ``prepare()`` readies what needs no store (compiling the detectors) while standby;
    ``open_service()`` builds the service on the store once the lease is held.
    """

    bus: NatsBus
    lease: Any
    open_service: Callable[[], Service]
    prepare: Callable[[], None] | None = None

    def _detectors(self, service: Service, me: str) -> CallServer:
        """What the detectors are served: the picture (whose every change this recorder
        now publishes, tagged with its id ``me``) with the detection settings and
        borders, and their findings, for the detection step."""
        settings = detection_settings(service.config, service.picture.countries)

        def changed(change: dict[str, Any]) -> None:
            data = json.dumps({**change, "recorder": me}, separators=(",", ":")).encode()
            self.bus.publish_event(data, PICTURE_SUBJECT)

        inbox = FindingsInbox(Members(self.bus), wake=service.changed.set)
        service.detection.source = inbox

        def picture() -> dict[str, Any]:
            # the changes go out from the first time a detector takes the picture (before
            # that nobody follows them, and the picture builds no change for anyone): set
            # under the picture's lock, so every change after this picture is published
            with service.picture.lock:
                service.picture.observer = changed
                whole = service.picture.snapshot()
            return {**whole, "recorder": me, "settings": settings}

        def found(*args: Any) -> str:
            *run, follows = args
            if follows == me:  # a run on another recorder's picture is not taken
                inbox.found(*run)
            return me

        calls: dict[str, Callable[..., Any]] = {"picture": picture, "found": found}
        return CallServer(service, limit=lambda: self.bus.max_payload, calls=calls)

    def _hotlines(self, service: Service, me: str) -> CallServer:
        """What the hotlines are served: every live alert's due times (each alert the
        book takes in from then on is published with its times, tagged ``me``), and the
        alerts they say are due, for the detection step."""
        inbox = DueInbox(
            Members(self.bus, subject=HOTLINES_SUBJECT),
            wake=service.changed.set,
            clock=service.clock.now,
        )
        service.detection.due = inbox

        def changed(alert: LiveAlert) -> None:
            doc = {**timing(alert, service.ladder, service.clock.now()), "recorder": me}
            self.bus.publish_event(json.dumps(doc, separators=(",", ":")).encode(), ALERTS_SUBJECT)

        def alerts() -> dict[str, Any]:
            # as with the picture: published from the first time a hotline takes them, set
            # under the service's lock (which guards the book)
            with service.lock:
                service.book.observer = changed
                now = service.clock.now()
                live = [timing(a, service.ladder, now) for a in service.book.live()]
            return {"recorder": me, "alerts": live}

        def due(hotline: Any, items: Any, follows: Any) -> str:
            if follows == me:  # times from another recorder's book are not taken
                inbox.due(hotline, items)
            return me

        calls: dict[str, Callable[..., Any]] = {"alerts": alerts, "due": due}
        return CallServer(service, limit=lambda: self.bus.max_payload, calls=calls)

    def run(self, stop: threading.Event, *, on_lost: Callable[[], None] | None = None) -> None:
        """Wait for the lease, then serve until ``stop`` (or exit if the lease is lost)."""
        if self.prepare is not None:
            self.prepare()
        log.warning("recorder: standby, waiting for the lease")
        if not self.lease.wait(stop=stop):
            return
        service = self.open_service()
        settle()  # what the takeover loaded lives as long as the process
        service.publish = lambda party, event: self.bus.publish_event(event_bytes(party, event))
        me = secrets.token_hex(8)
        detectors = self._detectors(service, me)
        hotlines = self._hotlines(service, me)
        runner = DetectionRunner(service)
        runner.start()
        service.heads.start()
        server = CallServer(service, limit=lambda: self.bus.max_payload)
        sub = self.bus.serve(RPC_SUBJECT, "recorder", server.handle)
        detectors_sub = self.bus.serve(FINDINGS_SUBJECT, "recorder", detectors.handle)
        hotlines_sub = self.bus.serve(HOTLINE_SUBJECT, "recorder", hotlines.handle)
        # the gateways send the officers they hold (presence is counted in memory)
        self.bus.publish_event(json.dumps({"recorder": me}).encode())
        log.warning("recorder: active, serving calls")
        try:
            while not stop.wait(0.25):
                if not self.lease.held():
                    log.error("recorder: lost the lease; stopping so that only one writes")
                    (on_lost or (lambda: os._exit(LOST_LEASE)))()
                    return
        finally:
            self.bus.unserve(hotlines_sub)
            self.bus.unserve(detectors_sub)
            self.bus.unserve(sub)
            service.heads.stop()
            runner.stop()
            self.lease.release()
