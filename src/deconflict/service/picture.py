"""The live picture: every party's current tracks and declarations, and detection on it.

Tracks are kept per party under a qualified id ``party/id`` (two parties may use the same
id for different things); alerts show each party's own ids. Detection is incremental: the
tracks reported since the last run are checked against the standing picture, and a full
pass runs as a safety net. :meth:`Picture.evaluate` says which alerts it found and what
it covered, so that an alert it covered and did not find again can be closed.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..bounds import TRACK_BOUNDS, Range
from ..errors import Conflict, InvalidInput
from ..timefmt import parse_time
from .clock import iso
from .config import ServiceConfig
from .detection import run_detectors
from .findings import Coverage, Found

__all__ = [
    "Coverage",
    "Declared",
    "Found",
    "Picture",
    "TrackReport",
    "parse_track_reports",
]

_NUMBERS = ("lat", "lon", "alt_m", "gs_mps", "track_deg", "vs_mps")
assert set(_NUMBERS) == set(TRACK_BOUNDS)
_KINDS_BY_ENDPOINT = {
    "positions": ("forces", "protected"),
    "intents": ("strike", "volume"),
    "zones": ("zone",),
}


@dataclass(frozen=True)
class TrackReport:
    """One track as reported: id, time (POSIX s) and state (degrees, m, m/s)."""

    id: str
    time_s: float
    lat: float
    lon: float
    alt_m: float
    gs_mps: float
    track_deg: float
    vs_mps: float
    time_text: str | None = None
    """The time as reported (ISO 8601), kept for the record; None: made from ``time_s``."""

    def row(self) -> tuple[str, float, float, float, float, float, float, float]:
        return (
            self.id,
            self.time_s,
            self.lat,
            self.lon,
            self.alt_m,
            self.gs_mps,
            self.track_deg,
            self.vs_mps,
        )

    def to_json(self) -> dict[str, Any]:
        """The track object as logged: the reported time text and the numbers."""
        return {
            "id": self.id,
            "time": self.time_text if self.time_text is not None else iso(self.time_s),
            "lat": self.lat,
            "lon": self.lon,
            "alt_m": self.alt_m,
            "gs_mps": self.gs_mps,
            "track_deg": self.track_deg,
            "vs_mps": self.vs_mps,
        }


def parse_track_reports(
    items: Any,
    party: str,
    *,
    now: float,
    max_future_s: float,
    max_age_s: float,
    max_batch: int,
) -> list[TrackReport]:
    """Validate a batch of track objects from ``party``; all or nothing.

    The batch holds 1 to ``max_batch`` tracks. Each needs ``id`` (1–64 characters),
    ``time`` (ISO 8601) and the numbers ``lat``, ``lon``, ``alt_m``, ``gs_mps``,
    ``track_deg``, ``vs_mps``, each within its bound of
    :data:`~deconflict.bounds.TRACK_BOUNDS` (JSON numbers: not booleans, not strings);
    ``party``, if given, must be the caller. A time more than ``max_future_s`` ahead of
    ``now`` or more than ``max_age_s`` behind it is refused (clock skew). The same id
    twice in a batch keeps the later report.
    """
    if not isinstance(items, list):
        raise InvalidInput("body: a JSON list of track objects")
    if not items:
        raise InvalidInput("body: an empty list of tracks; a report holds at least one track")
    if len(items) > max_batch:
        raise InvalidInput(f"body: {len(items)} tracks; at most {max_batch} per request")
    out: dict[str, TrackReport] = {}
    for i, item in enumerate(items):
        where = f"tracks[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where}: not an object")
        if "party" in item and item["party"] != party:
            raise InvalidInput(
                f"{where}.party: {item['party']!r} is not the caller ({party!r}); "
                "a party reports only its own tracks"
            )
        tid = item.get("id")
        if not isinstance(tid, str) or not 1 <= len(tid) <= 64 or not tid.isprintable():
            raise InvalidInput(f"{where}.id: a printable string of 1 to 64 characters")
        text = item.get("time")
        if not isinstance(text, str):
            raise InvalidInput(f"{where}.time: an ISO 8601 time string")
        try:
            t = parse_time(text)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}.time: {exc}") from exc
        if t > now + max_future_s:
            raise InvalidInput(
                f"{where}.time: {text} is {t - now:.1f} s ahead of the service clock "
                f"(at most {max_future_s:g} s allowed)"
            )
        if t < now - max_age_s:
            raise InvalidInput(
                f"{where}.time: {text} is {now - t:.1f} s old (tracks older than "
                f"{max_age_s:g} s are dropped)"
            )
        values = {
            name: _bounded(item.get(name), f"{where}.{name}", TRACK_BOUNDS[name])
            for name in _NUMBERS
        }
        report = TrackReport(tid, t, **values, time_text=text)
        prev = out.get(tid)
        if prev is None or report.time_s >= prev.time_s:
            out[tid] = report
    return list(out.values())


def _bounded(value: Any, where: str, bound: Range) -> float:
    """``value`` as a float if it is a JSON number within ``bound``; else InvalidInput
    naming ``where`` and the bound (integers too large for a float included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise InvalidInput(f"{where}: a number in {bound}, got {shown}")
    try:
        x = float(value)
    except OverflowError:  # only an int can be too large for a float
        bits = value.bit_length() if isinstance(value, int) else 0
        raise InvalidInput(f"{where}: an integer of {bits} bits is outside {bound}") from None
    if not math.isfinite(x):
        raise InvalidInput(f"{where}: a finite number in {bound}, got {x}")
    if x not in bound:
        raise InvalidInput(f"{where}: {x} is outside {bound}")
    return x + 0.0  # -0.0 is kept as 0.0


@dataclass
class Declared:
    """A position, intent or zone as declared (the GeoJSON kept as accepted)."""

    party: str
    id: str
    kind: str
    """``position``, ``strike``, ``volume`` or ``zone``."""
    feature_kind: str
    """``forces``, ``protected``, ``strike``, ``volume`` or ``zone``."""
    feature: dict[str, Any]
    consents: list[str]
    created_at: float
    lat: float
    lon: float
    starts_s: float | None
    parsed: Any = None
    """Its records (a core FeatureSet), parsed once when first needed."""


def _qid(party: str, id: str) -> str:
    return f"{party}/{id}"


def _anchor(feature: Mapping[str, Any]) -> tuple[float, float]:
    geom = shapely.geometry.shape(feature["geometry"])
    pt = geom if geom.geom_type == "Point" else geom.representative_point()
    return float(pt.y), float(pt.x)


def tracks_at(
    reports: Mapping[str, tuple[str, TrackReport]], now: float, qids: Iterable[str] | None = None
) -> Any:
    """The reported tracks ``qids`` (default: all) dead-reckoned to ``now``, sorted by id
    (a :class:`~deconflict.model.Tracks` over qualified ids)."""
    from ..geo import dead_reckon, wrap_lon
    from ..model import Tracks

    keys = sorted(reports) if qids is None else sorted(set(qids) & reports.keys())
    if not keys:
        return Tracks.empty()
    held = [reports[q] for q in keys]
    cols = np.array([r.row()[1:] for _, r in held], dtype=np.float64)
    lat, lon, alt, trk = dead_reckon(
        cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4], cols[:, 5], cols[:, 6],
        now - cols[:, 0],
    )  # fmt: skip
    return Tracks(
        id=keys,
        party=[p for p, _ in held],
        lat=lat,
        lon=wrap_lon(lon),
        alt_m=alt,
        gs_mps=cols[:, 4],
        track_deg=trk,
        vs_mps=cols[:, 6],
    )


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


