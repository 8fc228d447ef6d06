"""The live picture: every party's current tracks and declarations, and detection on it.

Tracks are kept per party under a qualified id ``party/id`` (two parties may use the same
id for different things); alerts show each party's own ids. Detection is incremental: the
tracks reported since the last run are checked against the standing picture, and a full
pass runs as a safety net. :meth:`LivePicture.evaluate` says which alerts it found and what
it covered, so that an alert it covered and did not find again can be closed. What a
report or a declaration must be is :mod:`~deconflict.service.reports`' and
:mod:`~deconflict.service.declared`'s.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import Conflict
from .config import ServiceConfig
from .declared import Declared, anchor, parse_declarations
from .detection import run_detectors
from .findings import Coverage, Found
from .reports import TrackReport, qid, tracks_at

__all__ = ["LivePicture", "PictureView", "warm_up"]


@dataclass
class PictureView:
    """What one detection run reads, taken under the service's lock and then used without
    it: the reports as they were, the declarations parsed, the separation detector (which
    has its own lock) and the settings."""

    config: ServiceConfig
    reports: dict[str, tuple[str, TrackReport]]
    live: Any
    countries: tuple[Any, ...]
    parsed: Any

    def records(self) -> Any:
        return self.parsed

    def tracks_at(self, now: float, qids: Iterable[str] | None = None) -> Any:
        return tracks_at(self.reports, now, qids)


class LivePicture:
    """Tracks and declarations of every party, with detection over them."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        """Guards the tracks, the declarations and the change set (reports arrive from the
        commit thread while the service's lock is held for alerts)."""
        self.reports: dict[str, tuple[str, TrackReport]] = {}
        self._held: dict[str, set[str]] = {}
        """Each party's track ids in ``reports`` (for the per-party cap)."""
        self._oldest_s = math.inf
        """At most the oldest report time in ``reports`` (POSIX s): no track is stale
        before it is ``track_max_age_s`` old."""
        self._live: Any = None
        self.changed: set[str] = set()
        self.countries: tuple[Any, ...] = ()
        self.declared: dict[tuple[str, str], Declared] = {}
        self.features_dirty = True
        self._records: Any = None
        self._last_features = -math.inf
        self._last_sweep = -math.inf
        self._sweep_order: list[str] = []
        self._sweep_at = 0
        self._sweep_order_left = 0
        self.observer: Callable[[dict[str, Any]], None] | None = None
        """Told every change of the tracks and declarations, under the lock, in order, as
        JSON (the shapes :func:`deconflict.cluster.share.apply_change` applies)."""
        self.detects = True
        """Whether detection runs on this picture (see :meth:`set_detects`)."""
        self.version = 0
        """Counts the changes of the tracks and declarations (each told to
        :attr:`observer` with it, as ``v``): how new a copy of this picture is."""

    @property
    def live(self) -> Any:
        """The incremental separation detector over the standing tracks (made on first use)."""
        if self._live is None:
            from ..detect.live import LivePairs

            self._live = LivePairs(
                lookahead_s=self.config.lookahead_s,
                h_sep_m=self.config.h_sep_m,
                v_sep_m=self.config.v_sep_m,
                between_parties=True,
            )
        return self._live

    # -- tracks ----------------------------------------------------------------------

    def upsert_tracks(self, party: str, reports: Sequence[TrackReport]) -> None:
        """Take the newer of each report and the state held; mark them changed."""
        with self.lock:
            fresh = []
            for r in reports:
                q = qid(party, r.id)
                held = self.reports.get(q)
                if held is None or r.time_s >= held[1].time_s:
                    self.reports[q] = (party, r)
                    fresh.append(r)
                    if r.time_s < self._oldest_s:
                        self._oldest_s = r.time_s
            if not fresh:
                return
            self._held.setdefault(party, set()).update(r.id for r in fresh)
            self.version += 1
            if self.observer is not None:
                self.observer(
                    {"op": "tracks", "party": party, "rows": [r.row() for r in fresh]}
                    | {"v": self.version}
                )
            if self.detects:
                self._detect([(party, r) for r in fresh])

    def _detect(self, held: Sequence[tuple[str, TrackReport]]) -> None:
        """Put ``held`` (party, report) into the separation detector; mark them changed."""
        from ..model import Tracks

        tracks = Tracks(
            id=[qid(p, r.id) for p, r in held],
            party=[p for p, _ in held],
            lat_deg=[r.lat_deg for _, r in held],
            lon_deg=[r.lon_deg for _, r in held],
            alt_m=[r.alt_m for _, r in held],
            gs_mps=[r.gs_mps for _, r in held],
            track_deg=[r.track_deg for _, r in held],
            vs_mps=[r.vs_mps for _, r in held],
        )
        self.live.upsert(tracks, np.array([r.time_s for _, r in held], dtype=np.float64))
        self.changed.update(tracks.id.tolist())

    def set_detects(self, on: bool) -> None:
        """Run detection on this picture, or not (a cluster's recorder while detectors
        do it: the separation detector is dropped, and made again from the standing
        tracks, all marked changed, when detection comes back here)."""
        with self.lock:
            if on == self.detects:
                return
            self.detects = on
            self._live = None
            self.changed.clear()
            self.features_dirty = True
            if on and self.reports:
                self._detect(list(self.reports.values()))

    def snapshot(self) -> dict[str, Any]:
        """The tracks and declarations whole, as JSON (what
        :func:`deconflict.cluster.share.load_snapshot` takes): consistent with the
        changes told to :attr:`observer` before and after it."""
        with self.lock:
            tracks = [[p, *r.row()] for _, (p, r) in sorted(self.reports.items())]
            declared = [
                self._set_change(d)
                for d in sorted(self.declared.values(), key=lambda d: d.created_at)
            ]
            version = self.version
        return {"tracks": tracks, "declared": declared, "version": version}

    def tracks_of(self, party: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {**r.to_json(), "party": p}
                for q, (p, r) in sorted(self.reports.items())
                if p == party
            ]

    def tracks_at(self, now: float, qids: Iterable[str] | None = None) -> Any:
        """The tracks ``qids`` (default: all), dead-reckoned to ``now``, sorted by id."""
        return tracks_at(self.reports, now, qids)

    def drop_stale(self, now: float) -> list[str]:
        """Qualified ids of tracks not reported for longer than the maximum age.

        The tracks are looked at only once the oldest report time seen could be stale:
        re-reported tracks cost a detection round nothing here."""
        with self.lock:
            limit = now - self.config.track_max_age_s
            if limit <= self._oldest_s:
                return []
            stale, oldest = [], math.inf
            for q, (_, r) in self.reports.items():
                if r.time_s < limit:
                    stale.append(q)
                if r.time_s < oldest:
                    oldest = r.time_s
            self._oldest_s = oldest
            return stale

    def unheld(self, party: str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that ``party`` holds no track of: what a report of ``ids``
        would add to its live tracks."""
        with self.lock:
            held = self._held.get(party, set())
            return {i for i in ids if i not in held}

    def held_count(self, party: str) -> int:
        """How many live tracks ``party`` holds."""
        with self.lock:
            return len(self._held.get(party, ()))

    def keys_of(self, qids: Iterable[str]) -> list[tuple[str, str]]:
        with self.lock:
            return [(self.reports[q][0], self.reports[q][1].id) for q in qids if q in self.reports]

    def forget(self, qids: Sequence[str]) -> None:
        """Remove tracks from the picture."""
        with self.lock:
            if not qids:
                return
            self.version += 1
            if self.observer is not None:
                self.observer({"op": "forget", "tracks": list(qids), "v": self.version})
            if self.detects:
                self.live.remove(list(qids))
            for q in qids:
                gone = self.reports.pop(q, None)
                if gone is not None:
                    self._held.get(gone[0], set()).discard(gone[1].id)
                self.changed.discard(q)

    # -- declarations ----------------------------------------------------------------

    def parse_declarations(
        self, doc: Any, party: str, *, expect: str, now: float
    ) -> list[Declared]:
        """:func:`~deconflict.service.declared.parse_declarations` under this picture's
        settings."""
        return parse_declarations(doc, party, expect=expect, now=now, config=self.config)

    def check_room(self, party: str, ids: Iterable[str]) -> None:
        """Raise :class:`~deconflict.errors.Conflict` if declaring ``ids`` would give
        ``party`` more than ``max_declarations_per_party`` declarations (an id it holds
        is replaced, a new one adds one)."""
        cap = self.config.max_declarations_per_party
        with self.lock:
            held = {i for p, i in self.declared if p == party}
        new = set(ids) - held
        if len(held) + len(new) > cap:
            raise Conflict(
                f"body: {len(new)} new declaration(s) would give {party!r} "
                f"{len(held) + len(new)}; at most {cap} per party (positions, intents and "
                "zones together)"
            )

    def set_feature(
        self,
        party: str,
        id: str,
        kind: str,
        feature: dict[str, Any],
        consents: Sequence[str],
        created_at: float,
    ) -> None:
        with self.lock:
            lat, lon = anchor(feature)
            props = feature.get("properties", {})
            self.declared[(party, id)] = Declared(
                party=party,
                id=id,
                kind=kind,
                feature_kind=str(props.get("kind", "zone")),
                feature=feature,
                consents=list(consents),
                created_at=created_at,
                lat_deg=lat,
                lon_deg=lon,
                starts_s=None,
            )
            self.features_dirty = True
            self._records = None
            self.version += 1
            if self.observer is not None:
                self.observer(self._set_change(self.declared[(party, id)]) | {"v": self.version})

    @staticmethod
    def _set_change(d: Declared) -> dict[str, Any]:
        return {
            "op": "set",
            "party": d.party,
            "id": d.id,
            "kind": d.kind,
            "feature": d.feature,
            "consents": list(d.consents),
            "created_at": d.created_at,
        }

    def remove_feature(self, party: str, id: str, tracks: Iterable[str] = ()) -> None:
        """Take ``party``'s declaration ``id`` out; ``tracks`` (qualified ids: those of
        the alerts it was a subject of) are checked again on the next run, so that those
        alerts close then."""
        tracks = list(tracks)
        with self.lock:
            self.declared.pop((party, id), None)
            self.version += 1
            if self.observer is not None:
                change = {"op": "remove", "party": party, "id": id, "tracks": tracks}
                self.observer(change | {"v": self.version})
            if self.detects:
                self.changed.update(q for q in tracks if q in self.reports)
            self.features_dirty = True
            self._records = None

    def zone_owner(self, zone_id: str) -> str | None:
        for (party, id), d in self.declared.items():
            if d.kind == "zone" and id == zone_id:
                return party
        return None

    def zone_feature(self, zone_id: str) -> dict[str, Any]:
        owner = self.zone_owner(zone_id)
        assert owner is not None
        d = self.declared[(owner, zone_id)]
        feature: dict[str, Any] = json.loads(json.dumps(d.feature))
        props = feature["properties"]
        named = list(props.get("parties") or [])
        props["consents"] = list(d.consents)
        props["awaiting_consent"] = [p for p in named if p not in d.consents]
        props["owner"] = owner
        return feature

    def zone_features(self) -> list[dict[str, Any]]:
        ids = sorted(id for (_, id), d in self.declared.items() if d.kind == "zone")
        return [self.zone_feature(z) for z in ids]

    def features_of(self, party: str, kinds: set[str]) -> list[dict[str, Any]]:
        return [
            d.feature
            for (p, _), d in sorted(self.declared.items())
            if p == party and d.kind in kinds
        ]

    def records(self) -> Any:
        """The declarations as one core FeatureSet, in declaration order. Each declaration
        is parsed once, when first needed after it is set: a change costs its own parse,
        not every other declaration's again."""
        from .. import features

        if self._records is None:
            groups: tuple[list[Any], ...] = ([], [], [], [], [])
            for (_, _), d in sorted(self.declared.items(), key=lambda kv: kv[1].created_at):
                if d.parsed is None:
                    d.parsed = features.parse_features(d.feature, f"{d.party}/{d.id}")
                part = d.parsed
                for group, records in zip(
                    groups,
                    (part.zones, part.positions, part.strikes, part.volumes, part.movements),
                    strict=True,
                ):
                    group.extend(records)
            self._records = features.FeatureSet(*map(tuple, groups))
        return self._records

    # -- detection -------------------------------------------------------------------

    def _sweep(self, now: float) -> set[str]:
        """The next slice of the standing tracks to re-check, sized so that every track
        is re-checked once every ``full_pass_s`` seconds."""
        dt = now - self._last_sweep if math.isfinite(self._last_sweep) else 0.0
        self._last_sweep = now
        if not self.reports or dt <= 0:
            return set()
        if self._sweep_order_left <= 0 or not self._sweep_order:
            self._sweep_order = sorted(self.reports)
            self._sweep_at = 0
            self._sweep_order_left = len(self._sweep_order)
        n = len(self._sweep_order)
        take = min(n, max(1, math.ceil(n * dt / self.config.full_pass_s)))
        start = self._sweep_at
        piece = self._sweep_order[start : start + take]
        self._sweep_at = start + take
        self._sweep_order_left -= take
        if self._sweep_at >= n:
            self._sweep_order_left = 0
        return {q for q in piece if q in self.reports}

    def begin(self, now: float, *, full: bool) -> tuple[PictureView, Coverage]:
        """Take what a detection run needs (call under the service's lock): the tracks
        changed since the last run (every track when ``full``) and, when they changed or
        once a second, the declarations."""
        with self.lock:
            features = full or self.features_dirty or now - self._last_features >= 1.0
            changed = set(self.changed)
            self.changed.clear()
            if not full:
                changed |= self._sweep(now)
            coverage = Coverage(all_tracks=full, tracks=changed, features=features)
            if features:
                self._last_features = now
                self.features_dirty = False
            live = self.live if self.reports else None
            view = PictureView(
                self.config, dict(self.reports), live, self.countries, self.records()
            )
            return view, coverage

    def evaluate(self, now: float, *, full: bool) -> tuple[list[Found], Coverage]:
        """:meth:`begin` and the detection run in one call."""
        view, coverage = self.begin(now, full=full)
        return run_detectors(view, now, coverage), coverage


def warm_up(config: ServiceConfig, now: float) -> None:
    """Load and compile the detectors on a throwaway picture at ``now`` (POSIX s), so
    that the first real report is not slowed by it (the compiled code is cached on disk
    after one run). Needs no store: a standby recorder does it before it takes over."""
    scratch = LivePicture(config)
    reports = [
        TrackReport("a", now, 0.0, 0.0, 9000.0, 200.0, 90.0, 0.0),
        TrackReport("b", now, 0.0, 0.5, 9000.0, 200.0, 270.0, 0.0),
    ]
    scratch.upsert_tracks("warm-a", reports[:1])
    scratch.upsert_tracks("warm-b", reports[1:])
    scratch.evaluate(now, full=False)
    scratch.upsert_tracks("warm-a", reports[:1])
    scratch.evaluate(now, full=True)
