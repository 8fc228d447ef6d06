"""Which detectors (or hotlines) are up: each one says so every :data:`BEAT_S` on
:data:`DETECTORS_SUBJECT` (:data:`HOTLINES_SUBJECT`), and one not heard for
:data:`ALIVE_S` is gone.

Every detector and the active recorder follow the heartbeats; the detectors share the
area among the names alive (:class:`~deconflict.detect.partition.Partition`), and the
recorder detects itself while none is; the hotlines share the alerts the same way
(:mod:`~deconflict.cluster.dueclock`). One that stops on purpose says so, and
is gone at once. Two processes may disagree about the members for up to ``ALIVE_S``;
nothing depends on them agreeing (a finding reported twice is one alert, by its key; a
finding nobody reports for a moment closes nothing).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ALIVE_S", "BEAT_S", "DETECTORS_SUBJECT", "HOTLINES_SUBJECT", "Members"]

DETECTORS_SUBJECT = "deconflict.detectors"
HOTLINES_SUBJECT = "deconflict.hotlines"
BEAT_S = 0.5
"""How often a detector says it is up (seconds)."""
ALIVE_S = 2.0
"""A detector not heard for this long is gone (seconds)."""


class Members:
    """The detectors (or the members beating on ``subject``) alive, as heard on ``bus``
    (a :class:`~deconflict.cluster.bus.NatsBus`)."""

    def __init__(
        self, bus: Any, *, alive_s: float = ALIVE_S, subject: str = DETECTORS_SUBJECT
    ) -> None:
        self.bus = bus
        self.alive_s = alive_s
        self.subject = subject
        self._heard: dict[str, float] = {}
        self._lock = threading.Lock()
        self._sub = bus.subscribe(subject, self._heard_from)
        self._beating: threading.Event | None = None

    def _heard_from(self, data: bytes) -> None:
        try:
            doc = json.loads(data)
            name, up = str(doc["name"]), bool(doc["up"])
        except (ValueError, KeyError, TypeError):
            return  # not a heartbeat
        with self._lock:
            if up:
                self._heard[name] = time.monotonic()
            else:
                self._heard.pop(name, None)

    def alive(self) -> tuple[str, ...]:
        """The names of the detectors alive, sorted."""
        limit = time.monotonic() - self.alive_s
        with self._lock:
            return tuple(sorted(n for n, t in self._heard.items() if t >= limit))

    def beat(self, name: str, working: Callable[[], bool] = lambda: True) -> None:
        """Say that detector ``name`` is up, now and every :data:`BEAT_S` until
        :meth:`stop`, while ``working()`` (a detector stuck or starting over says
        nothing, and is gone for the others after :data:`ALIVE_S`)."""
        if self._beating is not None:
            return
        stop = self._beating = threading.Event()
        data = json.dumps({"name": name, "up": True}).encode()
        self._heard_from(data)

        def loop() -> None:
            while not stop.is_set():
                if working():
                    self.bus.publish(self.subject, data)
                stop.wait(BEAT_S)
            self.bus.publish(self.subject, json.dumps({"name": name, "up": False}).encode())

        threading.Thread(target=loop, name=f"beat-{name}", daemon=True).start()

    def stop(self) -> None:
        """Stop beating (saying this detector is gone) and listening."""
        if self._beating is not None:
            self._beating.set()
            time.sleep(0.05)  # let the last word out before the connection closes
        self.bus.unserve(self._sub)
