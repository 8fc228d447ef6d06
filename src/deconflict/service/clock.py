"""Clocks: the wall clock for live operation, a settable one for replay and tests, and a
scaled one that runs a scenario's time live at a multiple of real time (the demo)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from ..timefmt import iso_ms

__all__ = ["Clock", "ScaledClock", "SimClock", "WallClock", "iso", "to_datetime"]


class Clock(Protocol):
    """Gives the present as POSIX seconds."""

    def now(self) -> float: ...


class WallClock:
    """The system's real-time clock."""

    def now(self) -> float:
        return time.time()


class SimClock:
    """A clock that only moves when told to (replay, tests)."""

    def __init__(self, start_s: float) -> None:
        self.t = float(start_s)

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self.t += seconds

    def set(self, t_s: float) -> None:
        """Move to ``t_s`` (not before the present)."""
        self.advance(t_s - self.t)


class ScaledClock:
    """A clock that starts at ``start_s`` and runs ``speed`` times as fast as real time.

    >>> ticks = iter([100.0, 102.5])
    >>> clock = ScaledClock(1_000.0, 10.0, wall=lambda: next(ticks))
    >>> clock.now()
    1025.0
    """

    def __init__(
        self, start_s: float, speed: float, *, wall: Callable[[], float] = time.monotonic
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.start_s = float(start_s)
        self.speed = float(speed)
        self._wall = wall
        self._wall0 = wall()

    def now(self) -> float:
        return self.start_s + (self._wall() - self._wall0) * self.speed

    def wall_seconds_until(self, t_s: float) -> float:
        """Real seconds until this clock shows ``t_s`` (0 if it already has)."""
        return max(0.0, (t_s - self.now()) / self.speed)


def to_datetime(t_s: float) -> datetime:
    """POSIX seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(t_s, UTC)


def iso(t_s: float | None) -> str | None:
    """POSIX seconds as ISO 8601 UTC with milliseconds and ``Z``; ``None`` stays ``None``.

    >>> iso(0.0)
    '1970-01-01T00:00:00.000Z'
    """
    if t_s is None:
        return None
    return iso_ms(t_s)


def rate_of(clock: Clock) -> float:
    """How many of ``clock``'s seconds pass per real second: 1 for the wall clock, the
    speed of a :class:`ScaledClock`, 0 for a :class:`SimClock` (it moves only when set).

    >>> rate_of(WallClock()), rate_of(SimClock(0.0)), rate_of(ScaledClock(0.0, 10.0))
    (1.0, 0.0, 10.0)
    """
    if isinstance(clock, SimClock):
        return 0.0
    return float(getattr(clock, "speed", 1.0))
