"""Replay a scenario through the live service on a simulated clock.

:func:`replay` builds a :class:`~deconflict.service.core.Service` on a fresh SQLite
database in a temporary directory, with a :class:`~deconflict.service.clock.SimClock`
starting at the scenario's start and a signing key derived from the scenario's bytes,
then plays the timeline: declarations, consents, channel changes, messages, track
reports of every flight, the answers the policies call for, and a detection round
(``service.step()``) every ``step_s``. It is the same ingest → detect → hotline → ledger
path as the live service; only the clock and the input differ. The same file always
gives the same record, byte for byte.
"""

from __future__ import annotations

import hashlib
import heapq
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..errors import DeconflictError, InvalidInput
from ..features import parse_borders
from ..ledger.log import PUBLIC_KEY_META, Log
from ..ledger.signing import SignedTreeHead, Signer, b64encode
from ..service.clock import SimClock, iso, to_datetime
from ..service.config import DEFAULT_DEADLINES_S, ServiceConfig
from ..service.core import Service
from ..store import open_database
from .flight import FlightStates, flight_states
from .model import Action, Flight, Scenario
from .recorder import Recorder

__all__ = ["ReplayResult", "build_config", "replay", "replay_signer"]

# order of things due at the same instant: the scenario's actions, then track reports,
# then answers, then the detection round
_ACTION, _REPORT, _ANSWER, _STEP = range(4)


def replay_signer(scenario: Scenario) -> Signer:
    """The replay's Ed25519 key: derived from the scenario's bytes (same file, same key)."""
    seed = hashlib.sha256(b"deconflict scenario replay key\x00" + scenario.source).digest()
    return Signer(Ed25519PrivateKey.from_private_bytes(seed))


def build_config(scenario: Scenario) -> ServiceConfig:
    """The service's settings: the defaults, overridden by the scenario's ``settings``."""
    s = scenario.settings
    deadlines = dict(DEFAULT_DEADLINES_S)
    deadlines.update({k: float(v) for k, v in (s.get("deadlines_s") or {}).items()})
    return ServiceConfig(deadlines_s=deadlines).with_overrides(
        lookahead_s=s.get("lookahead_s"),
        h_sep_m=s.get("h_sep_m"),
        v_sep_m=s.get("v_sep_m"),
        track_max_age_s=s.get("track_max_age_s"),
        full_pass_s=s.get("full_pass_s"),
    )


@dataclass
class ReplayResult:
    """What a replay produced: the recorder's traces, the flights flown, the declarations
    made, the channel history, the final signed tree head and the log's export."""

    scenario: Scenario
    config: ServiceConfig
    recorder: Recorder
    flights: list[tuple[Flight, FlightStates]]
    declared: list[tuple[str, dict[str, Any]]]
    channel: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    head: SignedTreeHead
    export: list[str]
    withheld: list[dict[str, Any]] = field(default_factory=list)


