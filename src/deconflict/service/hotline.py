"""The alert lifecycle: raised, notified, answered by each party, resolved or expired;
escalated when an answer is late.

A :class:`LiveAlert` is the service's alert: the conflict (kind, parties, subjects, time,
place, details, geometry) plus who must answer, the answers, the deadline and the marks
(escalated, overdue parties, suspended parties). Transitions here are pure: they change
the record and say what happened; the service logs and publishes. Its JSON is
:mod:`~deconflict.service.alertshape`'s.
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..entropy import Entropy
from ..errors import Conflict, InvalidInput, NotFound
from ..kinds import ACTIVE_STATES, FINAL_RESPONSES, RESPONSES
from .clock import iso

__all__ = [
    "LiveAlert",
    "alert_id",
    "check_response",
    "material_change",
]


def alert_id(entropy: Entropy) -> str:
    """A fresh alert id: ``al-`` and 128 random bits (hex), nothing of the alert's key,
    parties or time, so that a party can neither guess the id of an alert it is not
    part of nor confirm one (the alert's stable key stays its own field).

    >>> a = alert_id(Entropy())
    >>> a.startswith("al-") and len(a) == 35 and a != alert_id(Entropy())
    True
    """
    return entropy.id("al")


def check_response(response: Any, text: Any) -> tuple[str, str | None]:
    """Validate an answer; raises :class:`InvalidInput` naming what is wrong."""
    if response not in RESPONSES:
        raise InvalidInput(f"response: must be one of {', '.join(RESPONSES)}, got {response!r}")
    if text is not None and (not isinstance(text, str) or len(text) > 2000):
        raise InvalidInput("text: must be a string of at most 2000 characters")
    return str(response), text


@dataclass
class LiveAlert:
    """An alert as the hotline keeps it (times POSIX seconds, place degrees)."""

    id: str
    key: str
    kind: str
    parties: tuple[str, ...]
    subjects: tuple[str, ...]
    awaiting: tuple[str, ...]
    raised_at: float
    updated_at: float
    t_s: float
    lat_deg: float
    lon_deg: float
    deadline: float | None
    details: dict[str, Any] = field(default_factory=dict)
    geometry: dict[str, Any] | None = None
    state: str = "open"
    acks: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    escalated: bool = False
    overdue: list[str] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    closed_at: float | None = None

    def __post_init__(self) -> None:
        for p in self.parties:
            self.acks.setdefault(p, None)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def happens_at(self) -> float:
        """POSIX time the conflict is predicted to happen."""
        return self.updated_at + self.t_s

    def unanswered(self) -> list[str]:
        """Parties that must answer and have no final answer yet."""
        return [
            p
            for p in self.awaiting
            if (a := self.acks.get(p)) is None or a["response"] not in FINAL_RESPONSES
        ]

    def answer(
        self,
        party: str,
        response: str,
        text: str | None,
        at: float,
        officer: str | None = None,
        readback: Mapping[str, Any] | None = None,
    ) -> None:
        """Record ``party``'s answer (``{"response", "at", "officer"}``, with ``text`` if
        any; ``officer`` ``None`` for the party's own token); the alert is ``answered``
        once all must-answer parties have given a final one. Raises :class:`NotFound` if
        ``party`` is not involved, :class:`Conflict` if the alert is closed."""
        if party not in self.parties:
            raise NotFound(f"no alert {self.id!r}")
        if not self.active:
            raise Conflict(f"alert {self.id} is {self.state}; it takes no more answers")
        ack: dict[str, Any] = {"response": response, "at": iso(at), "officer": officer}
        if text:
            ack["text"] = text
        if readback:
            ack.update(readback)  # "understood" and "readback" (service/readback.py)
        self.acks[party] = ack
        if party in self.overdue and response in FINAL_RESPONSES:
            self.overdue.remove(party)
        if self.awaiting and not self.unanswered():
            self.state = "answered"

    def late(self, now: float, gone: Container[str] = ()) -> list[str]:
        """The parties :meth:`escalate` would mark overdue now (changes nothing)."""
        if not self.active or self.deadline is None or now < self.deadline:
            return []
        return [
            p
            for p in self.unanswered()
            if p not in self.suspended and p not in self.overdue and p not in gone
        ]

    def escalate(self, now: float, gone: Container[str] = ()) -> list[str]:
        """Mark overdue the must-answer parties without a final answer past the deadline
        (suspended parties are marked suspended instead, revoked ones in ``gone`` are no
        longer awaited); returns the newly overdue."""
        late = self.late(now, gone)
        if late:
            self.overdue.extend(late)
            self.escalated = True
        return late

    def close(self, now: float) -> str:
        """Resolved if the conflict went away before its time, expired if its time came."""
        at = self.happens_at
        self.state = "expired" if now >= at - 1e-6 else "resolved"
        self.closed_at = now
        if now > self.updated_at:
            # keep the predicted time of the conflict: t counts from updated_at
            self.t_s = max(0.0, at - now)
            self.updated_at = now
        return self.state


def material_change(
    alert: LiveAlert, t_s: float, lat: float, lon: float, now: float, *, dt_s: float, dm: float
) -> bool:
    """Whether a new sighting of ``alert``'s conflict differs enough to be pushed again:
    its time moved by more than ``dt_s`` or its place by more than ``dm`` metres."""
    old_at = alert.happens_at
    new_at = now + t_s
    if abs(new_at - old_at) > dt_s:
        return True
    lat1, lat2 = math.radians(alert.lat_deg), math.radians(lat)
    dlat = lat2 - lat1
    dlon = math.radians((lon - alert.lon_deg + 180.0) % 360.0 - 180.0)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h))) > dm