class Picture:
    """Tracks and declarations of every party, with detection over them."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        """Guards the tracks, the declarations and the change set (reports arrive from the
        commit thread while the service's lock is held for alerts)."""
        self.reports: dict[str, tuple[str, TrackReport]] = {}
        self._held: dict[str, set[str]] = {}
        """Each party's track ids in ``reports`` (for the per-party cap)."""
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
            from ..model import Tracks

            fresh = []
            for r in reports:
                q = _qid(party, r.id)
                held = self.reports.get(q)
                if held is None or r.time_s >= held[1].time_s:
                    self.reports[q] = (party, r)
                    fresh.append(r)
            if not fresh:
                return
            self._held.setdefault(party, set()).update(r.id for r in fresh)
            tracks = Tracks(
                id=[_qid(party, r.id) for r in fresh],
                party=[party] * len(fresh),
                lat=[r.lat for r in fresh],
                lon=[r.lon for r in fresh],
                alt_m=[r.alt_m for r in fresh],
                gs_mps=[r.gs_mps for r in fresh],
                track_deg=[r.track_deg for r in fresh],
                vs_mps=[r.vs_mps for r in fresh],
            )
            self.live.upsert(tracks, np.array([r.time_s for r in fresh], dtype=np.float64))
            self.changed.update(_qid(party, r.id) for r in fresh)

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
        """Qualified ids of tracks not reported for longer than the maximum age."""
        with self.lock:
            limit = now - self.config.track_max_age_s
            return [q for q, (_, r) in self.reports.items() if r.time_s < limit]

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
        """Validate GeoJSON positions, intents or zones from ``party``; all or nothing.

        Besides the format's own bounds (:mod:`deconflict.bounds`), the operator's: at most
        1,000 features a request, ``max_zone_vertices`` vertices a zone and
        ``max_intent_vertices`` a volume (counted before anything is built from them), and
        ``max_zone_area_m2`` a zone. The per-party cap is :meth:`check_room`'s.
        """
        from ..detect.areas import declared_area_m2
        from ..features import count_vertices, parse_features
        from ..model import shown
        from ..zoneformats import as_geojson

        allowed = _KINDS_BY_ENDPOINT[expect]
        doc = as_geojson(doc, "body", party)  # an ED-269 or ED-318 document: its zones
        if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
            raws = doc.get("features")
            if not isinstance(raws, list):
                raise InvalidInput("body: 'features' must be a list")
        elif isinstance(doc, dict) and doc.get("type") == "Feature":
            raws = [doc]
        else:
            raise InvalidInput("body: a GeoJSON Feature or FeatureCollection")
        if not raws:
            raise InvalidInput("body: no features")
        if len(raws) > 1000:
            raise InvalidInput(f"body: {len(raws)} features; at most 1000 per request")
        out: list[Declared] = []
        seen: set[str] = set()
        # first what is cheap to see, over every feature: kinds and vertices, before
        # anything is copied or built from them
        for i, raw in enumerate(raws):
            where = f"features[{i}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
                raise InvalidInput(f"{where}: a Feature with a 'properties' object")
            kind = raw["properties"].get("kind", "zone" if expect == "zones" else None)
            if kind not in allowed:
                raise InvalidInput(
                    f"{where}.properties.kind: {shown(kind)} does not belong in /v1/{expect} "
                    f"(expected {' or '.join(allowed)})"
                )
            if kind in ("zone", "volume"):
                top = self.config.max_zone_vertices
                if kind == "volume":
                    top = self.config.max_intent_vertices
                within = raw["properties"].get("within")
                n = count_vertices(raw.get("geometry")) + count_vertices(within)
                if n > top:
                    raise InvalidInput(
                        f"{where}.geometry: {n} vertices; at most {top} per {kind} "
                        f"(the service's bound)"
                    )
        for i, raw in enumerate(raws):
            where = f"features[{i}]"
            feature = json.loads(json.dumps(raw))
            props = feature["properties"]
            kind = props.get("kind", "zone" if expect == "zones" else None)
            if "party" in props and props["party"] != party:
                raise InvalidInput(
                    f"{where}.properties.party: {shown(props['party'])} is not the caller "
                    f"({party!r}); a party declares only its own"
                )
            consents: list[str] = []
            if kind == "zone":
                named = props.get("parties")
                given = props.get("consents") or []
                for key, names in (("parties", named), ("consents", given)):
                    if names is not None and (
                        not isinstance(names, list) or not all(isinstance(n, str) for n in names)
                    ):
                        raise InvalidInput(f"{where}.properties.{key}: a list of party names")
                others = [p for p in given if p != party]
                if others:
                    raise InvalidInput(
                        f"{where}.properties.consents: {others[0]!r} is not the caller; "
                        "each party consents for itself (POST /v1/zones/{id}/consent)"
                    )
                # a zone imported from ED-269 or ED-318 is the importer's claim, not agreed
                if isinstance(named, list) and party in named and "imported_from" not in props:
                    consents = [party]
                status = (
                    "agreed"
                    if isinstance(named, list) and set(named) <= set(consents)
                    else "claimed"
                )
                if props.get("status") == "agreed" and status != "agreed":
                    raise InvalidInput(
                        f"{where}.properties.status: 'agreed' needs the consent of every "
                        "named party; declare it 'claimed' and let them consent"
                    )
                props["status"] = status
                props["consents"] = consents
                props["owner"] = party
            else:
                props["party"] = party
            parsed = parse_features(feature, where)
            rec = (parsed.zones or parsed.positions or parsed.strikes or parsed.volumes)[0]
            if parsed.zones:
                area = declared_area_m2(parsed.zones[0])
                top_m2 = self.config.max_zone_area_m2
                if area > top_m2:
                    at = "properties.within" if parsed.zones[0].within is not None else "geometry"
                    raise InvalidInput(
                        f"{where}.{at}: an area of {area / 1e6:,.0f} km² on the WGS84 "
                        f"ellipsoid; at most {top_m2 / 1e6:,.0f} km² per zone (the "
                        "service's bound)"
                    )
            if rec.id in seen:
                raise InvalidInput(f"{where}.properties.id: {rec.id!r} twice in the request")
            if not 1 <= len(rec.id) <= 64 or not rec.id.isprintable():
                raise InvalidInput(f"{where}.properties.id: 1 to 64 printable characters")
            seen.add(rec.id)
            lat, lon = _anchor(feature)
            starts = getattr(rec, "start_s", None)
            out.append(
                Declared(
                    party=party,
                    id=rec.id,
                    kind="position" if kind in ("forces", "protected") else str(kind),
                    feature_kind=str(kind),
                    feature=feature,
                    consents=consents,
                    created_at=now,
                    lat=lat,
                    lon=lon,
                    starts_s=float(starts) if starts is not None else None,
                )
            )
        return out

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
            lat, lon = _anchor(feature)
            props = feature.get("properties", {})
            self.declared[(party, id)] = Declared(
                party=party,
                id=id,
                kind=kind,
                feature_kind=str(props.get("kind", "zone")),
                feature=feature,
                consents=list(consents),
                created_at=created_at,
                lat=lat,
                lon=lon,
                starts_s=None,
            )
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
            groups: tuple[list[Any], ...] = ([], [], [], [])
            for (_, _), d in sorted(self.declared.items(), key=lambda kv: kv[1].created_at):
                if d.parsed is None:
                    d.parsed = features.parse_features(d.feature, f"{d.party}/{d.id}")
                part = d.parsed
                for group, records in zip(
                    groups, (part.zones, part.positions, part.strikes, part.volumes), strict=True
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
