"""One detection run over the live picture: the core's detectors and alert builders
applied to what changed, in the service's terms (:class:`~deconflict.service.findings.Found`).

Separation comes from the incremental detector (:class:`~deconflict.detect.live.LivePairs`):
the pairs involving a changed track, or every pair on a full pass. Zone entries, border
crossings and non-conformance are evaluated for the changed tracks (all on a full pass);
intent overlaps and strike proximity when declarations changed, once a second and on a
full pass. Every alert is addressed by the disclosure rule
(:func:`deconflict.disclosure.audience`): a zone entry reaches the zone's parties only
when the track's party has consented to the zone. Track ids are qualified (``party/id``)
inside; each alert shows the ids its parties know, and keeps the qualified ones in
``details["tracks"]``.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

import numpy as np

from .. import alerts as core
from ..detect.borders import BorderSet, predict_crossings
from ..detect.intents import VolumeSet, find_overlaps, non_conforming
from ..detect.movements import (
    MovementSet,
    movement_overlaps,
    movement_zones,
    strike_movements,
)
from ..detect.separation import Conflicts
from ..detect.strikes import PositionSet, StrikeSet, strike_proximity
from ..detect.zones import ZoneSet, predict_entries
from ..disclosure import restrict
from ..model import Alert, Tracks, alert_key
from .findings import TRACK_KINDS, Coverage, Found

__all__ = ["run_detectors"]


def _plain(qid: str) -> str:
    return qid.split("/", 1)[1] if "/" in qid else qid


def _found(alert: Alert, track_ids: Iterable[str]) -> Found:
    tracks = frozenset(track_ids)
    subjects = tuple(_plain(s) if s in tracks else s for s in alert.subjects)
    details: dict[str, Any] = {
        k: (_plain(v) if isinstance(v, str) and v in tracks else v)
        for k, v in alert.details.items()
    }
    details["tracks"] = sorted(tracks)
    key = alert_key(alert.kind, alert.subjects, parties=alert.parties)
    return Found(key=key, alert=alert, subjects=subjects, details=details, tracks=tracks)


def _states(tracks: Tracks, rows: Iterable[int]) -> Mapping[str, Any]:
    """Each subject track's state at the alert (what the other party may see of it)."""
    out = {}
    for i in rows:
        out[_plain(str(tracks.id[i]))] = {
            "party": str(tracks.party[i]),
            "lat": float(tracks.lat_deg[i]),
            "lon": float(tracks.lon_deg[i]),
            "alt_m": float(tracks.alt_m[i]),
            "gs_mps": float(tracks.gs_mps[i]),
            "track_deg": float(tracks.track_deg[i]),
            "vs_mps": float(tracks.vs_mps[i]),
        }
    return out


def _with_states(alert: Alert, tracks: Tracks, index: Mapping[str, int]) -> Found:
    rows = [index[s] for s in alert.subjects if s in index]
    found = _found(alert, (str(tracks.id[i]) for i in rows))
    found.details["states"] = _states(tracks, rows)
    return found


