"""The detection loop of a live service: runs :meth:`Service.step` in a thread.

A run starts as soon as a report changes the picture (changes within
``detect_interval_s`` are coalesced into one run) and at least every ``idle_s`` for
deadlines, expiry and the periodic full pass. Every second it also takes in the parties
added or revoked by another process (:meth:`Service.refresh_parties`).
"""

from __future__ import annotations

import logging
import math
import time

from ..errors import DeconflictError
from .background import Background
from .core import Service

__all__ = ["DetectionRunner"]

log = logging.getLogger("deconflict.service")

PARTIES_EVERY_S = 1.0
"""How often the loop takes in parties changed by another process (seconds)."""


class DetectionRunner:
    """Runs ``service.step()`` in a daemon thread until :meth:`stop`."""

    def __init__(self, service: Service, *, idle_s: float = 0.25) -> None:
        self.service = service
        self.idle_s = idle_s
        self._worker = Background(self._loop, "deconflict-detect", wake=service.changed.set)
        self._stop = self._worker.stopping
        self.runs = 0
        self.failures = 0

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._worker.stop(timeout)

    def _loop(self) -> None:
        interval = self.service.config.detect_interval_s
        refreshed = -math.inf
        while not self._stop.is_set():
            self.service.changed.wait(self.idle_s)
            if self._stop.is_set():
                return
            try:
                if time.monotonic() - refreshed >= PARTIES_EVERY_S:
                    refreshed = time.monotonic()
                    self.service.refresh_parties()
                self.service.step()
                self.runs += 1
            except DeconflictError as exc:
                self.failures += 1
                log.error("detection run failed: %s", exc)
                time.sleep(min(1.0, self.idle_s))
            except Exception:
                self.failures += 1
                log.exception("detection run failed")
                time.sleep(min(1.0, self.idle_s))
            if interval > 0:
                time.sleep(interval)
