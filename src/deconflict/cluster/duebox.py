"""The recorder's side of the hotlines: the alerts' due times it publishes, and the
alerts the hotlines say are due.

The active recorder serves two calls on
:data:`~deconflict.cluster.bus.HOTLINE_SUBJECT`: ``alerts`` (every live alert's due
times, with the recorder's id) and ``due`` (a hotline's ``[[alert id, time], ...]``).
From the first ``alerts`` on, every alert the book takes in goes out on
:data:`~deconflict.cluster.bus.ALERTS_SUBJECT` with its due times (:func:`timing`). A due
alert waits in the :class:`DueInbox` until the recorder's clock reaches its time, for the
next detection step, which looks only at those while any hotline is alive
(:class:`~deconflict.service.step.DueSource`) and decides from its own book what is late
or climbed: a hotline says when, never what.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from typing import Any

from ..errors import InvalidInput
from ..service.hotline import LiveAlert
from ..service.ladder import Ladder, due_times
from .members import Members

__all__ = ["MAX_WAITING", "DueInbox", "timing"]

MAX_WAITING = 200_000
"""The most due times waiting at once; a hotline sending more is refused."""
AHEAD_S = 120.0
"""A time further ahead of the recorder's clock than this is refused (seconds)."""


def timing(alert: LiveAlert, ladder: Ladder, now: float) -> dict[str, Any]:
    """What the hotlines are told of ``alert``: ``{"id", "due": [POSIX s, ...]}``."""
    rung = ladder.seen(alert, now)
    return {"id": alert.id, "due": due_times(alert, ladder.steps(alert.kind), rung)}


class DueInbox:
    """Alerts the hotlines said are due, waiting for the recorder's detection step.

    ``members``: the hotlines alive (:meth:`active`); ``wake()``: called when something
    arrives (the detection loop runs at once); ``clock()``: the recorder's time."""

    def __init__(
        self, members: Members, wake: Callable[[], None], clock: Callable[[], float]
    ) -> None:
        self.members = members
        self.wake = wake
        self.clock = clock
        self._waiting: dict[str, float] = {}
        self._soonest: list[tuple[float, str]] = []
        """A heap of ``(time, alert id)``: every alert's waiting time, and times since
        lowered or taken (passed over when they come up)."""
        self._lock = threading.Lock()
        self.received: dict[str, int] = {}
        """Due times received, per hotline heard alive (a name nobody heard beating is
        not counted, so the table cannot be grown by made-up names)."""

    def active(self) -> bool:
        """Whether the alerts' clocks are the hotlines' (any is alive)."""
        return bool(self.members.alive())

    def due(self, hotline: Any, items: Any) -> None:
        """``hotline`` says ``items`` (``[[alert id, time POSIX s], ...]``) are due."""
        if not isinstance(hotline, str) or not isinstance(items, list):
            raise InvalidInput("malformed due times")
        limit = self.clock() + AHEAD_S
        alive = hotline in self.members.alive()
        taken: list[tuple[str, float]] = []
        for item in items:
            if not (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], int | float)
                and item[1] <= limit
            ):
                raise InvalidInput("malformed due times: [[alert id, POSIX s], ...]")
            taken.append((item[0], float(item[1])))
        with self._lock:
            if len(self._waiting) + len(taken) > MAX_WAITING:
                raise InvalidInput("too many due times at once")
            for alert_id, t in taken:
                # the soonest time of an alert stands for it: once looked at, it is
                # looked at again only when a hotline says so
                if t < self._waiting.get(alert_id, float("inf")):
                    self._waiting[alert_id] = t
                    heapq.heappush(self._soonest, (t, alert_id))
            if len(self._soonest) > 2 * len(self._waiting) + 1024:
                self._soonest = [(t, a) for a, t in self._waiting.items()]
                heapq.heapify(self._soonest)
            if alive:
                self.received[hotline] = self.received.get(hotline, 0) + len(taken)
        if taken:
            self.wake()

    def take(self, now: float) -> set[str]:
        """The alerts due by ``now``, taken out (the others wait); the cost is that of
        the times come due, not of every time waiting."""
        ready: set[str] = set()
        with self._lock:
            soonest, waiting = self._soonest, self._waiting
            while soonest and soonest[0][0] <= now:
                t, a = heapq.heappop(soonest)
                if waiting.get(a) == t:
                    del waiting[a]
                    ready.add(a)
        return ready

    def stats(self) -> dict[str, Any]:
        """``deadlines`` (``hotlines`` or ``recorder``: who watches the alerts' clocks)
        and ``hotlines`` (due times received, per hotline)."""
        with self._lock:
            received = dict(self.received)
        return {
            "deadlines": "hotlines" if self.active() else "recorder",
            "hotlines": {name: {"due": n} for name, n in sorted(received.items())},
        }
