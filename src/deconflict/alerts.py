"""Detector results -> :class:`~deconflict.model.Alert` records (pure).

One function per detector turns its result (indices into the inputs, see
:mod:`deconflict.detect.inputs`) into alerts; :func:`evaluate` runs every detector over a
:class:`~deconflict.model.Picture` and returns all alerts, sorted by ``(t_s, kind,
subjects)``. Each alert names every party the conflict involves, its subjects in the
kind's natural order, when it happens (``t_s`` seconds from ``now_s``, 0 if already so),
where (lon in [-180, 180)), unrounded JSON-ready details and a GeoJSON geometry:

================  ====================  ==============================================
kind              subjects              parties; details; geometry
================  ====================  ==============================================
separation        (a, b), a < b         both tracks' parties; ``t_in_s``, ``t_out_s``,
                                        ``tcpa_s`` (from ``now_s``), ``dcpa_m``,
                                        ``a_party``, ``b_party``; LineString between
                                        the two at closest approach (``lat``/``lon``
                                        its middle)
zone-entry        (track, zone)         the track's party and the zone's ``parties``;
                                        ``zone``, ``zone_name``, ``status``, ``rule``,
                                        ``alt_m``, for ``notify`` ``lead_s`` and
                                        ``lead_time_met``, ``track_party``; Point of
                                        entry
intent-overlap    (a, b), sorted        both parties; ``start_s``, ``end_s`` (the
                                        common window), ``alt_min_m``, ``alt_max_m``
                                        (the common band, None when open),
                                        ``area_m2``; Point inside the common area
strike-proximity  (strike, position)    both parties; ``strike_party``,
                                        ``position_party``, ``position_kind``,
                                        ``distance_m``, ``gap_m``, ``radius_m``,
                                        ``position_radius_m``, ``margin_m``,
                                        ``start_s``, ``end_s``; Point of aim
strike-proximity  (strike, movement)    the same, ``position_kind`` ``movement``,
                                        ``distance_m`` to the route,
                                        ``position_radius_m`` half the width
zone-entry        (movement, zone)      the movement's party and the zone's
                                        ``parties``; ``zone``, ``zone_name``,
                                        ``status``, ``rule``, ``lead_s`` (notify),
                                        ``movement_party``, ``start_s``, ``end_s``;
                                        Point inside the corridor's part in the zone
intent-overlap    (a, b), sorted        a movement and a volume: as for two volumes
                                        (the band is the volume's)
border-crossing   (track,)              the track's party; ``from``, ``to`` (country
                                        ids), ``countries`` (names), ``alt_m``; Point
                                        of crossing
non-conforming    (track,)              the track's party; ``alt_m``; Point of the
                                        track
================  ====================  ==============================================

Instants in details are POSIX seconds; open bounds are ``None`` (JSON has no infinity).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from .detect.borders import BorderSet, Crossings, predict_crossings
from .detect.inputs import check_lookahead, check_now
from .detect.intents import Overlaps, VolumeSet, find_overlaps, non_conforming
from .detect.movements import (
    MovementProximity,
    MovementSet,
    ZoneCrossings,
    movement_overlaps,
    movement_zones,
    strike_movements,
)
from .detect.separation import Conflicts
from .detect.strikes import DEFAULT_MARGIN_M, PositionSet, Proximity, StrikeSet, strike_proximity
from .detect.zones import NOTIFY, ZoneEntries, ZoneSet, predict_entries
from .errors import InvalidInput
from .geo import dead_reckon, lat_lon, unit_vectors, wrap_lon
from .model import (
    ACTIONS,
    ALERT_KINDS,
    Alert,
    Country,
    Picture,
    Position,
    Strike,
    Tracks,
    Volume,
    Zone,
)
from .movement import Movement

__all__ = [
    "border_alerts",
    "count_by_kind",
    "evaluate",
    "intent_overlap_alerts",
    "movement_zone_alerts",
    "non_conforming_alerts",
    "separation_alerts",
    "sort_key",
    "strike_alerts",
    "strike_movement_alerts",
    "zone_entry_alerts",
]

_T = TypeVar("_T")


def _point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _open(x: float) -> float | None:
    """A bound as JSON: None when open (infinite)."""
    return float(x) if math.isfinite(x) else None


def _lon(lon: float) -> float:
    return float(wrap_lon(lon))


def separation_alerts(tracks: Tracks, conflicts: Conflicts, *, now_s: float) -> list[Alert]:
    """One ``separation`` alert per conflicting pair of :func:`~deconflict.detect.
    separation.detect` run on ``tracks`` (the same tracks, in the same order).

    ``lat``/``lon`` is the middle of the two tracks at closest approach (``tcpa``); the
    geometry a LineString from ``a`` to ``b`` there.
    """
    now_s = check_now(now_s)
    if conflicts.ids.shape != tracks.id.shape or not np.array_equal(conflicts.ids, tracks.id):
        raise InvalidInput("separation: the conflicts were detected on other tracks")
    i, j, tcpa = conflicts.i, conflicts.j, conflicts.tcpa_s
    rows = np.concatenate([i, j])
    lat, lon, _, _ = dead_reckon(
        tracks.lat_deg[rows],
        tracks.lon_deg[rows],
        tracks.alt_m[rows],
        tracks.gs_mps[rows],
        tracks.track_deg[rows],
        tracks.vs_mps[rows],
        np.concatenate([tcpa, tcpa]),
    )
    k = len(conflicts)
    mid_lat, mid_lon = lat_lon(unit_vectors(lat[:k], lon[:k]) + unit_vectors(lat[k:], lon[k:]))
    out = []
    for n in range(k):
        a, b = int(i[n]), int(j[n])
        pa, pb = str(tracks.party[a]), str(tracks.party[b])
        out.append(
            Alert(
                kind="separation",
                parties=(pa, pb),
                subjects=(str(tracks.id[a]), str(tracks.id[b])),
                now_s=now_s,
                t_s=max(float(conflicts.t_in_s[n]), 0.0),
                lat_deg=float(mid_lat[n]),
                lon_deg=_lon(mid_lon[n]),
                details={
                    "t_in_s": float(conflicts.t_in_s[n]),
                    "t_out_s": float(conflicts.t_out_s[n]),
                    "tcpa_s": float(tcpa[n]),
                    "dcpa_m": float(conflicts.dcpa_m[n]),
                    "a_party": pa,
                    "b_party": pb,
                },
                geometry={
                    "type": "LineString",
                    "coordinates": [
                        [float(lon[n]), float(lat[n])],
                        [float(lon[k + n]), float(lat[k + n])],
                    ],
                },
            )
        )
    return out


def zone_entry_alerts(
    tracks: Tracks, zones: Sequence[Zone], entries: ZoneEntries, *, now_s: float
) -> list[Alert]:
    """One ``zone-entry`` alert per row of :func:`~deconflict.detect.zones.predict_entries`
    (``zones`` in the order the zone set was made from)."""
    now_s = check_now(now_s)
    ids, parties = tracks.id.tolist(), tracks.party.tolist()
    rows = zip(
        entries.track.tolist(),
        entries.zone.tolist(),
        entries.t_s.tolist(),
        entries.lat_deg.tolist(),
        wrap_lon(entries.lon_deg).tolist(),
        entries.alt_m.tolist(),
        entries.action.tolist(),
        entries.lead_s.tolist(),
        entries.lead_met.tolist(),
        strict=True,
    )
    out = []
    for i, z, t, lat, lon, alt, action, lead, met in rows:
        zone, party = zones[z], parties[i]
        details: dict[str, Any] = {
            "zone": zone.id,
            "zone_name": zone.name,
            "status": zone.status,
            "rule": ACTIONS[action - 1],
            "alt_m": alt,
        }
        if action == NOTIFY:
            details["lead_s"] = lead
            details["lead_time_met"] = met
        details["track_party"] = party
        out.append(
            Alert(
                kind="zone-entry",
                parties=(party, *zone.parties),
                subjects=(ids[i], zone.id),
                now_s=now_s,
                t_s=max(t, 0.0),
                lat_deg=lat,
                lon_deg=lon,
                details=details,
                geometry=_point(lat, lon),
            )
        )
    return out


def intent_overlap_alerts(
    volumes: Sequence[Volume | Movement], overlaps: Overlaps, *, now_s: float
) -> list[Alert]:
    """One ``intent-overlap`` alert per pair of :func:`~deconflict.detect.intents.
    find_overlaps`; ``t_s`` runs until the common window opens."""
    now_s = check_now(now_s)
    out = []
    lons = wrap_lon(overlaps.lon_deg).tolist()
    for k in range(len(overlaps)):
        va, vb = volumes[int(overlaps.a[k])], volumes[int(overlaps.b[k])]
        start = float(overlaps.start_s[k])
        lat, lon = float(overlaps.lat_deg[k]), lons[k]
        out.append(
            Alert(
                kind="intent-overlap",
                parties=(va.party, vb.party),
                subjects=(va.id, vb.id),
                now_s=now_s,
                t_s=max(start - now_s, 0.0),
                lat_deg=lat,
                lon_deg=lon,
                details={
                    "start_s": start,
                    "end_s": float(overlaps.end_s[k]),
                    "alt_min_m": _open(overlaps.alt_min_m[k]),
                    "alt_max_m": _open(overlaps.alt_max_m[k]),
                    "area_m2": float(overlaps.area_m2[k]),
                },
                geometry=_point(lat, lon),
            )
        )
    return out


def _strike_near(
    st: Strike,
    party: str,
    subject: str,
    kind: str,
    radius_m: float,
    distance_m: float,
    gap_m: float,
    now_s: float,
) -> Alert:
    """The ``strike-proximity`` alert of strike ``st`` near another party's ``subject``
    (a position, or a movement's corridor of half-width ``radius_m``); ``t_s`` runs until
    the strike's start."""
    lat, lon = st.lat_deg, _lon(st.lon_deg)
    return Alert(
        kind="strike-proximity",
        parties=(st.party, party),
        subjects=(st.id, subject),
        now_s=now_s,
        t_s=max(st.start_s - now_s, 0.0),
        lat_deg=lat,
        lon_deg=lon,
        details={
            "strike_party": st.party,
            "position_party": party,
            "position_kind": kind,
            "distance_m": distance_m,
            "gap_m": gap_m,
            "radius_m": st.radius_m,
            "position_radius_m": radius_m,
            "margin_m": DEFAULT_MARGIN_M if st.margin_m is None else st.margin_m,
            "start_s": st.start_s,
            "end_s": st.end_s,
        },
        geometry=_point(lat, lon),
    )


def strike_alerts(
    strikes: Sequence[Strike],
    positions: Sequence[Position],
    proximity: Proximity,
    *,
    now_s: float,
) -> list[Alert]:
    """One ``strike-proximity`` alert per pair of :func:`~deconflict.detect.strikes.
    strike_proximity`; ``t_s`` runs until the strike's start."""
    now_s = check_now(now_s)
    return [
        _strike_near(st, pos.party, pos.id, pos.kind, pos.radius_m, distance, gap, now_s)
        for st, pos, distance, gap in _near(strikes, positions, proximity, proximity.position)
    ]


def _near(
    strikes: Sequence[Strike],
    others: Sequence[_T],
    proximity: Proximity | MovementProximity,
    other: NDArray[np.int64],
) -> Iterator[tuple[Strike, _T, float, float]]:
    """Each pair of ``proximity`` as ``(strike, the other, distance_m, gap_m)``; ``other``
    is its column of indices into ``others``."""
    for k in range(len(proximity)):
        st, near = strikes[int(proximity.strike[k])], others[int(other[k])]
        yield st, near, float(proximity.distance_m[k]), float(proximity.gap_m[k])


def border_alerts(
    tracks: Tracks, countries: Sequence[Country], crossings: Crossings, *, now_s: float
) -> list[Alert]:
    """One ``border-crossing`` alert per row of :func:`~deconflict.detect.borders.
    predict_crossings` (``countries`` in the order the border set was made from)."""
    now_s = check_now(now_s)
    ids, parties = tracks.id.tolist(), tracks.party.tolist()
    lons = wrap_lon(crossings.lon_deg).tolist()
    out = []
    for k in range(len(crossings)):
        i = int(crossings.track[k])
        a = countries[int(crossings.from_country[k])]
        b = countries[int(crossings.to_country[k])]
        t = float(crossings.t_s[k])
        lat, lon = float(crossings.lat_deg[k]), lons[k]
        out.append(
            Alert(
                kind="border-crossing",
                parties=(parties[i],),
                subjects=(ids[i],),
                now_s=now_s,
                t_s=max(t, 0.0),
                lat_deg=lat,
                lon_deg=lon,
                details={
                    "from": a.id,
                    "to": b.id,
                    "countries": [a.name, b.name],
                    "alt_m": float(tracks.alt_m[i] + tracks.vs_mps[i] * t),
                },
                geometry=_point(lat, lon),
            )
        )
    return out


def non_conforming_alerts(tracks: Tracks, index: Iterable[int], *, now_s: float) -> list[Alert]:
    """One ``non-conforming`` alert per track index of :func:`~deconflict.detect.intents.
    non_conforming`, where the track is now."""
    now_s = check_now(now_s)
    rows = np.asarray(list(index), dtype=np.int64)
    ids, parties = tracks.id[rows].tolist(), tracks.party[rows].tolist()
    lats, lons = tracks.lat_deg[rows].tolist(), wrap_lon(tracks.lon_deg[rows]).tolist()
    alts = tracks.alt_m[rows].tolist()
    out = []
    for track, party, lat, lon, alt in zip(ids, parties, lats, lons, alts, strict=True):
        out.append(
            Alert(
                kind="non-conforming",
                parties=(party,),
                subjects=(track,),
                now_s=now_s,
                t_s=0.0,
                lat_deg=lat,
                lon_deg=lon,
                details={"alt_m": alt},
                geometry=_point(lat, lon),
            )
        )
    return out


def strike_movement_alerts(
    strikes: Sequence[Strike],
    movements: Sequence[Movement],
    proximity: MovementProximity,
    *,
    now_s: float,
) -> list[Alert]:
    """One ``strike-proximity`` alert per pair of :func:`~deconflict.detect.movements.
    strike_movements`, shaped as for a position (``position_kind`` ``movement``,
    ``position_radius_m`` half the corridor's width); ``t_s`` runs until the strike's
    start."""
    now_s = check_now(now_s)
    return [
        _strike_near(st, mv.party, mv.id, "movement", mv.width_m / 2, distance, gap, now_s)
        for st, mv, distance, gap in _near(strikes, movements, proximity, proximity.movement)
    ]


def movement_zone_alerts(
    movements: Sequence[Movement], zones: Sequence[Zone], crossings: ZoneCrossings, *, now_s: float
) -> list[Alert]:
    """One ``zone-entry`` alert per row of :func:`~deconflict.detect.movements.
    movement_zones`: the movement's route through a zone that forbids its party or asks
    it for notice; ``t_s`` runs until the movement's start."""
    now_s = check_now(now_s)
    out = []
    for k in range(len(crossings)):
        mv, zone = movements[int(crossings.movement[k])], zones[int(crossings.zone[k])]
        lat, lon = float(crossings.lat_deg[k]), _lon(float(crossings.lon_deg[k]))
        action = str(crossings.action[k])
        details: dict[str, Any] = {
            "zone": zone.id,
            "zone_name": zone.name,
            "status": zone.status,
            "rule": action,
            "movement_party": mv.party,
            "start_s": mv.start_s,
            "end_s": mv.end_s,
        }
        if action == "notify":
            details["lead_s"] = float(crossings.lead_s[k])
        out.append(
            Alert(
                kind="zone-entry",
                parties=(mv.party, *zone.parties),
                subjects=(mv.id, zone.id),
                now_s=now_s,
                t_s=max(mv.start_s - now_s, 0.0),
                lat_deg=lat,
                lon_deg=lon,
                details=details,
                geometry=_point(lat, lon),
            )
        )
    return out


def sort_key(alert: Alert) -> tuple[float, str, tuple[str, ...]]:
    """The order of :func:`evaluate`: ``(t_s, kind, subjects)``."""
    return alert.t_s, alert.kind, alert.subjects


def evaluate(
    picture: Picture,
    *,
    now_s: float,
    lookahead_s: float,
    separation: Conflicts | None = None,
    movements: Sequence[Movement] = (),
) -> list[Alert]:
    """Every alert of a picture at ``now_s``, sorted by ``(t_s, kind, subjects)``.

    Parameters
    ----------
    picture : Picture
        Tracks (states at ``now_s``), zones, positions, strikes, volumes, countries.
    now_s : float
        The present, POSIX seconds.
    lookahead_s : float
        Horizon of the track predictions (zone entries, border crossings), seconds.
        Plans (intent overlaps, strikes) are checked whenever they are, not only within
        it.
    separation : Conflicts, optional
        Separation conflicts already detected on ``picture.tracks`` (e.g. by
        :func:`deconflict.detect.separation.detect` or an incremental detector); they
        become ``separation`` alerts. When None, separation is not evaluated here.
    movements : sequence of Movement, optional
        Planned ground movements, checked against the picture's strikes, zones and
        volumes.

    Returns
    -------
    list of Alert
        Empty when the picture holds nothing to compare.
    """
    now_s = check_now(now_s)
    lookahead_s = check_lookahead(lookahead_s)
    p, tracks = picture, picture.tracks
    out: list[Alert] = []
    if separation is not None:
        out += separation_alerts(tracks, separation, now_s=now_s)
    if len(tracks) and p.zones:
        zset = ZoneSet.from_zones(p.zones)
        entries = predict_entries(tracks, zset, now_s=now_s, lookahead_s=lookahead_s)
        out += zone_entry_alerts(tracks, p.zones, entries, now_s=now_s)
    if p.volumes:
        vset = VolumeSet.from_volumes(p.volumes)
        out += intent_overlap_alerts(p.volumes, find_overlaps(vset, now_s=now_s), now_s=now_s)
        if len(tracks):
            index = non_conforming(tracks, vset, now_s=now_s).tolist()
            out += non_conforming_alerts(tracks, index, now_s=now_s)
    if p.strikes and p.positions:
        sset, pset = StrikeSet.from_strikes(p.strikes), PositionSet.from_positions(p.positions)
        proximity = strike_proximity(sset, pset, now_s=now_s)
        out += strike_alerts(p.strikes, p.positions, proximity, now_s=now_s)
    if movements:
        out += _movement_alerts(p, movements, now_s)
    if len(tracks) and p.countries:
        bset = BorderSet.from_countries(p.countries)
        crossings = predict_crossings(tracks, bset, lookahead_s=lookahead_s)
        out += border_alerts(tracks, p.countries, crossings, now_s=now_s)
    out.sort(key=sort_key)
    return out


def _movement_alerts(p: Picture, movements: Sequence[Movement], now_s: float) -> list[Alert]:
    """The alerts of ground movements against a picture's strikes, zones and volumes."""
    out: list[Alert] = []
    if p.strikes:
        near = strike_movements(
            StrikeSet.from_strikes(p.strikes), MovementSet.from_movements(movements), now_s=now_s
        )
        out += strike_movement_alerts(p.strikes, movements, near, now_s=now_s)
    if p.zones:
        crossings = movement_zones(movements, p.zones, now_s=now_s)
        out += movement_zone_alerts(movements, p.zones, crossings, now_s=now_s)
    if p.volumes:
        both, pairs = movement_overlaps(movements, p.volumes, now_s=now_s)
        out += intent_overlap_alerts(both, pairs, now_s=now_s)
    return out


def count_by_kind(alerts: Iterable[Alert]) -> Mapping[str, int]:
    """How many alerts of each kind, in the order of :data:`~deconflict.model.ALERT_KINDS`
    (kinds with none left out)."""
    counts = {kind: 0 for kind in ALERT_KINDS}
    for a in alerts:
        counts[a.kind] += 1
    return {kind: n for kind, n in counts.items() if n}
