"""Replay a scenario through the live service on a simulated clock.

:func:`replay` builds a :class:`~deconflict.service.core.Service` on a fresh SQLite
database in a temporary directory, with a :class:`~deconflict.service.clock.SimClock`
starting at the scenario's start, a signing key derived from the scenario's bytes and
the randomness of the record (ledger salts, alert and message ids) drawn from a stream
seeded from them too (:func:`replay_entropy`), then plays the timeline: declarations,
consents, channel changes, messages, track reports of every flight, the answers the
policies call for, and a detection round (``service.step()``) every ``step_s``. It is
the same ingest → detect → hotline → ledger path as the live service; only the clock,
the randomness and the input differ. The same file always gives the same record, byte
for byte.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..entropy import Entropy
from ..errors import InvalidInput
from ..features import parse_borders
from ..ledger.log import PUBLIC_KEY_META, Log
from ..ledger.signing import SignedTreeHead, Signer, b64encode
from ..service.clock import SimClock, to_datetime
from ..service.config import DEFAULT_DEADLINES_S, ServiceConfig
from ..service.core import Service
from ..store import open_database
from .flight import FlightStates
from .model import Flight, Scenario
from .player import Player
from .recorder import Recorder

__all__ = ["ReplayResult", "build_config", "replay", "replay_entropy", "replay_signer"]


def replay_signer(scenario: Scenario) -> Signer:
    """The replay's Ed25519 key: derived from the scenario's bytes (same file, same key)."""
    seed = hashlib.sha256(b"deconflict scenario replay key\x00" + scenario.source).digest()
    return Signer(Ed25519PrivateKey.from_private_bytes(seed))


def replay_entropy(scenario: Scenario) -> Entropy:
    """The replay's salts and ids: a stream seeded from the scenario's bytes.

    A replay is a simulation, not a record parties rely on against each other: its salts
    are as predictable as the file it replays (a live service draws them from the OS)."""
    return Entropy.seeded(b"deconflict scenario replay entropy\x00" + scenario.source)


def build_config(scenario: Scenario) -> ServiceConfig:
    """The service's settings: the defaults, overridden by the scenario's ``settings``.

    The operator's bounds on declarations (vertices, zone area, declarations per party)
    are raised, where they must be, to hold what the scenario itself declares: a
    scenario is the operator's own file, and one that loads always plays whole.
    """
    s = scenario.settings
    deadlines = dict(DEFAULT_DEADLINES_S)
    deadlines.update({k: float(v) for k, v in (s.get("deadlines_s") or {}).items()})
    config = ServiceConfig(deadlines_s=deadlines).with_overrides(
        lookahead_s=s.get("lookahead_s"),
        h_sep_m=s.get("h_sep_m"),
        v_sep_m=s.get("v_sep_m"),
        track_max_age_s=s.get("track_max_age_s"),
        full_pass_s=s.get("full_pass_s"),
    )
    return _fitting(config, scenario)


def _fitting(config: ServiceConfig, scenario: Scenario) -> ServiceConfig:
    """``config`` with its declaration bounds raised to what ``scenario`` declares."""
    from ..detect.areas import declared_area_m2
    from ..features import count_vertices, parse_features

    zone_vertices, intent_vertices = config.max_zone_vertices, config.max_intent_vertices
    area = config.max_zone_area_m2
    ids: dict[str, set[str]] = {}
    for action in scenario.actions:
        if action.kind != "declare":
            continue
        for feature in action.data["doc"]["features"]:
            props = feature["properties"]
            ids.setdefault(action.party, set()).add(str(props.get("id")))
            n = count_vertices(feature.get("geometry")) + count_vertices(props.get("within"))
            if props.get("kind") == "volume":
                intent_vertices = max(intent_vertices, n)
            elif action.data["endpoint"] == "zones":
                zone_vertices = max(zone_vertices, n)
                area = max(area, *map(declared_area_m2, parse_features(feature).zones))
    held = max((len(v) for v in ids.values()), default=0)
    return config.with_overrides(
        max_zone_vertices=zone_vertices,
        max_intent_vertices=intent_vertices,
        max_zone_area_m2=area,
        max_declarations_per_party=max(config.max_declarations_per_party, held),
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
    releases: list[dict[str, Any]] = field(default_factory=list)
    """Each weapon release of the timeline: ``party``, ``strike``, ``at`` POSIX s,
    ``made`` (else held by the stop request ``held_by``)."""


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
    entropy = replay_entropy(scenario)
    recorder = Recorder(clock.now)
    wall0 = time.monotonic()

    def wait(t: float) -> bool:
        if speed is not None:
            pause = wall0 + (t - scenario.start_s) / speed - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        if t > clock.now():
            clock.set(t)
        return True

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
            log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()), salt=entropy.salt)
            service = Service(
                db,
                log,
                config=config,
                clock=clock,
                publish=recorder.publish,
                countries=countries,
                entropy=entropy,
            )
            for name, language in scenario.parties:
                service.add_party(name, language)
            player = Player(
                scenario,
                service,
                recorder,
                wait=wait,
                steps=True,
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
        releases=player.releases,
    )
