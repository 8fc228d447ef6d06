"""The tree head a service publishes: a head per write, or one on a fixed cadence.

By default the published head is the latest one, signed at every write, so a party that
polls ``GET /v1/log/head`` sees the time and the count of every other party's writes.
With an interval of ``S`` seconds (``deconflict serve --head-interval S``) the published
head is signed once per period of the service's clock — at the start of each period of
``S`` seconds counted from 1970-01-01 UTC, by a thread that does not wait on anyone's
writes, or by the first reader of a period the thread has not reached yet — and stays
the same until the next period, whether or not anything was written meanwhile. Writers
still get a receipt under a head signed at their own write.
"""

from __future__ import annotations

import logging
import math
import threading

from ..ledger.log import Log
from ..ledger.signing import SignedTreeHead
from .background import Background
from .clock import Clock

__all__ = ["HeadCadence"]

logger = logging.getLogger("deconflict.service")

WAKE_S = 0.25
"""Longest wall-clock sleep of the thread before it looks at the service's clock again."""


class HeadCadence:
    """Publishes ``log``'s signed tree head: the latest (``interval_s`` 0) or one per
    ``interval_s`` seconds of ``clock``."""

    def __init__(self, log: Log, clock: Clock, interval_s: float) -> None:
        self.log = log
        self.clock = clock
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._period: int | None = None
        self._head: SignedTreeHead | None = None
        self._worker = Background(self._loop, "deconflict-heads")
        self._stop = self._worker.stopping

    @property
    def fixed(self) -> bool:
        """Whether heads are published on a cadence (an interval is set)."""
        return self.interval_s > 0

    def _period_now(self) -> int:
        return math.floor(self.clock.now() / self.interval_s)

    def current(self) -> SignedTreeHead:
        """The head published now: the latest head, or the head of the current period
        (signed now if no one has signed it yet)."""
        if not self.fixed:
            return self.log.head()
        with self._lock:
            period = self._period_now()
            if self._head is None or self._period is None or self._period < period:
                self._head = self.log.sign_head()
                self._period = period
            return self._head

    def size(self) -> int:
        """Entries the published head covers (every entry, without an interval)."""
        if not self.fixed:
            return self.log.size
        return self.current().head.tree_size

    # -- the thread ------------------------------------------------------------------

    def start(self) -> None:
        """Sign each period's head as the period starts (nothing without an interval)."""
        if self.fixed:
            self._worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._worker.stop(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.current()
            except Exception:
                logger.exception("signing the tree head of this period failed")
            left = (self._period_now() + 1) * self.interval_s - self.clock.now()
            self._stop.wait(min(max(left, 0.001), WAKE_S))
