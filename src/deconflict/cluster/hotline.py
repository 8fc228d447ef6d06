"""The ``hotline`` role: the alerts' clocks — answer deadlines and the escalation
ladder — for a share of the live alerts, any number of them.

A hotline follows the alerts' due times (:data:`~deconflict.cluster.bus.ALERTS_SUBJECT`)
from the moment it starts, takes every live alert's times once from the active recorder,
and, as each time of an alert it watches passes (:class:`~deconflict.cluster.dueclock.DueClock`,
shared by :func:`~deconflict.cluster.dueclock.hotline_of`), tells the recorder the alert
is due. The recorder, the ledger's single writer, then marks late parties overdue and
climbs the ladder from its own book, one entry for each however many hotlines said so:
a hotline moves no alert and writes nothing itself, so a hotline killed, or two watching
one alert for a moment, never escalates an alert twice, and one that inherits a dead
one's alerts sends the times it may have missed.

It starts over from the recorder's alerts when the recorder changes (a takeover: it asks
who the recorder is at least every :data:`CONFIRM_S`), every :data:`RESYNC_S`, and says
it is alive (:class:`~deconflict.cluster.members.Members`) only once it holds the alerts
and while its loop turns, so that the recorder stops watching the clocks itself only
then.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial

from ..errors import DeconflictError
from .bus import ALERTS_SUBJECT, HOTLINE_SUBJECT, NatsBus
from .dueclock import DueClock, hotline_of
from .following import Followed, Worker
from .members import HOTLINES_SUBJECT

__all__ = ["RESYNC_S", "WORKING_S", "Hotline"]

log = logging.getLogger("deconflict.cluster")

RESYNC_S = 300.0
"""A hotline takes every live alert's times again this often (seconds)."""
WORKING_S = 5.0
"""A hotline whose loop last turned longer ago than this stops saying it is alive."""
MAX_BATCH = 5000
"""The most due times one call carries."""
CONFIRM_S = 1.0
"""A hotline that sent nothing for this long asks the recorder who it is (an empty
call), so that it takes a new recorder's alerts within about a second of a takeover
even when none of its alerts is due (seconds)."""


class Hotline(Worker):
    """Hotline ``name`` on ``bus``; it looks at its clock every ``idle_s`` at most."""

    role = "hotline"

    def __init__(self, bus: NatsBus, name: str, *, idle_s: float = 0.1) -> None:
        super().__init__(
            bus, name, idle_s=idle_s, subject=HOTLINE_SUBJECT, beat_subject=HOTLINES_SUBJECT
        )
        self.sent = 0
        """Due times sent to the recorder."""
        self._turned = -float("inf")

    def _mine(self, names: tuple[str, ...], alert_id: str) -> bool:
        return hotline_of(alert_id, names) == self.name

    def _working(self) -> bool:
        return time.monotonic() - self._turned < WORKING_S

    def _session(self, stop: threading.Event) -> None:
        """Every live alert's times taken from the recorder, and watched until they
        must be taken again."""
        with Followed(self.bus, ALERTS_SUBJECT) as changes:
            snapshot = self.recorder.call("alerts")
            recorder = snapshot["recorder"]
            clock = DueClock()
            for doc in snapshot["alerts"]:
                clock.set(str(doc["id"]), doc["due"])
            log.warning(
                "hotline %s: %d live alerts from recorder %s", self.name, len(clock), recorder
            )
            started = confirmed = time.monotonic()
            names: tuple[str, ...] = ()
            while not stop.is_set():
                for doc in changes.take():
                    if doc.get("recorder") != recorder:
                        log.warning("hotline %s: the recorder changed", self.name)
                        return
                    if "id" in doc:
                        clock.set(str(doc["id"]), doc["due"])
                alive = tuple(sorted(set(self.members.alive()) | {self.name}))
                if alive != names:
                    names = alive
                    log.warning("hotline %s: hotlines %s", self.name, ", ".join(names))
                due = clock.due(time.time(), partial(self._mine, names))
                if due or time.monotonic() - confirmed > CONFIRM_S:
                    if not self._send(due, clock, recorder, stop):
                        return
                    confirmed = time.monotonic()
                self._turned = time.monotonic()
                self.members.beat(self.name, self._working)
                if time.monotonic() - started > RESYNC_S:
                    return
                next_at = clock.next_at()
                wait = self.idle_s if next_at is None else next_at - time.time()
                changes.wait(min(self.idle_s, max(0.0, wait)))

    def _send(
        self, due: list[tuple[str, float]], clock: DueClock, recorder: str, stop: threading.Event
    ) -> bool:
        """Tell the recorder ``due`` (``(alert id, time)``); False when it must start
        over (another recorder answers). Times not delivered are due again a moment
        later (sent twice, a time does nothing twice)."""
        for i in range(0, max(1, len(due)), MAX_BATCH):
            batch = due[i : i + MAX_BATCH]
            try:
                answered = self.recorder.call(
                    "due", self.name, [[a, t] for a, t in batch], recorder
                )
            except DeconflictError as exc:
                log.warning("hotline %s: due times not delivered (%s)", self.name, exc)
                clock.again(due[i:])
                stop.wait(0.5)
                return True
            if answered != recorder:
                log.warning("hotline %s: the recorder changed", self.name)
                return False
            self.sent += len(batch)
        return True