def _among(conflicts: Conflicts, known: Container[str]) -> Conflicts:
    """The pairs of ``conflicts`` whose two tracks are both in ``known``."""
    keep_ids = np.array([q in known for q in conflicts.ids.tolist()], dtype=bool)
    if keep_ids.all():
        return conflicts
    keep = keep_ids[conflicts.i] & keep_ids[conflicts.j]
    used = np.flatnonzero(keep_ids)
    remap = np.full(conflicts.ids.shape[0], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    return Conflicts(
        i=remap[conflicts.i[keep]],
        j=remap[conflicts.j[keep]],
        ids=conflicts.ids[used],
        t_in_s=conflicts.t_in_s[keep],
        t_out_s=conflicts.t_out_s[keep],
        tcpa_s=conflicts.tcpa_s[keep],
        dcpa_m=conflicts.dcpa_m[keep],
    )


def run_detectors(picture: Any, now: float, coverage: Coverage) -> list[Found]:
    """Every alert of this run over ``picture`` (a :class:`~deconflict.service.picture.LivePicture`;
    see the module docstring)."""
    config = picture.config
    out: list[Found] = []
    if not picture.reports and not coverage.features:
        return out
    records = picture.records()
    if picture.reports:
        conflicts = None
        if coverage.all_tracks:
            conflicts = picture.live.all_conflicts(now_s=now)
        elif coverage.tracks:
            held = sorted(q for q in coverage.tracks if q in picture.reports)
            conflicts = picture.live.conflicts_of(held, now_s=now)
        if conflicts is not None:
            # tracks reported after the view was taken wait for the next run
            conflicts = _among(conflicts, picture.reports.keys())
        if conflicts is not None and len(conflicts):
            # the conflicts index their own ids (a subset, from the incremental detector)
            own = picture.tracks_at(now, [str(q) for q in conflicts.ids.tolist()])
            if not np.array_equal(own.id, conflicts.ids):
                own = own.take(np.searchsorted(own.id, conflicts.ids))
            own_index = {str(q): i for i, q in enumerate(own.id.tolist())}
            for a in core.separation_alerts(own, conflicts, now_s=now):
                out.append(_with_states(a, own, own_index))
        wanted = bool(records.zones or records.volumes or picture.countries)
        if wanted:
            sub = picture.tracks_at(now, None if coverage.all_tracks else coverage.tracks)
        if wanted and len(sub):
            sub_index = {str(q): i for i, q in enumerate(sub.id.tolist())}
            found: list[Alert] = []
            if records.zones:
                zones = list(records.zones)
                entries = predict_entries(
                    sub, ZoneSet.from_zones(zones), now_s=now, lookahead_s=config.lookahead_s
                )
                by_id = {z.id: z for z in zones}
                found += [
                    restrict(a, by_id)
                    for a in core.zone_entry_alerts(sub, zones, entries, now_s=now)
                ]
            if records.volumes:
                vset = VolumeSet.from_volumes(list(records.volumes))
                rows = non_conforming(sub, vset, now_s=now).tolist()
                found += core.non_conforming_alerts(sub, rows, now_s=now)
            if picture.countries:
                crossings = predict_crossings(
                    sub,
                    BorderSet.from_countries(picture.countries),
                    lookahead_s=config.lookahead_s,
                )
                found += core.border_alerts(sub, picture.countries, crossings, now_s=now)
            out += [_with_states(a, sub, sub_index) for a in found]
    if coverage.features:
        if records.volumes:
            volumes = list(records.volumes)
            overlaps = find_overlaps(VolumeSet.from_volumes(volumes), now_s=now)
            out += [_found(a, ()) for a in core.intent_overlap_alerts(volumes, overlaps, now_s=now)]
        if records.strikes and records.positions:
            strikes, positions = list(records.strikes), list(records.positions)
            proximity = strike_proximity(
                StrikeSet.from_strikes(strikes), PositionSet.from_positions(positions), now_s=now
            )
            out += [
                _found(a, ()) for a in core.strike_alerts(strikes, positions, proximity, now_s=now)
            ]
        if records.strikes and records.movements:
            strikes, movements = list(records.strikes), list(records.movements)
            near = strike_movements(
                StrikeSet.from_strikes(strikes), MovementSet.from_movements(movements), now_s=now
            )
            out += [
                _found(a, ())
                for a in core.strike_movement_alerts(strikes, movements, near, now_s=now)
            ]
        if records.movements and records.volumes:
            both, pairs = movement_overlaps(
                list(records.movements), list(records.volumes), now_s=now
            )
            out += [_found(a, ()) for a in core.intent_overlap_alerts(both, pairs, now_s=now)]
        if records.movements and records.zones:
            movements, zones = list(records.movements), list(records.zones)
            through = movement_zones(movements, zones, now_s=now)
            out += [
                _found(a, ())
                for a in core.movement_zone_alerts(movements, zones, through, now_s=now)
            ]
    assert all(f.alert.kind in TRACK_KINDS or not f.tracks for f in out)
    return out
