"""The scenario as records: parties, settings, answer policies and timed actions.

A :class:`Scenario` is what :func:`~deconflict.scenario.loader.load_scenario` makes of a
YAML file, already checked. Times are seconds from the scenario's start (``at_s``) or
POSIX seconds (``start_s``); places degrees; lengths metres; speeds m/s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ACTIONS", "Action", "AnswerRule", "Flight", "Officer", "Scenario", "Waypoint"]

ACTIONS = ("declare", "consent", "suspend", "resume", "message", "fly", "stop", "release")
"""The kinds of timed event a scenario holds."""


@dataclass(frozen=True)
class Waypoint:
    """A point of a route: place, altitude, ground speed on the leg that starts here, and
    the vertical rate towards the next altitude (``None``: a steady slope over the leg)."""

    lat_deg: float
    lon_deg: float
    alt_m: float
    speed_mps: float
    climb_mps: float | None = None


@dataclass(frozen=True)
class Flight:
    """One aircraft of ``party`` flying ``route``, reported every ``report_every_s``."""

    party: str
    id: str
    route: tuple[Waypoint, ...]
    report_every_s: float = 4.0


@dataclass(frozen=True)
class Action:
    """A timed event: ``kind`` (one of :data:`ACTIONS`) done by ``party`` at ``at_s``.

    ``data`` holds what the kind needs: ``declare`` maps an endpoint (``positions``,
    ``intents``, ``zones``) to a GeoJSON FeatureCollection; ``consent`` has ``zone``;
    ``suspend``/``resume`` ``reason``; ``message`` ``to`` and ``text``; ``fly``
    ``flight``; ``stop`` ``subject``, ``text`` and ``officer``; ``release`` ``strike``.
    ``where`` is the place in the file (``path:line:column``) for messages.
    """

    at_s: float
    kind: str
    party: str
    data: Mapping[str, Any]
    where: str = ""


@dataclass(frozen=True)
class Officer:
    """A duty officer of ``party``: ``role`` (``duty``, ``supervisor``, ``viewer``),
    whether it is ``present`` on the line, and how long it takes to answer an alert once
    the escalation ladder has reached its role (``after_s``, seconds)."""

    party: str
    name: str
    role: str
    present: bool = True
    after_s: float = 0.0


@dataclass(frozen=True)
class AnswerRule:
    """``party`` answers alerts of ``kind`` (or ``*``) with ``response`` ``after_s`` seconds
    after they are raised; ``response`` ``None`` means it never answers them."""

    party: str
    kind: str
    response: str | None
    after_s: float = 0.0
    text: str | None = None
    subjects: tuple[str, ...] = ()
    """When given, the rule applies only to alerts about one of these ids."""

    def matches(self, party: str, kind: str, subjects: tuple[str, ...]) -> int:
        """How closely the rule fits an alert: 0 not at all; more is closer (a rule
        naming a subject beats one that does not, then one naming the kind beats ``*``)."""
        if party != self.party or self.kind not in (kind, "*"):
            return 0
        if self.subjects and not set(self.subjects) & set(subjects):
            return 0
        return 1 + (self.kind == kind) + 2 * bool(self.subjects)


@dataclass(frozen=True)
class Scenario:
    """A checked scenario, ready to replay."""

    name: str
    start_s: float
    duration_s: float
    step_s: float
    parties: tuple[tuple[str, str], ...]
    """``(name, language)`` of each party, in file order."""
    actions: tuple[Action, ...]
    """Every timed event (declarations at time 0 included), in time then file order."""
    answers: tuple[AnswerRule, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    borders: Mapping[str, Any] | None = None
    """Countries as a GeoJSON FeatureCollection, when border crossings are configured."""
    officers: tuple[Officer, ...] = ()
    """Every party's officers, in file order; a party with none answers with its own
    token, as soon as its answer policy says."""
    description: str = ""
    source: bytes = b""
    """The file's bytes (the replay's signing key is derived from them)."""
    path: str = "<scenario>"

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    @property
    def party_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parties)

    def officers_of(self, party: str) -> tuple[Officer, ...]:
        return tuple(o for o in self.officers if o.party == party)

    def rule_for(self, party: str, kind: str, subjects: tuple[str, ...] = ()) -> AnswerRule | None:
        """The answer policy of ``party`` for an alert of ``kind`` about ``subjects``: the
        closest rule (one naming a subject, then the kind, then ``*``; the first of equals),
        else ``None`` (it never answers)."""
        best, score = None, 0
        for rule in self.answers:
            s = rule.matches(party, kind, subjects)
            if s > score:
                best, score = rule, s
        return best

    def warn_threshold_s(self, kind: str, deadline_s: float) -> float:
        """Least lead time of a warning in time: the setting, else the kind's deadline."""
        value = self.settings.get("warn_threshold_s")
        return float(value) if value is not None else deadline_s

    def step_times(self) -> list[float]:
        """POSIX times of the detection rounds: every ``step_s`` from start to end."""
        n = math.floor(self.duration_s / self.step_s + 1e-9)
        times = [self.start_s + k * self.step_s for k in range(n + 1)]
        if times[-1] < self.end_s - 1e-9:
            times.append(self.end_s)
        return times
