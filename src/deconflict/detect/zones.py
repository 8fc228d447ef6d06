"""Zone-entry prediction: which tracks will enter (or are in) a zone whose rules apply.

A track flies its great circle at constant ground speed and vertical speed for the
lookahead ``T``. It *enters* zone z at the first time t in [0, T] at which, at once,

* its position is in the zone's area (a closed set: boundary points count),
* its altitude ``alt_m + vs_mps * t`` is in ``[alt_min_m, alt_max_m]``,
* ``now + t`` is in the zone's validity ``[valid_from, valid_to]``,

and a rule of the zone applies to its party: the rule naming the party, else the ``"*"``
rule, else none (then no entry is reported). Tracks already inside at t = 0 enter at 0.

The conventions of every detector (``now_s``, ``lookahead_s``, indices, NaN, empty
inputs) are those of :mod:`deconflict.detect.inputs`.

How: one lon/lat box per track path and per zone (spherical caps, split at the
antimeridian) go into an STRtree; candidate pairs are filtered by rule, altitude and
validity in array operations; the survivors' paths are projected into their zone's local
frame (:mod:`deconflict.detect.frames`) and intersected with the zone in one vectorised
shapely call. No Python loop runs over tracks or zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from ..model import ACTIONS, Tracks, Zone
from .areas import area_arrays, zone_area
from .arrays import F64, I8, I64, B, Geoms, Rows, Strs, columns
from .frames import (
    Frames,
    arc_near,
    cap_boxes,
    circle_intervals,
    lat_lon,
    overlapping_owners,
    path_columns,
    path_intervals,
    path_samples,
    polygon_edges,
    polygon_intervals,
    segments_for,
    to_frame,
    track_path,
)
from .inputs import DEFAULT_LOOKAHEAD_S, check_lookahead, check_now, check_tracks, no_nan_in

__all__ = [
    "ADVISORY",
    "DEFAULT_LOOKAHEAD_S",
    "FORBID",
    "NOTIFY",
    "ZoneEntries",
    "ZoneSet",
    "altitude_window",
    "predict_entries",
]

SMALL_POLYGON_EDGES = 64
"""Polygons with at most this many edges are intersected in numpy, larger by shapely."""

ADVISORY, NOTIFY, FORBID = 1, 2, 3
"""Rule action codes (0: no rule applies); ``ACTIONS[code - 1]`` is the name."""


@dataclass(frozen=True)
class ZoneSet(Rows):
    """m zones as arrays.

    Attributes
    ----------
    id : ndarray of str, shape (m,)
    frames : Frames, length m
        Each zone's local frame.
    geom : ndarray of shapely geometries, shape (m,)
        Areas in their frames, metres.
    radius_m : ndarray, shape (m,)
        Largest distance of each area from its frame's centre, metres.
    alt_min_m, alt_max_m : ndarray, shape (m,)
        Altitude band, metres (+-inf when open).
    valid_from_s, valid_to_s : ndarray, shape (m,)
        Validity, POSIX seconds (+-inf when open).
    rule_zone : ndarray of int64, shape (r,)
        The zone of each rule.
    rule_party : ndarray of str, shape (r,)
        Party named by the rule, or ``"*"``.
    rule_action : ndarray of int8, shape (r,)
        :data:`ADVISORY`, :data:`NOTIFY` or :data:`FORBID`.
    rule_lead_s : ndarray, shape (r,)
        Notice required before entry, seconds.
    circle_m : ndarray, shape (m,)
        Radius of a circular zone, metres (NaN for polygons); circles are solved exactly
        on the sphere rather than through their inscribed polygon.
    edges : tuple
        :func:`~deconflict.detect.frames.polygon_edges` of ``geom`` (computed when
        omitted).
    """

    id: Strs
    frames: Frames
    geom: Geoms
    radius_m: F64
    alt_min_m: F64
    alt_max_m: F64
    valid_from_s: F64
    valid_to_s: F64
    rule_zone: I64
    rule_party: Strs
    rule_action: I8
    rule_lead_s: F64
    circle_m: F64 | None = None
    edges: tuple[F64, F64, I64] | None = None

    _BANDS = ("alt_min_m", "alt_max_m", "valid_from_s", "valid_to_s")

    def __post_init__(self) -> None:
        no_nan_in("zone set", self, *self._BANDS, "radius_m", "rule_lead_s")
        if self.circle_m is None:
            object.__setattr__(self, "circle_m", np.full(len(self), np.nan))
        if self.edges is None:
            object.__setattr__(self, "edges", polygon_edges(self.geom))
        shapely.prepare(self.geom)

    @classmethod
    def from_zones(cls, zones: Sequence[Zone]) -> ZoneSet:
        """The arrays of :class:`~deconflict.model.Zone` records, in their order.

        Areas are built by :func:`~deconflict.detect.areas.zone_area` (cached); a zone
        whose geometry cannot be built raises :class:`InvalidInput` naming it.
        """
        rules = [(k, r) for k, z in enumerate(zones) for r in z.rules]
        areas = [zone_area(z) for z in zones]
        frames, geom, radius_m = area_arrays(areas)
        return cls(
            **columns(zones, np.str_, "id"),
            **columns(zones, np.float64, *cls._BANDS),
            frames=frames,
            geom=geom,
            radius_m=radius_m,
            rule_zone=np.array([k for k, _ in rules], dtype=np.int64),
            rule_party=np.array([r.party for _, r in rules], dtype=np.str_),
            rule_action=np.array([ACTIONS.index(r.action) + 1 for _, r in rules], dtype=np.int8),
            rule_lead_s=np.array([r.lead_s for _, r in rules], dtype=np.float64),
            circle_m=np.array(
                [np.nan if a.circle_m is None else a.circle_m for a in areas], dtype=np.float64
            ),
        )

    def rule_matrix(self, parties: Strs) -> tuple[I8, F64]:
        """Action code and lead time of the rule applying to each (zone, party).

        Parameters
        ----------
        parties : ndarray of str, shape (q,)

        Returns
        -------
        action : ndarray of int8, shape (m, q)
            0 where no rule applies.
        lead_s : ndarray, shape (m, q)
        """
        m, q = len(self), parties.shape[0]
        action = np.zeros((m, q), dtype=np.int8)
        lead = np.zeros((m, q), dtype=np.float64)
        star = np.flatnonzero(self.rule_party == "*")
        action[self.rule_zone[star], :] = self.rule_action[star, None]
        lead[self.rule_zone[star], :] = self.rule_lead_s[star, None]
        order = np.argsort(parties)
        pos = np.searchsorted(parties[order], self.rule_party)
        pos = np.minimum(pos, max(q - 1, 0))
        named = np.flatnonzero((self.rule_party != "*") & (q > 0))
        if q:
            named = named[parties[order][pos[named]] == self.rule_party[named]]
            col = order[pos[named]]
            action[self.rule_zone[named], col] = self.rule_action[named]
            lead[self.rule_zone[named], col] = self.rule_lead_s[named]
        return action, lead


@dataclass(frozen=True)
class ZoneEntries(Rows):
    """Predicted entries, one row per (track, zone), sorted by (track, zone).

    Attributes
    ----------
    track, zone : ndarray of int64, shape (k,)
        Rows of the tracks given, and indices into the zone set (the order of the zone
        records).
    t_s : ndarray, shape (k,)
        Seconds from now until entry (0 when already inside).
    lat_deg, lon_deg, alt_m : ndarray, shape (k,)
        The track's position at entry.
    action : ndarray of int8, shape (k,)
        The applying rule's action code (:data:`ADVISORY`, :data:`NOTIFY`, :data:`FORBID`).
    lead_s : ndarray, shape (k,)
        The rule's lead time, seconds.
    lead_met : ndarray of bool, shape (k,)
        False for a ``notify`` rule whose entry comes sooner than ``lead_s``.
    """

    track: I64
    zone: I64
    t_s: F64
    lat_deg: F64
    lon_deg: F64
    alt_m: F64
    action: I8
    lead_s: F64
    lead_met: B

    def action_names(self) -> list[str]:
        """The rule actions as names."""
        return [ACTIONS[int(a) - 1] for a in self.action]


def altitude_window(alt_m: F64, vs_mps: F64, alt_min_m: F64, alt_max_m: F64) -> tuple[F64, F64]:
    """Times (s, possibly +-inf) during which ``alt_m + vs_mps * t`` is in the band.

    All inputs have shape (k,). Where the band is never reached, ``lo > hi``.

    >>> lo, hi = altitude_window(np.array([1000.0, 500.0]), np.array([10.0, 0.0]),
    ...                          np.array([2000.0, 0.0]), np.array([3000.0, 400.0]))
    >>> lo.tolist(), hi.tolist()
    ([100.0, inf], [200.0, -inf])
    """
    climbing = vs_mps != 0
    t1 = np.zeros_like(alt_m)
    t2 = np.zeros_like(alt_m)
    with np.errstate(invalid="ignore", over="ignore"):
        np.divide(alt_min_m - alt_m, vs_mps, out=t1, where=climbing)
        np.divide(alt_max_m - alt_m, vs_mps, out=t2, where=climbing)
    inside = (alt_m >= alt_min_m) & (alt_m <= alt_max_m)
    lo = np.where(climbing, np.minimum(t1, t2), np.where(inside, -np.inf, np.inf))
    hi = np.where(climbing, np.maximum(t1, t2), np.where(inside, np.inf, -np.inf))
    return lo, hi


def _empty() -> ZoneEntries:
    i = np.zeros(0, dtype=np.int64)
    f = np.zeros(0, dtype=np.float64)
    return ZoneEntries(i, i, f, f, f, f, np.zeros(0, np.int8), f, np.zeros(0, bool))


def _pieces(
    tracks: Tracks, zones: ZoneSet, ti: I64, zi: I64, horizon: float, length_m: F64
) -> tuple[I64, F64, F64]:
    """Pieces (pair, t_start, t_end) of each pair's path inside its zone, sorted.

    Circles are solved exactly on the sphere; polygons of at most
    :data:`SMALL_POLYGON_EDGES` edges by segment-edge intersection in numpy; larger
    ones by shapely intersection. Polygons are worked in the zone's local frame, on
    each path sampled by its own length (``length_m``, shape (n,), metres, per track),
    so a pair's pieces never depend on the other tracks of the call.
    """
    assert zones.circle_m is not None and zones.edges is not None
    radius = zones.circle_m[zi]
    circ = np.flatnonzero(np.isfinite(radius))
    c0, c1, hit = circle_intervals(
        *path_columns(tracks, ti[circ]), zones.frames.u[zi[circ]], radius[circ], horizon
    )
    pairs, starts, ends = [circ[hit]], [c0[hit]], [c1[hit]]
    start, end, offset = zones.edges
    n_edges = (offset[1:] - offset[:-1])[zi]
    n_seg = np.array([segments_for(float(m)) for m in length_m[ti]], dtype=np.int64)
    for n in np.unique(n_seg[~np.isfinite(radius)]):
        times = track_path(int(n), horizon)
        group = ~np.isfinite(radius) & (n_seg == n)
        used, back = np.unique(ti[group], return_inverse=True)
        u_used = path_samples(*path_columns(tracks, used), times)
        at = np.full(ti.size, -1, dtype=np.int64)
        at[np.flatnonzero(group)] = back
        for small in (True, False):
            sel = np.flatnonzero(group & ((n_edges <= SMALL_POLYGON_EDGES) == small))
            if sel.size == 0:
                continue
            zs = zi[sel]
            x, y = to_frame(u_used[at[sel]], zones.frames.take(zs))
            xy = np.stack([x, y], axis=-1)
            if small:
                p, a, b = polygon_intervals(xy, zones.geom[zs], start, end, offset, zs, times)
            else:
                p, a, b = path_intervals(xy, zones.geom[zs], times)
            pairs.append(sel[p])
            starts.append(a)
            ends.append(b)
    pair = np.concatenate(pairs).astype(np.int64)
    t0 = np.concatenate(starts)
    t1 = np.concatenate(ends)
    order = np.lexsort((t0, pair))
    return pair[order], t0[order], t1[order]


def predict_entries(
    tracks: Tracks, zones: ZoneSet, *, now_s: float, lookahead_s: float = DEFAULT_LOOKAHEAD_S
) -> ZoneEntries:
    """Every (track, zone) pair whose straight path enters the zone under an applying rule.

    Parameters
    ----------
    tracks : Tracks
        n tracks.
    zones : ZoneSet
        m zones.
    now_s : float
        The present, POSIX seconds (required: validity windows are compared with it).
    lookahead_s : float
        T, seconds (>= 0).

    Returns
    -------
    ZoneEntries
        k rows, the earliest entry of each pair; see the module docstring. No tracks or
        no zones: no rows. Neither input holds NaN (both are checked when built).

    Notes
    -----
    Circles are exact. For polygons, each path is sampled in equal segments of at most
    25 km of its own length (4 to 64 segments), so a track's entries are the same
    whichever other tracks share the call.

    >>> from deconflict.model import Geometry, Rule
    >>> z = Zone("z", "z", "claimed", ("red",), (), (Rule("*", "forbid"),),
    ...          Geometry("Point", (0.0, 0.0)), radius_m=10000.0)
    >>> t = Tracks(id=["a"], party=["blue"], lat_deg=[0.0], lon_deg=[-0.2], alt_m=[3000.0],
    ...            gs_mps=[100.0], track_deg=[90.0], vs_mps=[0.0])
    >>> e = predict_entries(t, ZoneSet.from_zones([z]), now_s=0.0, lookahead_s=300.0)
    >>> round(float(e.t_s[0]), 1), e.action_names()
    (122.4, ['forbid'])
    """
    now_s = check_now(now_s)
    horizon = check_lookahead(lookahead_s)
    if len(tracks) == 0 or len(zones) == 0:
        return _empty()
    check_tracks(tracks)
    parties, code = np.unique(tracks.party, return_inverse=True)
    action, lead = zones.rule_matrix(parties)
    # candidates: caps around each path (centre at mid-path) and each zone
    length = tracks.gs_mps * horizon
    mid = path_samples(
        tracks.lat_deg, tracks.lon_deg, tracks.gs_mps, tracks.track_deg, np.array([horizon / 2])
    )[:, 0]
    mlat, mlon = lat_lon(mid)
    tb, to = cap_boxes(mlat, mlon, length / 2)
    zb, zo = cap_boxes(zones.frames.lat_deg, zones.frames.lon_deg, zones.radius_m)
    ti, zi = overlapping_owners(tb, to, zb, zo)
    act = action[zi, code[ti]]
    alt_lo, alt_hi = altitude_window(
        tracks.alt_m[ti], tracks.vs_mps[ti], zones.alt_min_m[zi], zones.alt_max_m[zi]
    )
    lo = np.maximum.reduce([np.zeros_like(alt_lo), alt_lo, zones.valid_from_s[zi] - now_s])
    hi = np.minimum.reduce([np.full_like(alt_hi, horizon), alt_hi, zones.valid_to_s[zi] - now_s])
    keep = (act > 0) & (lo <= hi)
    ti, zi, lo, hi = ti[keep], zi[keep], lo[keep], hi[keep]
    near = arc_near(*path_columns(tracks, ti), zones.frames.u[zi], zones.radius_m[zi], horizon)
    ti, zi, lo, hi = ti[near], zi[near], lo[near], hi[near]
    if ti.size == 0:
        return _empty()
    pair, t0, t1 = _pieces(tracks, zones, ti, zi, horizon, length)
    start = np.maximum(t0, lo[pair])
    ok = start <= np.minimum(t1, hi[pair]) + 1e-9
    pair, start = pair[ok], start[ok]
    # pieces are sorted by (pair, t0), so the first valid piece has the earliest entry
    first_pair, first = np.unique(pair, return_index=True)
    t_entry = start[first]
    rows = ti[first_pair]
    where = path_samples(*path_columns(tracks, rows), t_entry[:, None])[:, 0]
    lat, lon = lat_lon(where)
    zrows = zi[first_pair]
    acts = action[zrows, code[rows]]
    leads = lead[zrows, code[rows]]
    return ZoneEntries(
        track=rows.astype(np.int64),
        zone=zrows.astype(np.int64),
        t_s=t_entry,
        lat_deg=lat,
        lon_deg=lon,
        alt_m=tracks.alt_m[rows] + tracks.vs_mps[rows] * t_entry,
        action=acts,
        lead_s=leads,
        lead_met=(acts != NOTIFY) | (t_entry >= leads),
    )
