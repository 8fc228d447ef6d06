"""The hotlines' clock: when each live alert next needs its hotline, and which hotline
that is.

Every hotline holds every live alert's due times (the recorder's
:func:`~deconflict.service.ladder.due_times`: the ladder's steps not yet climbed and the
deadline) in a :class:`DueClock`. The alerts are shared among the hotlines alive by
rendezvous hashing of the alert's id (:func:`hotline_of`): each hotline sends the times
of its own alerts as they come, and holds the others' for :data:`HANDOVER_S` after they
passed, so that when a hotline dies the one that inherits its alerts sends what the dead
one may not have. A time sent twice does nothing twice: the recorder decides, from its
own book, whether an alert is late or climbed a rung.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Sequence

__all__ = ["HANDOVER_S", "DueClock", "hotline_of"]

HANDOVER_S = 10.0
"""How long a hotline holds a passed time of another's alert (seconds): longer than a
dead hotline takes to be known gone (:data:`~deconflict.cluster.members.ALIVE_S`)."""


def _weight(alert_id: str, name: str) -> bytes:
    return hashlib.blake2b(f"{alert_id}\x00{name}".encode(), digest_size=8).digest()


def hotline_of(alert_id: str, names: Sequence[str]) -> str:
    """The hotline among ``names`` (non-empty) that watches ``alert_id``: the highest
    rendezvous weight, so that a hotline joining or leaving moves only its own share.

    >>> hotline_of("al-1", ["a", "b"]) == hotline_of("al-1", ["b", "a"])
    True
    """
    return max(names, key=lambda n: (_weight(alert_id, n), n))


Due = tuple[float, int, str]
"""(time POSIX s, generation, alert id)."""


class DueClock:
    """The due times of the live alerts (POSIX seconds), soonest first."""

    def __init__(self, *, handover_s: float = HANDOVER_S) -> None:
        self.handover_s = handover_s
        self._generation: dict[str, int] = {}
        self._count = 0
        self._heap: list[Due] = []
        self._held: list[Due] = []

    def __len__(self) -> int:
        """The alerts with a time to come."""
        return len(self._generation)

    def set(self, alert_id: str, times: Sequence[float]) -> None:
        """``alert_id``'s due times now (they replace any before; none: it needs no
        hotline any more)."""
        self._count += 1
        if not times:
            self._generation.pop(alert_id, None)
            return
        self._generation[alert_id] = self._count
        for t in times:
            heapq.heappush(self._heap, (float(t), self._count, alert_id))
        if len(self._heap) > 4 * len(self._generation) + 1024:
            self._heap = [d for d in self._heap if self._current(d)]
            heapq.heapify(self._heap)

    def _current(self, due: Due) -> bool:
        return self._generation.get(due[2]) == due[1]

    def due(self, now: float, mine: Callable[[str], bool]) -> list[tuple[str, float]]:
        """The times passed by ``now`` of the alerts ``mine(id)`` says are this
        hotline's, as ``(alert id, time)``, each taken out; another's passed times are
        held for :data:`HANDOVER_S` in case it becomes this hotline's."""
        out: list[tuple[str, float]] = []
        held: list[Due] = []
        while self._heap and self._heap[0][0] <= now:
            self._held.append(heapq.heappop(self._heap))
        for due in self._held:
            if not self._current(due):
                continue
            if mine(due[2]):
                out.append((due[2], due[0]))
            elif due[0] > now - self.handover_s:
                held.append(due)
        self._held = held
        return out

    def again(self, items: Sequence[tuple[str, float]]) -> None:
        """Times :meth:`due` gave that could not be sent: due again."""
        for alert_id, t in items:
            if alert_id in self._generation:
                heapq.heappush(self._heap, (t, self._generation[alert_id], alert_id))

    def next_at(self) -> float | None:
        """The soonest time to come (POSIX s), if any."""
        while self._heap and not self._current(self._heap[0]):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None
