"""Service settings: separation minima, lookahead, track age, answer deadlines, limits."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..bounds import MAX_LENGTH_M, MAX_SECONDS
from ..errors import InvalidInput
from ..kinds import KINDS

__all__ = ["DEFAULT_DEADLINES_S", "DEFAULT_LADDER_S", "ServiceConfig", "parse_ladder"]

DEFAULT_DEADLINES_S: Mapping[str, float] = {k.name: k.deadline_s for k in KINDS.values()}
"""Longest time a party has to answer an alert of each kind, seconds (the registry's)."""

DEFAULT_LADDER_S: Mapping[str, tuple[float, float]] = {
    **{k.name: k.ladder_s for k in KINDS.values()},
    "*": (60.0, 120.0),
}
"""The escalation ladder's two steps per alert kind (``*``: any other kind), seconds
after an alert is raised: unanswered past the first it goes to the party's supervisors
too, past the second to every officer."""


def parse_ladder(text: str) -> tuple[str, tuple[float, float]]:
    """``KIND=FIRST,SECOND`` (seconds) as ``(kind, (first, second))``."""
    kind, eq, steps = text.partition("=")
    first, comma, second = steps.partition(",")
    try:
        pair = (float(first), float(second))
    except ValueError:
        pair = None
    if not eq or not comma or not kind.strip() or pair is None:
        raise InvalidInput(f"ladder {text!r}: write KIND=FIRST,SECOND (seconds)")
    return kind.strip(), pair


@dataclass(frozen=True)
class ServiceConfig:
    """What a running service is tuned with (SI units).

    Attributes
    ----------
    lookahead_s, h_sep_m, v_sep_m
        Separation: lookahead T (s), horizontal and vertical minima (m).
    track_max_age_s
        A track not re-reported for this long is dropped from the picture.
    max_future_s
        A report stamped more than this ahead of the service clock is refused.
    deadlines_s
        Answer deadline per alert kind (s). Kinds with a time to conflict
        (separation, zone-entry, strike-proximity, border-crossing) get at most half that
        time, and never less than :attr:`min_deadline_s`.
    min_deadline_s
        Floor of a deadline shortened by the time to conflict.
    material_t_s, material_m
        An alert is updated (logged, pushed) when its time moves by more than
        ``material_t_s`` or its place by more than ``material_m``.
    full_pass_s
        Every standing track is re-checked at least this often, a slice per detection
        run (the safety net behind the incremental checks of what changed).
    detect_interval_s
        Shortest time between two incremental detection runs (changes are coalesced).
    max_batch
        Most records in one request.
    rate_per_s, burst
        Per-party request rate limit: sustained requests per second and burst size.
    max_tracks_per_party
        Most live tracks one party may hold; a report that would take it past this is
        refused whole (409). Tracks leave the picture ``track_max_age_s`` after their
        last report.
    max_declarations_per_party
        Most declarations (positions, intents and zones together) one party may hold; a
        request that would take it past this is refused whole (409).
    max_zone_vertices, max_intent_vertices
        Most vertices of one zone (its line and ``within`` together), and of one volume
        intent (ASTM F3548's figures by default: 1,000 and 10,000); more is refused (400).
    max_zone_area_m2
        Largest area of one zone, m² on the WGS84 ellipsoid (a circle's cap, a
        side-of-a-line zone's whole ``within``); 10,000 km² by default, after ASTM F3548.
    movement_notice_s
        The notice a planned ground movement is declared with (its ``start`` less the
        time it is declared), seconds; 48 h by default, as humanitarian notification
        systems ask of a convoy. Shorter notice is accepted but flagged
        (``short_notice`` on the declaration's answer and its ``declaration`` alert).
    readback_mismatch_m
        A ``wilco`` whose ``understood`` place lies further than this from what was
        declared (metres, 500 by default) is a readback mismatch, told to both parties.
    max_alert_changes
        Most alert changes (raised or updated) one detection run makes; the rest wait
        for the next runs, shared fairly between the sets of parties they involve, the
        soonest first (:mod:`deconflict.service.admission`). Bounds how long one run holds
        the service's lock when a party floods the line with conflicts.
    ladder_s
        The escalation ladder's two steps per alert kind, seconds after it was raised
        (:data:`DEFAULT_LADDER_S`; ``*`` for kinds not named): each must be > 0, the
        second at least the first.
    head_interval_s
        When > 0, the tree head the service publishes (``GET /v1/log/head``, the head of
        every party's export, the largest tree proofs are given for) is signed once per
        this many seconds, on a fixed cadence, instead of at every write; 0 (default):
        a head per write.
    public_stats
        Whether ``GET /v1/status`` also gives every party the service-wide figures
        (detection runs and their time, commit batches), which follow every party's
        activity; off by default, for benchmarks and operators' own tests.
    """

    lookahead_s: float = 300.0
    h_sep_m: float = 9260.0
    v_sep_m: float = 304.8
    track_max_age_s: float = 60.0
    max_future_s: float = 5.0
    deadlines_s: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DEADLINES_S))
    min_deadline_s: float = 10.0
    ladder_s: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_LADDER_S)
    )
    material_t_s: float = 15.0
    material_m: float = 1000.0
    full_pass_s: float = 10.0
    detect_interval_s: float = 0.005
    max_batch: int = 10_000
    rate_per_s: float = 200.0
    burst: int = 400
    max_tracks_per_party: int = 20_000
    max_declarations_per_party: int = 10_000
    max_zone_vertices: int = 1_000
    max_intent_vertices: int = 10_000
    max_zone_area_m2: float = 1e10
    max_alert_changes: int = 500
    movement_notice_s: float = 48 * 3600.0
    readback_mismatch_m: float = 500.0
    public_stats: bool = False
    head_interval_s: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            number = isinstance(value, float | int) and not isinstance(value, bool)
            if number and (not math.isfinite(value) or value < 0):
                raise InvalidInput(f"{f.name}: must be a finite number >= 0, got {value}")
        for kind, seconds in self.deadlines_s.items():
            if not math.isfinite(seconds) or seconds <= 0:
                raise InvalidInput(f"deadline for {kind!r}: must be > 0 seconds, got {seconds}")
        for kind, (first, second) in self.ladder_s.items():
            if not (math.isfinite(first) and math.isfinite(second) and 0 < first <= second):
                raise InvalidInput(
                    f"ladder for {kind!r}: steps must be > 0 seconds, the second at least "
                    f"the first, got {first}, {second}"
                )
        if self.h_sep_m <= 0 or self.v_sep_m <= 0 or self.lookahead_s <= 0:
            raise InvalidInput("lookahead_s, h_sep_m and v_sep_m must be > 0")
        for name, value, top, unit in (
            ("lookahead_s", self.lookahead_s, MAX_SECONDS, "s"),
            ("h_sep_m", self.h_sep_m, MAX_LENGTH_M, "m"),
            ("v_sep_m", self.v_sep_m, MAX_LENGTH_M, "m"),
        ):
            if value > top:
                raise InvalidInput(f"{name}: at most {top:g} {unit} (the detectors' domain)")
        if self.max_tracks_per_party < 1:
            raise InvalidInput(
                f"max_tracks_per_party: must be at least 1, got {self.max_tracks_per_party}"
            )
        for name in ("max_declarations_per_party", "max_zone_vertices", "max_intent_vertices"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"{name}: must be at least 1, got {getattr(self, name)}")
        if self.max_zone_area_m2 <= 0:
            raise InvalidInput(f"max_zone_area_m2: must be > 0, got {self.max_zone_area_m2}")

    def with_overrides(self, **values: Any) -> ServiceConfig:
        """A copy with the given fields replaced (``None`` values ignored)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        """Defaults overridden by ``DECONFLICT_<FIELD>`` variables (e.g. ``DECONFLICT_H_SEP_M``).

        ``DECONFLICT_DEADLINE_<KIND>`` (kind upper-cased, ``-`` as ``_``) sets one deadline;
        ``DECONFLICT_LADDER_<KIND>=S1,S2`` one kind's ladder (``ANY`` for ``*``).
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = "DECONFLICT_" + f.name.upper()
            if name in env and f.type == "bool":
                values[f.name] = env[name].strip().lower() in ("1", "true", "yes", "on")
            elif name in env and f.name not in ("deadlines_s", "ladder_s"):
                try:
                    values[f.name] = int(env[name]) if f.type == "int" else float(env[name])
                except ValueError as exc:
                    raise InvalidInput(f"{name}: not a number: {env[name]!r}") from exc
        deadlines = dict(DEFAULT_DEADLINES_S)
        for kind in deadlines:
            name = "DECONFLICT_DEADLINE_" + kind.upper().replace("-", "_")
            if name in env:
                try:
                    deadlines[kind] = float(env[name])
                except ValueError as exc:
                    raise InvalidInput(f"{name}: not a number: {env[name]!r}") from exc
        ladder = dict(DEFAULT_LADDER_S)
        for name, text in env.items():
            if name.startswith("DECONFLICT_LADDER_"):
                kind = name.removeprefix("DECONFLICT_LADDER_").lower().replace("_", "-")
                ladder.update([parse_ladder(f"{'*' if kind == 'any' else kind}={text}")])
        return cls(deadlines_s=deadlines, ladder_s=ladder, **values)

    def deadline_s(self, kind: str, t_s: float | None) -> float:
        """Seconds a party has to answer an alert of ``kind`` due in ``t_s`` seconds."""
        base = self.deadlines_s.get(kind, 600.0)
        entry = KINDS.get(kind)
        if t_s is None or entry is None or not entry.shortened:
            return base
        return max(self.min_deadline_s, min(base, 0.5 * t_s))

    def ladder_steps(self, kind: str) -> tuple[float, float]:
        """The ladder's two steps for an alert of ``kind``, seconds after it was raised."""
        steps = self.ladder_s.get(kind) or self.ladder_s.get("*") or DEFAULT_LADDER_S["*"]
        return (float(steps[0]), float(steps[1]))
