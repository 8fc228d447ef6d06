"""The escalation ladder: an alert reaches a party's duty officers at once, its
supervisors too when unanswered past a first step, then every officer past a second.

Steps are seconds after the alert was raised, per alert kind
(:attr:`~deconflict.service.config.ServiceConfig.ladder_s`), and always inside the
alert's answer deadline: at most a third and two thirds of the time it gives
(:func:`steps_of`), so a short deadline climbs faster. A party's rung is where the
ladder stood when it gave its final answer (or stands now, while it has none), so an
officer the alert reached keeps seeing it; a party the alert does not await (the
declaring party of a declaration) is reached at every officer at once, having nothing to
answer. From the first step on, every involved party
sees which parties have left it unanswered and since when. :class:`Ladder` tells the
detection step which live alerts climbed a rung since its last round (each is pushed
again, with a ``notification`` entry naming the rung).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from typing import Any

from ..kinds import FINAL_RESPONSES
from ..timefmt import parse_time
from .clock import iso
from .hotline import LiveAlert

__all__ = ["REACH", "RUNGS", "Ladder", "due_times", "ladder_view", "rung_of", "steps_of"]

RUNGS = ("duty", "supervisor", "all")
"""The rungs, in order: duty officers; and supervisors; every officer."""
REACH = (("duty",), ("duty", "supervisor"), ("duty", "supervisor", "viewer"))
"""The officer roles each rung reaches."""

Steps = Callable[[str], tuple[float, float]]
"""An alert kind's two steps, seconds after it was raised."""


def steps_of(alert: LiveAlert, steps: tuple[float, float]) -> tuple[float, float]:
    """``alert``'s two steps: its kind's ``steps``, brought inside its answer deadline (at
    most one third and two thirds of the time from raised to deadline)."""
    if alert.deadline is None:
        return steps
    span = max(0.0, alert.deadline - alert.raised_at)
    return (min(steps[0], span / 3.0), min(steps[1], 2.0 * span / 3.0))


def _answered_at(alert: LiveAlert, party: str) -> float | None:
    ack = alert.acks.get(party)
    if ack is None or ack.get("response") not in FINAL_RESPONSES:
        return None
    return parse_time(str(ack["at"]))


def rung_of(alert: LiveAlert, party: str, steps: tuple[float, float], now: float) -> int:
    """``party``'s rung of ``alert`` (0, 1 or 2): the steps passed before its final
    answer, the alert's close, or ``now``, whichever came first. A party that need not
    answer (the declaring party of a declaration) stays on the first rung."""
    if party not in alert.awaiting:
        return 0
    until = now
    for t in (_answered_at(alert, party), alert.closed_at):
        if t is not None:
            until = min(until, t)
    waited = until - alert.raised_at
    return 2 if waited >= steps[1] else 1 if waited >= steps[0] else 0


def ladder_view(
    alert: LiveAlert, party: str, steps: tuple[float, float], now: float
) -> dict[str, Any]:
    """What ``party``'s view of ``alert`` says of the ladder: ``reach`` (the roles of its
    officers the alert has reached) and ``unanswered`` (``[{"party", "since", "rung"}]``:
    the involved parties without a final answer past the first step, each with the time
    the alert was raised; empty once the alert is closed). A party the alert does not
    await is reached at every role at once."""
    unanswered = []
    if alert.active:
        for p in alert.unanswered():
            r = rung_of(alert, p, steps, now)
            if r > 0:
                unanswered.append({"party": p, "since": iso(alert.raised_at), "rung": RUNGS[r]})
    # a party the alert does not await (the declaring party of a declaration, the party
    # that asked for a stop) has nothing to answer and nothing to escalate: every one of
    # its officers sees it at once, and each change of it
    rung = rung_of(alert, party, steps, now) if party in alert.awaiting else len(REACH) - 1
    return {"reach": list(REACH[rung]), "unanswered": unanswered}


def due_times(alert: LiveAlert, steps: tuple[float, float], rung: int) -> list[float]:
    """When ``alert`` next needs its hotline (POSIX s, soonest first): each of its
    ladder's steps above ``rung`` (the rung it was last pushed at), and its deadline
    while a party could still be marked overdue there; none once closed or answered.
    A time may be past (a party no longer suspended, after the deadline): due now."""
    unanswered = alert.unanswered() if alert.active else []
    if not unanswered:
        return []
    first, second = steps_of(alert, steps)
    times = [alert.raised_at + s for r, s in ((1, first), (2, second)) if rung < r]
    if alert.deadline is not None and any(
        p not in alert.suspended and p not in alert.overdue for p in unanswered
    ):
        times.append(alert.deadline)
    return sorted(times)


class Ladder:
    """The rung each live alert was last pushed at (in memory: after a restart an
    alert starts where the clock puts it, without a push)."""

    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self._pushed: dict[str, int] = {}
        self._lock = threading.Lock()

    def top(self, alert: LiveAlert, now: float) -> int:
        """The highest rung of ``alert`` over its unanswered parties."""
        steps = steps_of(alert, self.steps(alert.kind))
        return max((rung_of(alert, p, steps, now) for p in alert.unanswered()), default=0)

    def __len__(self) -> int:
        return len(self._pushed)

    def seen(self, alert: LiveAlert, now: float) -> int:
        """The rung ``alert`` was last pushed at; one not seen before is taken at its
        rung now (a new alert at the first)."""
        with self._lock:
            rung = self._pushed.get(alert.id)
            if rung is None:
                rung = self._pushed[alert.id] = self.top(alert, now)
            return rung

    def prune(self, live: Collection[str]) -> None:
        """Forget the alerts not in ``live`` (ids)."""
        with self._lock:
            for gone in set(self._pushed) - set(live):
                del self._pushed[gone]

    def climbed(
        self, alerts: Iterable[LiveAlert], now: float, *, every: bool = True
    ) -> list[tuple[LiveAlert, int]]:
        """The alerts whose unanswered parties reached a higher rung since last asked,
        with the rung; alerts seen for the first time are taken at their rung. ``every``:
        ``alerts`` are every live alert (the others are forgotten); otherwise some of them
        (those a hotline said are due)."""
        out = []
        with self._lock:
            live = set()
            for alert in alerts:
                live.add(alert.id)
                before = self._pushed.get(alert.id)
                if before == 2:
                    continue
                steps = steps_of(alert, self.steps(alert.kind))
                if before is not None and now - alert.raised_at < steps[before]:
                    continue  # most alerts are not due
                rung = self.top(alert, now)
                self._pushed[alert.id] = rung if before is None else max(before, rung)
                if before is not None and rung > before:
                    out.append((alert, rung))
            if every:
                for gone in set(self._pushed) - live:
                    del self._pushed[gone]
        return out

    @staticmethod
    def entry(alert: LiveAlert, rung: int, service_party: str) -> dict[str, Any]:
        """The ledger entry of a climb: who is still awaited, and the rung reached."""
        return {
            "kind": "notification",
            "party": service_party,
            "alert": alert.id,
            "to": list(alert.parties),
            "unanswered": alert.unanswered(),
            "rung": RUNGS[rung],
        }
