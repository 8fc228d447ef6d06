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

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..detect.partition import HALO_MARGIN_M, RESOLUTION, Partition, cells_of, within_reach
from ..model import Alert, Country, Geometry
from ..service.config import ServiceConfig
from ..service.detection import run_detectors
from ..service.findings import Coverage, Found
from ..service.picture import Picture
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

FEATURES_KEY = 0
"""The key whose owner (by the partition's rendezvous hash) runs the declaration-only
kinds: they are few, and one detector finds each of them once."""


def features_owner(partition: Partition) -> str:
    """The detector that runs the declaration-only kinds."""
    return str(partition.owner_of(np.array([FEATURES_KEY], dtype=np.uint64))[0])


class Share:
    """What one detector keeps between runs: the H3 cell of each track's last reported
    position (a track's home cell: from the report alone, so that every detector with
    the same picture agrees, whatever the time of its run)."""

    def __init__(self, resolution: int = RESOLUTION) -> None:
        self.resolution = resolution
        self._cells: dict[str, tuple[float, int]] = {}

    def cells(self, reports: Mapping[str, tuple[str, TrackReport]], qids: list[str]) -> Any:
        """The home cell of each of ``qids`` (held in ``reports``), uint64 shape (n,)."""
        out = np.empty(len(qids), dtype=np.uint64)
        todo: list[int] = []
        for k, q in enumerate(qids):
            t = reports[q][1].time_s
            hit = self._cells.get(q)
            if hit is not None and hit[0] == t:
                out[k] = hit[1]
            else:
                todo.append(k)
        if todo:
            rs = [reports[qids[k]][1] for k in todo]
            new = cells_of(
                [r.lat_deg for r in rs], [r.lon_deg for r in rs], resolution=self.resolution
            )
            for k, r, c in zip(todo, rs, new.tolist(), strict=True):
                out[k] = c
                self._cells[qids[k]] = (r.time_s, c)
        if len(self._cells) > 2 * len(reports) + 1024:  # forget tracks gone
            self._cells = {q: v for q, v in self._cells.items() if q in reports}
        return out


def detect_share(
    picture: Picture,
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
    far each may have moved since its report, between home cells
    (:func:`~deconflict.detect.partition.within_reach`). The others cannot be in a
    finding it reports, so its work is its share of the area's, not the whole picture's.
    ``share`` keeps the home cells between runs (a fresh one: computed again)."""
    share = share or Share(partition.resolution)
    config = picture.config
    leader = features_owner(partition) == name
    view, coverage = picture.begin(now, full=full)
    features = coverage.features and leader
    reports = view.reports
    every = sorted(reports)
    cells = share.cells(reports, every)
    mine = partition.owns(name, cells) if every else np.zeros(0, dtype=bool)
    owned = {every[k] for k in np.flatnonzero(mine).tolist()}
    changed = every if coverage.all_tracks else sorted(coverage.tracks & reports.keys())
    looked: set[str] = set()
    if changed and owned:
        at = {q: k for k, q in enumerate(every)}
        rows = np.array([at[q] for q in changed], dtype=np.int64)
        held = [reports[q][1] for q in every]
        gs = np.array([r.gs_mps for r in held], dtype=np.float64)
        moved = gs * np.abs(now - np.array([r.time_s for r in held], dtype=np.float64))
        reach = (gs[rows] + gs[mine].max()) * config.lookahead_s + config.h_sep_m
        reach += moved[rows] + moved[mine].max() + HALO_MARGIN_M
        near = mine[rows] | within_reach(
            cells[rows], reach, cells[mine], resolution=partition.resolution
        )
        looked = {changed[k] for k in np.flatnonzero(near).tolist()}
    run = Coverage(all_tracks=False, tracks=looked, features=features)
    found = run_detectors(view, now, run)
    kept = [f for f in found if (min(f.tracks) in owned if f.tracks else leader)]
    covered = Coverage(
        all_tracks=False, tracks=looked, features=features, owned=frozenset(owned & looked)
    )
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
    }


def coverage_of(doc: Mapping[str, Any]) -> Coverage:
    owned = doc.get("owned")
    return Coverage(
        all_tracks=bool(doc["all"]),
        tracks=set(doc["tracks"]),
        features=bool(doc["features"]),
        owned=None if owned is None else frozenset(owned),
    )


def apply_change(picture: Picture, change: Mapping[str, Any]) -> None:
    """Apply one change of the recorder's picture (:meth:`Picture.observer`'s shape)."""
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


def load_snapshot(picture: Picture, snapshot: Mapping[str, Any]) -> None:
    """Fill an empty ``picture`` with :meth:`Picture.snapshot`'s ``snapshot``."""
    by_party: dict[str, list[TrackReport]] = {}
    for party, *row in snapshot["tracks"]:
        by_party.setdefault(party, []).append(TrackReport(*row))
    for party, reports in by_party.items():
        picture.upsert_tracks(party, reports)
    for change in snapshot["declared"]:
        apply_change(picture, change)


DETECTION_SETTINGS = ("lookahead_s", "h_sep_m", "v_sep_m", "full_pass_s", "detect_interval_s")
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
