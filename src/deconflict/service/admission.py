"""How many of a detection run's findings become alert changes in one step, and in what order.

A party can put thousands of tracks on top of another party's aircraft: each pair is a
real conflict, and raising them all in one step would hold the service's lock for
seconds while every other party waits. :class:`Backlog` bounds the work of one step:
at most ``budget`` findings are taken per step, shared round-robin between the sets of
parties they involve (so a conflict between two bystanders is taken in the first step
even while a flood between two other parties waits), within each set a conflict not
yet raised before an update of one that was, the soonest predicted first. The rest
wait for the next step, at most ``budget`` per set of parties; beyond that the least
urgent are let go and come back with the next detection run that looks at their tracks
(every report does, and the sweep re-checks every track every full pass). A finding
waiting is dropped when a later run looked at its tracks and did not find it again: the
conflict no longer holds. Each set of parties also gets at most ``per_s`` changes a
second, so that a flood does not overrun its parties' streams.

Pure: no store, no web; the service calls it under its lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from .findings import Coverage, Found

__all__ = ["Backlog"]


def _group(f: Found) -> tuple[str, ...]:
    return tuple(sorted(f.alert.parties))


def _urgency(f: Found) -> tuple[float, str]:
    return (float(f.alert.t_s), f.key)


class Backlog:
    """Findings waiting their turn; :meth:`take` gives the ones to act on in this step.

    >>> Backlog(0)
    Traceback (most recent call last):
    ...
    ValueError: the alert budget per step must be at least 1, got 0
    """

    def __init__(self, budget: int, per_s: float | None = None) -> None:
        if budget < 1:
            raise ValueError(f"the alert budget per step must be at least 1, got {budget}")
        self.budget = budget
        self.per_s = budget / 5.0 if per_s is None else per_s
        """Sustained changes per second for one set of parties (a token bucket of
        ``budget``): what one party's stream must read to keep up during a flood."""
        self._waiting: dict[str, Found] = {}
        self._tokens: dict[tuple[str, ...], tuple[float, float]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def take(
        self,
        found: Iterable[Found],
        coverage: Coverage,
        gone: set[str],
        changes: Callable[[Found], bool] | None = None,
        now: float | None = None,
        new: Callable[[Found], bool] | None = None,
    ) -> tuple[list[Found], set[str]]:
        """Merge this run's ``found`` with those waiting; return (to act on now, the keys
        held back). ``changes(f)`` tells whether acting on ``f`` would change an alert (a
        new one, or a material change); those that would not cost nothing and are all
        returned (``None``: every finding costs). ``coverage`` and ``gone`` (tracks that
        left the picture) tell which waiting findings this run would have found again.
        With ``now`` (POSIX s), each set of parties also gets at most ``per_s`` changes a
        second (bursts of ``budget``). ``new(f)`` tells a conflict not yet raised: those
        are taken before updates of raised ones (moving flooded alerts must not starve
        the raising of others)."""
        merged: dict[str, Found] = {}
        for key, f in self._waiting.items():
            refs = f.tracks
            if refs & gone:
                continue
            if not coverage.looked(f.alert.kind, refs):
                merged[key] = f
        for f in found:
            merged[f.key] = f
        free: list[Found] = []
        groups: dict[tuple[str, ...], list[Found]] = defaultdict(list)
        for f in merged.values():
            if changes is not None and not changes(f):
                free.append(f)
            else:
                groups[_group(f)].append(f)
        allowed = {g: self._allowance(g, now) for g in groups}
        order = sorted(groups, key=lambda g: (len(groups[g]), g))

        def rank(f: Found) -> tuple[bool, float, str]:
            return (new is not None and not new(f), *_urgency(f))

        queues = [(g, sorted(groups[g], key=rank, reverse=True)) for g in order]
        taken: list[Found] = []
        used: dict[tuple[str, ...], int] = defaultdict(int)
        open_ = [(g, q) for g, q in queues if allowed[g] >= 1]
        while open_ and len(taken) < self.budget:
            for g, q in open_:
                taken.append(q.pop())
                used[g] += 1
                if len(taken) == self.budget:
                    break
            open_ = [(g, q) for g, q in open_ if q and used[g] < allowed[g]]
        for g in groups:
            self._spend(g, used[g], now)
        self._waiting = {}
        for _, q in queues:
            for f in q[-self.budget :]:
                self._waiting[f.key] = f
        return free + taken, set(self._waiting)

    def _allowance(self, group: tuple[str, ...], now: float | None) -> float:
        if now is None:
            return float(self.budget)
        tokens, at = self._tokens.get(group, (float(self.budget), now))
        return min(float(self.budget), tokens + max(0.0, now - at) * self.per_s)

    def _spend(self, group: tuple[str, ...], n: int, now: float | None) -> None:
        if now is None:
            return
        left = self._allowance(group, now) - n
        if left >= self.budget:
            self._tokens.pop(group, None)  # a full bucket needs no entry
        else:
            self._tokens[group] = (left, now)
