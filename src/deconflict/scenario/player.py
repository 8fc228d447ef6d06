"""Playing a scenario's timeline into a service: the actions, the track reports of every
flight, the answers the policies call for and, in a replay, the detection rounds.

One :class:`Player` serves both uses: :func:`~deconflict.scenario.replay.replay` drives it
on a simulated clock (``wait`` moves the clock), the live demo on a scaled clock (``wait``
sleeps until the clock shows the time, and detection runs in the service's own loop).
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from ..errors import DeconflictError, InvalidInput
from ..service.clock import iso
from ..service.core import Service
from ..service.ladder import steps_of
from ..service.officers import Principal
from ..service.stops import STOP_KIND, request_stop
from .flight import FlightStates, flight_states
from .loader import shift_times
from .model import Action, Flight, Officer, Scenario
from .recorder import Recorder

__all__ = ["NO_OFFICER", "Player"]

log = logging.getLogger("deconflict.scenario")

# order of things due at the same instant: the scenario's actions, then track reports,
# then answers, then the detection round
_ACTION, _REPORT, _ANSWER, _STEP = range(4)

NO_OFFICER = "no officer of this party present"
"""Why an answer of a party with officers is withheld when none of them is present."""


def _track(flight: Flight, states: FlightStates, k: int) -> dict[str, Any]:
    return {
        "id": flight.id,
        "time": iso(float(states.time_s[k])),
        "lat": round(float(states.lat_deg[k]), 7),
        "lon": round(float(states.lon_deg[k]), 7),
        "alt_m": round(float(states.alt_m[k]), 2),
        "gs_mps": round(float(states.gs_mps[k]), 3),
        "track_deg": round(float(states.track_deg[k]), 4),
        "vs_mps": round(float(states.vs_mps[k]), 3),
    }


@dataclass(eq=False)
class Player:
    """Plays ``scenario`` into ``service``, ``shift_s`` seconds later than written.

    ``wait(t)`` is called before each thing due at POSIX time ``t``: it returns ``True``
    once the service's clock shows ``t`` (a replay moves its clock there), or ``False``
    to be asked again (a live player sleeps a little; answers due meanwhile are planned).
    ``steps`` adds a detection round (``service.step()``) every ``step_s``. ``strict``
    turns an action the service refuses into :class:`InvalidInput` naming its place in
    the file; otherwise it is logged and skipped (a looping demo).
    """

    scenario: Scenario
    service: Service
    recorder: Recorder
    _: KW_ONLY
    wait: Callable[[float], bool]
    steps: bool
    shift_s: float = 0.0
    strict: bool = True
    on_step: Callable[[], None] = lambda: None
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.queue: list[tuple[float, int, int, Any]] = []
        self.flights: list[tuple[Flight, FlightStates]] = []
        self.declared: list[tuple[str, dict[str, Any]]] = []
        self.withheld: list[dict[str, Any]] = []
        self.releases: list[dict[str, Any]] = []
        self._seq = 0

    def _push(self, t: float, order: int, item: Any) -> None:
        heapq.heappush(self.queue, (t, order, self._seq, item))
        self._seq += 1

    def schedule(self) -> None:
        """Put every action, track report and detection round on the queue."""
        sc = self.scenario
        origin = sc.start_s + self.shift_s
        end = sc.end_s + self.shift_s
        reports: dict[tuple[float, str], list[dict[str, Any]]] = {}
        for action in sc.actions:
            t = origin + action.at_s
            if action.kind == "fly":
                flight: Flight = action.data["flight"]
                states = flight_states(flight, t)
                self.flights.append((flight, states))
                for k in range(len(states)):
                    tk = float(states.time_s[k])
                    if tk <= end + 1e-9:
                        reports.setdefault((tk, flight.party), []).append(_track(flight, states, k))
            else:
                self._push(t, _ACTION, action)
        for (tk, party), tracks in sorted(reports.items()):
            self._push(tk, _REPORT, (party, tracks))
        if self.steps:
            for t in sc.step_times():
                self._push(t + self.shift_s, _STEP, None)

    def enlist(self) -> None:
        """Add the scenario's officers to the service (those it does not know yet) and
        connect the present ones, as an officer's open stream would."""
        s = self.service
        for o in self.scenario.officers:
            if (o.party, o.name) not in s.officers.known:
                s.admin.add_officer(o.party, o.name, o.role)
        s.officers.refresh()
        for o in self.scenario.officers:
            if o.present and not s.officers.present(o.party, o.name):
                s.officers.connected(Principal(o.party, o.name, o.role))

    def run(self) -> None:
        """Play the whole timeline (until :attr:`stop` is set)."""
        self.enlist()
        self.schedule()
        end = self.scenario.end_s + self.shift_s
        while self.queue and not self.stop.is_set():
            self.plan_answers()
            t = self.queue[0][0]
            if t > end + 1e-9:
                heapq.heappop(self.queue)
                continue
            if not self.wait(t):
                continue
            _, order, _, item = heapq.heappop(self.queue)
            if order == _ACTION:
                self.act(item)
            elif order == _REPORT:
                party, tracks = item
                self._call(f"tracks of {party}", self.service.report_tracks, party, tracks)
            elif order == _ANSWER:
                self.answer(*item)
            else:
                self.service.step()
                self.on_step()

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> bool:
        try:
            fn(*args, **kw)
        except DeconflictError as exc:
            if self.strict:
                raise InvalidInput(f"{what} refused: {exc}") from None
            log.warning("%s refused: %s", what, exc)
            return False
        return True

    def act(self, a: Action) -> None:
        """Do one scenario action through the service (noted on the timeline first, so
        that it comes before what the service tells the parties about it)."""
        s = self.service
        what = f"{a.where}: {a.kind} by {a.party!r}"
        if a.kind == "declare":
            doc = a.data["doc"]
            if self.shift_s:
                doc = {**doc, "features": [shift_times(f, self.shift_s) for f in doc["features"]]}
            ids = ", ".join(f["properties"]["id"] for f in doc["features"])
            self.recorder.note(a.party, "declared", None, f"{a.data['endpoint']}: {ids}")
            if self._call(what, s.declare, a.party, doc, expect=a.data["endpoint"]):
                self.declared.extend((a.party, f) for f in doc["features"])
        elif a.kind == "consent":
            self.recorder.note(a.party, "consented", None, f"zone {a.data['zone']}")
            self._call(what, s.consent, a.party, a.data["zone"])
        elif a.kind in ("suspend", "resume"):
            reason = a.data.get("reason")
            self.recorder.note(a.party, "channel", None, f"{a.kind}s: {reason or ''}".strip(": "))
            self._call(what, s.set_channel, a.party, a.kind == "suspend", reason)
        elif a.kind == "message":
            self._call(what, s.send_message, a.party, list(a.data["to"]), a.data["text"])
        elif a.kind == "stop":
            d = a.data
            self.recorder.note(a.party, "stop", None, f"stop request on {d['subject']}")
            self._call(what, request_stop, s, a.party, d["subject"], d.get("text"),
                       officer=d.get("officer"))  # fmt: skip
        elif a.kind == "release":
            self.release(a.party, a.data["strike"])

    def release(self, party: str, strike: str) -> None:
        """One weapon release of ``party``'s ``strike``: held when ``party`` has answered
        ``wilco`` to a stop request on it, else made (both noted in :attr:`releases`)."""
        held_by = next(
            (
                a
                for a in self.service.alerts.values()
                if a.kind == STOP_KIND
                and a.subjects == (strike,)
                and a.details.get("owner") == party
                and (a.acks.get(party) or {}).get("response") == "wilco"
            ),
            None,
        )
        now = self.service.clock.now()
        row = {"party": party, "strike": strike, "at": now, "made": held_by is None}
        if held_by is not None:
            row["held_by"] = held_by.id
        self.releases.append(row)
        text = f"{strike}: " + ("released" if held_by is None else "held (stop request)")
        self.recorder.note(party, "release", None if held_by is None else held_by.id, text)

    def plan_answers(self) -> None:
        """Queue the answers the policies call for, for the alerts raised since last time:
        a party with officers answers through the first present one the ladder reaches."""
        for view in self.recorder.drain_new():
            for party in view.get("awaiting") or ():
                rule = self.scenario.rule_for(party, view["kind"], tuple(view["subjects"]))
                if rule is None or rule.response is None:
                    continue
                due = self.service.clock.now() + rule.after_s
                officer: Officer | None = None
                if self.scenario.officers_of(party):
                    pick = self._officer_for(party, view["id"], due)
                    if pick is None:
                        self._withhold(party, view["id"], NO_OFFICER)
                        continue
                    due, officer = pick
                self._push(due, _ANSWER, (party, view["id"], rule.response, rule.text, officer))

    def _officer_for(self, party: str, alert_id: str, due: float) -> tuple[float, Officer] | None:
        """The present officer of ``party`` who answers first, and when: once the ladder
        has reached its role (duty at once, supervisor past the first step) and its own
        ``after_s`` has passed, not before ``due``; ``None`` when none is present."""
        alert = self.service.alerts[alert_id]
        first, _ = steps_of(alert, self.service.config.ladder_steps(alert.kind))
        reach = {"duty": 0.0, "supervisor": first}
        best: tuple[float, Officer] | None = None
        for o in self.scenario.officers_of(party):
            if not o.present or o.role not in reach:
                continue
            at = max(due, alert.raised_at + reach[o.role] + o.after_s)
            if best is None or at < best[0]:
                best = (at, o)
        return best

    def answer(
        self, party: str, alert_id: str, response: str, text: str | None, officer: Officer | None
    ) -> None:
        """Give a planned answer (through the service, as ``officer`` when given), unless
        the alert has closed, the party's channel is suspended, or the ladder has not
        reached the officer's role (then the answer is withheld and noted)."""
        s = self.service
        alert = s.alerts.get(alert_id)
        if alert is None or not alert.active:
            state = alert.state if alert is not None else "gone"
            self._withhold(party, alert_id, f"alert already {state}")
            return
        if party in s.channel_state()["suspended"]:
            self._withhold(party, alert_id, "channel suspended by this party")
            return
        name = None
        if officer is not None:
            if not any(v["id"] == alert_id for v in s.alerts_for(party, officer.role)):
                self._withhold(party, alert_id, f"not shown to {officer.role} officers yet")
                return
            name = officer.name
        self._call(f"answer by {party!r}", s.answer, party, alert_id, response, text, officer=name)

    def _withhold(self, party: str, alert_id: str, why: str) -> None:
        now = self.service.clock.now()
        self.withheld.append({"party": party, "alert": alert_id, "at": now, "why": why})
        self.recorder.note(party, "withheld", alert_id, f"no answer: {why}")