class _Player:
    """Plays a scenario's timeline into a service (one replay)."""

    def __init__(
        self,
        scenario: Scenario,
        service: Service,
        recorder: Recorder,
        clock: SimClock,
        *,
        pace: Callable[[float], None],
        on_step: Callable[[], None],
    ) -> None:
        self.scenario = scenario
        self.service = service
        self.recorder = recorder
        self.clock = clock
        self.pace = pace
        self.on_step = on_step
        self.queue: list[tuple[float, int, int, Any]] = []
        self.flights: list[tuple[Flight, FlightStates]] = []
        self.declared: list[tuple[str, dict[str, Any]]] = []
        self.withheld: list[dict[str, Any]] = []

    def schedule(self) -> None:
        sc = self.scenario
        seq = 0
        reports: dict[tuple[float, str], list[dict[str, Any]]] = {}
        for action in sc.actions:
            t = sc.start_s + action.at_s
            if action.kind == "fly":
                flight: Flight = action.data["flight"]
                states = flight_states(flight, t)
                self.flights.append((flight, states))
                for k in range(len(states)):
                    tk = float(states.time_s[k])
                    if tk <= sc.end_s + 1e-9:
                        reports.setdefault((tk, flight.party), []).append(_track(flight, states, k))
            else:
                heapq.heappush(self.queue, (t, _ACTION, seq, action))
                seq += 1
        for (tk, party), tracks in sorted(reports.items()):
            heapq.heappush(self.queue, (tk, _REPORT, seq, (party, tracks)))
            seq += 1
        for t in sc.step_times():
            heapq.heappush(self.queue, (t, _STEP, seq, None))
            seq += 1
        self._seq = seq

    def run(self) -> None:
        self.schedule()
        end = self.scenario.end_s
        while self.queue:
            t, order, _, item = heapq.heappop(self.queue)
            if t > end + 1e-9:
                continue
            self.pace(t)
            if t > self.clock.now():
                self.clock.set(t)
            if order == _ACTION:
                self.act(item)
            elif order == _REPORT:
                party, tracks = item
                self.service.report_tracks(party, tracks)
            elif order == _ANSWER:
                self.answer(*item)
            else:
                self.service.step()
                self.on_step()
            self.plan_answers()

    def act(self, a: Action) -> None:
        s = self.service
        try:
            if a.kind == "declare":
                s.declare(a.party, a.data["doc"], expect=a.data["endpoint"])
                for f in a.data["doc"]["features"]:
                    self.declared.append((a.party, f))
                    self.recorder.note(
                        a.party, "declared", None, f"{a.data['endpoint']}: {f['properties']['id']}"
                    )
            elif a.kind == "consent":
                s.consent(a.party, a.data["zone"])
                self.recorder.note(a.party, "consented", None, f"zone {a.data['zone']}")
            elif a.kind in ("suspend", "resume"):
                s.set_channel(a.party, a.kind == "suspend", a.data.get("reason"))
                reason = a.data.get("reason") or ""
                self.recorder.note(a.party, "channel", None, f"{a.kind}ed {reason}".strip())
            elif a.kind == "message":
                s.send_message(a.party, list(a.data["to"]), a.data["text"])
        except DeconflictError as exc:
            raise InvalidInput(f"{a.where}: {a.kind} by {a.party!r} refused: {exc}") from None

    def plan_answers(self) -> None:
        for view in self.recorder.drain_new():
            for party in view.get("awaiting") or ():
                rule = self.scenario.rule_for(party, view["kind"])
                if rule is None or rule.response is None:
                    continue
                due = self.clock.now() + rule.after_s
                item = (party, view["id"], rule.response, rule.text)
                heapq.heappush(self.queue, (due, _ANSWER, self._seq, item))
                self._seq += 1

    def answer(self, party: str, alert_id: str, response: str, text: str | None) -> None:
        s = self.service
        alert = s.alerts.get(alert_id)
        if alert is None or not alert.active:
            state = alert.state if alert is not None else "gone"
            self._withhold(party, alert_id, f"alert already {state}")
            return
        if party in s.channel_state()["suspended"]:
            self._withhold(party, alert_id, "channel suspended by this party")
            return
        s.answer(party, alert_id, response, text)

    def _withhold(self, party: str, alert_id: str, why: str) -> None:
        self.withheld.append(
            {"party": party, "alert": alert_id, "at": self.clock.now(), "why": why}
        )
        self.recorder.note(party, "withheld", alert_id, f"no answer: {why}")


def _track(flight: Flight, states: FlightStates, k: int) -> dict[str, Any]:
    return {
        "id": flight.id,
        "time": iso(float(states.time_s[k])),
        "lat": round(float(states.lat[k]), 7),
        "lon": round(float(states.lon[k]), 7),
        "alt_m": round(float(states.alt_m[k]), 2),
        "gs_mps": round(float(states.gs_mps[k]), 3),
        "track_deg": round(float(states.track_deg[k]), 4),
        "vs_mps": round(float(states.vs_mps[k]), 3),
    }


def replay(
    scenario: Scenario,
    *,
    speed: float | None = None,
    progress: bool | None = None,
) -> ReplayResult:
    """Play ``scenario`` through a fresh service; ``speed`` paces it at real time × speed
    (default: as fast as possible); ``progress`` shows a bar on stderr (default: when
    stderr is a terminal)."""
    if speed is not None and not speed > 0:
        raise InvalidInput(f"--speed: must be > 0, got {speed}")
    config = build_config(scenario)
    countries = parse_borders(scenario.borders, "borders") if scenario.borders is not None else ()
    clock = SimClock(scenario.start_s)
    signer = replay_signer(scenario)
    recorder = Recorder(clock.now)
    wall0 = time.monotonic()

    def pace(t: float) -> None:
        if speed is not None:
            wait = wall0 + (t - scenario.start_s) / speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    steps = scenario.step_times()
    show = sys.stderr.isatty() if progress is None else progress
    bar: Any = None
    if show and len(steps) > 50:
        from tqdm import tqdm

        bar = tqdm(total=len(steps), unit="step", desc=scenario.name[:40], file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="deconflict-replay-") as tmp:
        db = open_database(str(Path(tmp) / "replay.db"), create=True)
        with db:
            db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
            log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
            service = Service(
                db,
                log,
                config=config,
                clock=clock,
                publish=recorder.publish,
                countries=countries,
            )
            for name, language in scenario.parties:
                service.add_party(name, language)
            player = _Player(
                scenario,
                service,
                recorder,
                clock,
                pace=pace,
                on_step=(lambda: bar.update(1)) if bar is not None else (lambda: None),
            )
            try:
                player.run()
            finally:
                if bar is not None:
                    bar.close()
            head = log.head()
            export = list(log.export_lines())
            channel = service.channel_state()["history"]
            messages = list(service.messages)
    return ReplayResult(
        scenario=scenario,
        config=config,
        recorder=recorder,
        flights=player.flights,
        declared=player.declared,
        channel=channel,
        messages=messages,
        head=head,
        export=export,
        withheld=player.withheld,
    )
