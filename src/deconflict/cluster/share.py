"""A detector's share of detection, and how the picture and the findings travel.

:func:`detect_share` is one detection run of one detector over its copy of the picture:
the service's detectors (:func:`~deconflict.service.detection.run_detectors`) run as on
a single node, and the detector keeps the findings whose *home* it owns by the rule of
:mod:`~deconflict.detect.partition` — a separation pair's lower-id track, the track of a
zone entry, border crossing or non-conformance, each in the H3 cell of its last
reported position; the declaration-only kinds (intent overlaps, strikes, movements) belong
to the owner of :data:`FEATURES_KEY`. Its :class:`~deconflict.service.findings.Coverage`
names the home tracks it looked at (``owned``), so that the recorder closes an alert only
on the word of the detector that reports it. Every detector holds the whole picture but
looks only at the tracks of its cells and those within separation reach of them, so a
pair across a cell boundary is found by its home's owner whatever its other track's
cell; the union of the detectors' findings is the single node's (tested).

The rest are the JSON shapes on the bus: a picture change (:func:`apply_change`), the
picture whole (:func:`load_snapshot`), the recorder's detection settings and borders
(:func:`detection_settings`), a finding and a coverage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..detect.partition import HALO_MARGIN_M, Partition, cells_of, within_reach
from ..model import Alert, Country, Geometry
from ..service.config import ServiceConfig
from ..service.detection import run_detectors
from ..service.findings import Coverage, Found
from ..service.picture import LivePicture
from ..service.reports import TrackReport

__all__ = [
    "FEATURES_KEY",
    "Share",
    "apply_change",
    "coverage_json",
    "coverage_of",
    "detect_share",
    "detection_settings",
    "features_owner",
    "found_json",
    "found_of",
    "load_snapshot",
    "settings_of",
]

STALE_SLACK_S = 10.0
"""How long past ``track_max_age_s`` a track may still be in a detector's picture (the
recorder forgets stale tracks at its next run, a fraction of a second later)."""
FEATURES_KEY = 0
"""The key whose owner (by the partition's rendezvous hash) runs the declaration-only
kinds: they are few, and one detector finds each of them once."""


def features_owner(partition: Partition) -> str:
    """The detector that runs the declaration-only kinds."""
    return str(partition.owner_of(np.array([FEATURES_KEY], dtype=np.uint64))[0])


class Share:
    """What detector ``name`` keeps between its runs under ``partition``: the home cell of
    each track (the H3 cell of its last reported position: from the report alone, so
    that every detector with the same picture agrees, whatever the time of its run), the
    tracks it owns, their cells and the fastest of them. Kept up to date from the tracks
    each run looks at, so that a run costs its changes, not the whole picture."""

    def __init__(self, partition: Partition, name: str) -> None:
        self.partition = partition
        self.name = name
        self._cells: dict[str, tuple[float, int]] = {}
        self._mine: dict[int, bool] = {}
        self.owned: dict[str, int] = {}
        """The tracks it owns (qualified id: cell)."""
        self.owned_cells: Counter[int] = Counter()
        self.gs_max = 0.0
        """An upper bound of its tracks' ground speeds (m/s): the fastest since the last
        full pass."""

    def cells(self, reports: Mapping[str, tuple[str, TrackReport]], qids: list[str]) -> Any:
        """The home cell of each of ``qids`` (held in ``reports``), uint64 shape (n,)."""
        out = np.empty(len(qids), dtype=np.uint64)
        todo: list[int] = []
        for k, q in enumerate(qids):
            hit = self._cells.get(q)
            if hit is not None and hit[0] == reports[q][1].time_s:
                out[k] = hit[1]
            else:
                todo.append(k)
        if todo:
            rs = [reports[qids[k]][1] for k in todo]
            new = cells_of(
                [r.lat_deg for r in rs],
                [r.lon_deg for r in rs],
                resolution=self.partition.resolution,
            )
            for k, r, c in zip(todo, rs, new.tolist(), strict=True):
                out[k] = c
                self._cells[qids[k]] = (r.time_s, c)
        return out

    def _is_mine(self, cell: int) -> bool:
        hit = self._mine.get(cell)
        if hit is None:
            hit = self._mine[cell] = bool(self.partition.owns(self.name, [cell])[0])
        return hit

    def note(self, reports: Mapping[str, tuple[str, TrackReport]], qids: list[str]) -> Any:
        """Take in the reports of ``qids`` (those held in ``reports``; the others are
        gone); returns their cells and whether this detector owns each (bool (n,))."""
        gone = [q for q in qids if q not in reports]
        for q in gone:
            self._drop(q)
        held = [q for q in qids if q in reports]
        cells = self.cells(reports, held)
        mine = np.zeros(len(held), dtype=bool)
        for k, (q, cell) in enumerate(zip(held, cells.tolist(), strict=True)):
            was = self.owned.get(q)
            if self._is_mine(cell):
                mine[k] = True
                if was != cell:
                    self._drop(q)
                    self.owned[q] = cell
                    self.owned_cells[cell] += 1
                self.gs_max = max(self.gs_max, reports[q][1].gs_mps)
            elif was is not None:
                self._drop(q)
        return held, cells, mine

    def _drop(self, q: str) -> None:
        self._cells.pop(q, None)
        cell = self.owned.pop(q, None)
        if cell is not None:
            self.owned_cells[cell] -= 1
            if self.owned_cells[cell] <= 0:
                del self.owned_cells[cell]

    def restart(self, reports: Mapping[str, tuple[str, TrackReport]]) -> None:
        """Forget every track gone from ``reports`` and measure the speeds again (on a
        full pass)."""
        for q in [q for q in self.owned if q not in reports]:
            self._drop(q)
        for q in [q for q in self._cells if q not in reports]:
            del self._cells[q]
        self.gs_max = max((reports[q][1].gs_mps for q in self.owned), default=0.0)


def detect_share(
    picture: LivePicture,
    now: float,
    *,
    full: bool,
    partition: Partition,
    name: str,
    share: Share | None = None,
) -> tuple[list[Found], Coverage]:
    """One run of detector ``name`` over ``picture`` at ``now`` (POSIX s): the findings
    it reports and what it covered (see the module docstring). ``full``: every track.

    It looks at the changed tracks (every track when ``full``) that it owns or that may
    be within separation reach of one it owns: ``(gs_a + gs_b) * T + h_sep``, plus how
    far each may have moved since its report (at most ``track_max_age_s +
    max_future_s + STALE_SLACK_S`` ago or ahead), between home cells
    (:func:`~deconflict.detect.partition.within_reach`). The others cannot be in a
    finding it reports, so its work is its share of the area's, not the whole picture's.
    ``share`` is what it keeps between runs (made anew when None or of another
    partition; a full pass measures it again)."""
    if share is None or share.partition is not partition or share.name != name:
        share, full = Share(partition, name), True
    config = picture.config
    leader = features_owner(partition) == name
    view, coverage = picture.begin(now, full=full)
    features = coverage.features and leader
    reports = view.reports
    if coverage.all_tracks:
        share.restart(reports)
        changed = sorted(reports)
    else:
        changed = sorted(coverage.tracks)
    held, cells, mine = share.note(reports, changed)
    looked: set[str] = set()
    if held and share.owned:
        rs = [reports[q][1] for q in held]
        gs = np.array([r.gs_mps for r in rs], dtype=np.float64)
        age = np.abs(now - np.array([r.time_s for r in rs], dtype=np.float64))
        # a track leaves the picture at the recorder's next run after track_max_age_s
        drift = share.gs_max * (config.track_max_age_s + config.max_future_s + STALE_SLACK_S)
        reach = (gs + share.gs_max) * config.lookahead_s + config.h_sep_m
        reach += gs * age + drift + HALO_MARGIN_M
        targets = np.fromiter(share.owned_cells, dtype=np.uint64)
        near = mine | within_reach(cells, reach, targets, resolution=partition.resolution)
        looked = {held[k] for k in np.flatnonzero(near).tolist()}
    run = Coverage(all_tracks=False, tracks=looked, features=features)
    found = run_detectors(view, now, run)
    kept = [f for f in found if (min(f.tracks) in share.owned if f.tracks else leader)]
    owned = frozenset(q for q in looked if q in share.owned)
    covered = Coverage(all_tracks=False, tracks=looked, features=features, owned=owned)
    return kept, covered


# -- the shapes on the bus --------------------------------------------------------------


def found_json(f: Found) -> dict[str, Any]:
    a = f.alert
    return {
        "key": f.key,
        "alert": {
            "kind": a.kind,
            "parties": list(a.parties),
            "subjects": list(a.subjects),
            "now_s": a.now_s,
            "t_s": a.t_s,
            "lat_deg": a.lat_deg,
            "lon_deg": a.lon_deg,
            "details": a.details,
            "geometry": a.geometry,
        },
        "subjects": list(f.subjects),
        "details": f.details,
        "tracks": sorted(f.tracks),
    }


def found_of(doc: Mapping[str, Any]) -> Found:
    a = doc["alert"]
    alert = Alert(
        a["kind"],
        tuple(a["parties"]),
        tuple(a["subjects"]),
        now_s=float(a["now_s"]),
        t_s=float(a["t_s"]),
        lat_deg=float(a["lat_deg"]),
        lon_deg=float(a["lon_deg"]),
        details=dict(a["details"]),
        geometry=a["geometry"],
    )
    return Found(
        key=str(doc["key"]),
        alert=alert,
        subjects=tuple(doc["subjects"]),
        details=dict(doc["details"]),
        tracks=frozenset(doc["tracks"]),
    )


def coverage_json(c: Coverage) -> dict[str, Any]:
    return {
        "all": c.all_tracks,
        "tracks": sorted(c.tracks),
        "features": c.features,
        "owned": None if c.owned is None else sorted(c.owned),
        "version": c.version,
    }


def coverage_of(doc: Mapping[str, Any]) -> Coverage:
    owned = doc.get("owned")
    return Coverage(
        all_tracks=bool(doc["all"]),
        tracks=set(doc["tracks"]),
        features=bool(doc["features"]),
        owned=None if owned is None else frozenset(owned),
        version=None if doc.get("version") is None else int(doc["version"]),
    )


def apply_change(picture: LivePicture, change: Mapping[str, Any]) -> None:
    """Apply one change of the recorder's picture (:meth:`LivePicture.observer`'s shape)."""
    op = change["op"]
    if op == "tracks":
        picture.upsert_tracks(change["party"], [TrackReport(*row) for row in change["rows"]])
    elif op == "set":
        picture.set_feature(
            change["party"],
            change["id"],
            change["kind"],
            change["feature"],
            change["consents"],
            float(change["created_at"]),
        )
    elif op == "remove":
        picture.remove_feature(change["party"], change["id"], change["tracks"])
    elif op == "forget":
        picture.forget(change["tracks"])
    else:
        raise ValueError(f"unknown picture change {op!r}")


def load_snapshot(picture: LivePicture, snapshot: Mapping[str, Any]) -> None:
    """Fill an empty ``picture`` with :meth:`LivePicture.snapshot`'s ``snapshot``."""
    by_party: dict[str, list[TrackReport]] = {}
    for party, *row in snapshot["tracks"]:
        by_party.setdefault(party, []).append(TrackReport(*row))
    for party, reports in by_party.items():
        picture.upsert_tracks(party, reports)
    for change in snapshot["declared"]:
        apply_change(picture, change)


DETECTION_SETTINGS = (
    "lookahead_s",
    "h_sep_m",
    "v_sep_m",
    "full_pass_s",
    "detect_interval_s",
    "track_max_age_s",
    "max_future_s",
)
"""The settings detection depends on: a detector takes them from the recorder."""


def detection_settings(config: ServiceConfig, countries: Iterable[Country]) -> dict[str, Any]:
    """What a detector needs besides the picture, as JSON: the recorder's detection
    settings and its countries (``--borders``), so that every detector detects as the
    recorder would, whatever it was started with."""
    return {
        "config": {name: getattr(config, name) for name in DETECTION_SETTINGS},
        "countries": [
            {"id": c.id, "name": c.name, "geometry": c.geometry.to_geojson()} for c in countries
        ],
    }


def settings_of(doc: Mapping[str, Any]) -> tuple[ServiceConfig, tuple[Country, ...]]:
    """The settings and countries of :func:`detection_settings`."""
    values: dict[str, Any] = {k: float(doc["config"][k]) for k in DETECTION_SETTINGS}
    config = ServiceConfig().with_overrides(**values)
    countries = tuple(
        Country(c["id"], c["name"], Geometry.from_geojson(c["geometry"])) for c in doc["countries"]
    )
    return config, countries
