"""What the service told each party, and when: the replay's subscriber.

A :class:`Recorder` is the service's ``publish`` callback. It keeps, per alert, the first
and the last view, the predicted time of the conflict while the alert was live, who was
told and when, and the marks it carried (suspended, overdue); and a timeline of every
delivery, answer, message and note, in the order they happened.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..kinds import ACTIVE_STATES
from ..trackio import parse_time

__all__ = ["AlertTrace", "Recorder", "TimelineRow"]


@dataclass
class AlertTrace:
    """One alert as the parties saw it over the replay."""

    first: dict[str, Any]
    last: dict[str, Any]
    predicted_at: float
    """POSIX time of the conflict as last predicted while it was still ahead (fixed once
    a view showed it under way)."""
    started: bool = False
    """Whether a view has shown the conflict under way (``t`` 0)."""
    told: dict[str, float] = field(default_factory=dict)
    """Each party's first delivery, POSIX s."""
    suspended: set[str] = field(default_factory=set)
    overdue: set[str] = field(default_factory=set)
    escalated: bool = False
    shown_unanswered: dict[str, set[str]] = field(default_factory=dict)
    """Per party told, the parties its views marked ``unanswered`` (the ladder's mark)."""
    last_key: str = ""
    last_label: str = ""


@dataclass(frozen=True)
class TimelineRow:
    """One thing that happened: ``at`` POSIX s, the ``party`` concerned, ``what``
    (``told``, ``answered``, ``withheld``, ``message``, ``channel``, ``declared``, ...),
    the alert it concerns (if any) and a short ``text``."""

    at: float
    party: str
    what: str
    alert: str | None
    text: str


def _content_key(view: dict[str, Any]) -> str:
    body = {k: v for k, v in view.items() if k not in ("summary", "language")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _label(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if before is None:
        return "raised"
    if after["state"] != before["state"]:
        return str(after["state"])
    if after.get("overdue") != before.get("overdue") and after.get("escalated"):
        return "escalated"
    if after.get("suspended") != before.get("suspended"):
        return "channel marks changed"
    if after.get("acks") != before.get("acks"):
        return "answer recorded"
    return "updated"


class Recorder:
    """Collects what the service publishes; ``now`` is the service's clock."""

    def __init__(self, now: Callable[[], float], *, timeline: bool = True) -> None:
        self.now = now
        self.keep_timeline = timeline
        self.alerts: dict[str, AlertTrace] = {}
        self.timeline: list[TimelineRow] = []
        self.new: list[str] = []
        self._messages: set[str] = set()
        self._lock = threading.Lock()

    def publish(self, party: str, event: dict[str, Any]) -> None:
        """The service's ``publish(party, event)`` (safe from any thread)."""
        with self._lock:
            self._event(party, event)

    def _event(self, party: str, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "alert":
            self._alert(party, event["alert"])
        elif kind == "message":
            message = event["message"]
            if message["id"] not in self._messages:
                self._messages.add(message["id"])
                to = ", ".join(message["to"])
                self._row(
                    TimelineRow(
                        self.now(), message["from"], "message", None, f"to {to}: {message['text']}"
                    )
                )

    def note(self, party: str, what: str, alert: str | None, text: str) -> None:
        with self._lock:
            self._row(TimelineRow(self.now(), party, what, alert, text))

    def _row(self, row: TimelineRow) -> None:
        if self.keep_timeline:
            self.timeline.append(row)

    def drain_new(self) -> list[dict[str, Any]]:
        """Views of the alerts raised since the last call, in the order they were raised."""
        with self._lock:
            out = [self.alerts[a].first for a in self.new]
            self.new = []
        return out

    def _alert(self, party: str, view: dict[str, Any]) -> None:
        aid = view["id"]
        trace = self.alerts.get(aid)
        key = _content_key(view)
        if trace is None:
            trace = AlertTrace(
                first=view,
                last=view,
                predicted_at=self._happens(view),
                started=float(view["t"]) <= 0,
            )
            trace.last_key, trace.last_label = key, "raised"
            self.alerts[aid] = trace
            self.new.append(aid)
        elif key != trace.last_key:
            trace.last_label = _label(trace.last, view)
            before = trace.last
            trace.last, trace.last_key = view, key
            for p, ack in (view.get("acks") or {}).items():
                if ack is not None and ack != (before.get("acks") or {}).get(p):
                    self._row(
                        TimelineRow(parse_time(ack["at"]), p, "answered", aid, str(ack["response"]))
                    )
            if view["state"] in ACTIVE_STATES and not trace.started:
                if float(view["t"]) > 0:
                    trace.predicted_at = self._happens(view)
                else:
                    trace.predicted_at = min(trace.predicted_at, self._happens(view))
                    trace.started = True
        trace.suspended.update(view.get("suspended") or ())
        trace.overdue.update(view.get("overdue") or ())
        trace.escalated = trace.escalated or bool(view.get("escalated"))
        trace.told.setdefault(party, self.now())
        marked = trace.shown_unanswered.setdefault(party, set())
        marked.update(u["party"] for u in view.get("unanswered") or ())
        marks = " (suspended)" if party in (view.get("suspended") or ()) else ""
        self._row(
            TimelineRow(self.now(), party, "told", aid, f"{view['kind']} {trace.last_label}{marks}")
        )

    @staticmethod
    def _happens(view: dict[str, Any]) -> float:
        return parse_time(view["updated_at"]) + float(view["t"])
