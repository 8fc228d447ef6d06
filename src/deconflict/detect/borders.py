"""Border crossings: tracks predicted to pass from one country into another.

Countries are polygons in lon/lat degrees (their edges are short, so the plane of
lon/lat is where they are exact). Each track's great-circle path over the lookahead is
sampled densely (segments of at most 25 km) in lon/lat, unwrapped around its start so
the antimeridian is no jump, and intersected with the candidate countries (an STRtree
over their envelopes; a path reaching past +-180 degrees is also tried shifted by 360).

A crossing is a time t in (0, T] at which the path leaves country A and enters country
B != A. Independently simplified borders leave slivers between neighbours; an exit and
an entry less than :data:`BORDER_GAP_M` of flight apart (in either order) are one
crossing, reported at the entry. Leaving into, or arriving from, a place that is in no
given country (the sea, the edge of a clipped map) is not reported.

Countries have no validity window, so there is no ``now_s`` here. Other conventions
(``lookahead_s``, indices into the inputs, no NaN, empty in gives empty out):
:mod:`deconflict.detect.inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from ..model import Country, Tracks
from .areas import country_shape
from .arrays import F64, I64, Geoms, Rows, Strs, columns
from .frames import lat_lon, path_columns, path_intervals, path_samples, segments_for, track_path
from .inputs import DEFAULT_LOOKAHEAD_S, check_lookahead, check_tracks

__all__ = ["BORDER_GAP_M", "DEFAULT_LOOKAHEAD_S", "BorderSet", "Crossings", "predict_crossings"]

BORDER_GAP_M = 2000.0
"""Largest flight distance between leaving one country and entering the next that still
counts as one crossing, metres."""


@dataclass(frozen=True)
class BorderSet(Rows):
    """c countries: ``id``, ``name`` (str, shape (c,)), ``geom`` (lon/lat, shape (c,))."""

    id: Strs
    name: Strs
    geom: Geoms

    @classmethod
    def from_countries(cls, countries: Sequence[Country]) -> BorderSet:
        """The arrays of :class:`~deconflict.model.Country` records, in their order."""
        return cls(
            **columns(countries, np.str_, "id", "name"),
            geom=np.array([country_shape(c) for c in countries], dtype=object).reshape(-1),
        )


@dataclass(frozen=True)
class Crossings(Rows):
    """Predicted crossings, sorted by (track, t_s).

    Attributes
    ----------
    track : ndarray of int64, shape (k,)
        Rows of the tracks given.
    t_s : ndarray, shape (k,)
        Seconds from now.
    lat_deg, lon_deg : ndarray, shape (k,)
        Where, on the track's path.
    from_country, to_country : ndarray of int64, shape (k,)
        Indices into the border set (the order of the country records).
    """

    track: I64
    t_s: F64
    lat_deg: F64
    lon_deg: F64
    from_country: I64
    to_country: I64


def _empty() -> Crossings:
    i = np.zeros(0, dtype=np.int64)
    f = np.zeros(0, dtype=np.float64)
    return Crossings(i, f, f, f, i, i)


def _pieces(
    tracks: Tracks, idx: I64, borders: BorderSet, tree: shapely.STRtree, times: F64
) -> tuple[I64, I64, F64, F64]:
    """(track, country, t_start, t_end) of the tracks ``idx`` inside each country.

    The paths are sampled at ``times`` (seconds, shape (s,)) and worked in degrees, with
    copies shifted by 360 degrees where they leave [-180, 180].
    """
    lat, lon = lat_lon(path_samples(*path_columns(tracks, idx), times))
    lon = lon[:, :1] + (lon - lon[:, :1] + 180.0) % 360.0 - 180.0
    lon0 = (tracks.lon_deg[idx] + 180.0) % 360.0 - 180.0
    lon = lon - lon[:, :1] + lon0[:, None]
    xy = np.stack([lon, lat], axis=-1)  # (n, s, 2)
    rows = [np.arange(idx.size)]
    shift = [np.zeros(idx.size)]
    over = np.flatnonzero(lon.max(axis=1) > 180.0)
    under = np.flatnonzero(lon.min(axis=1) < -180.0)
    rows += [over, under]
    shift += [np.full(over.shape, -360.0), np.full(under.shape, 360.0)]
    path_row = np.concatenate(rows)
    path_xy = xy[path_row].copy()
    path_xy[..., 0] += np.concatenate(shift)[:, None]
    lo = path_xy.min(axis=1)
    hi = path_xy.max(axis=1)
    boxes = shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
    pi, ci = tree.query(boxes, predicate="intersects")
    pair, t0, t1 = path_intervals(path_xy[pi], borders.geom[ci], times)
    return idx[path_row[pi[pair]]], ci[pair], t0, t1


def predict_crossings(
    tracks: Tracks, borders: BorderSet, *, lookahead_s: float = DEFAULT_LOOKAHEAD_S
) -> Crossings:
    """Every border crossing of every track within the lookahead (seconds >= 0).

    No tracks or no countries: no crossings. Tracks hold no NaN (checked when built).

    >>> import shapely
    >>> b = BorderSet(np.array(["w", "e"]), np.array(["West", "East"]),
    ...               np.array([shapely.box(-1, -1, 0, 1), shapely.box(0, -1, 1, 1)]))
    >>> t = Tracks(id=["a"], party=["p"], lat_deg=[0.0], lon_deg=[-0.1], alt_m=[1000.0],
    ...            gs_mps=[200.0], track_deg=[90.0], vs_mps=[0.0])
    >>> c = predict_crossings(t, b, lookahead_s=300.0)
    >>> round(float(c.t_s[0]), 1), c.from_country.tolist(), c.to_country.tolist()
    (55.6, [0], [1])
    """
    horizon = check_lookahead(lookahead_s)
    if len(tracks) == 0 or len(borders) == 0:
        return _empty()
    check_tracks(tracks)
    # each path sampled by its own length, so a track's crossings never depend on the
    # other tracks of the call
    tree = shapely.STRtree(borders.geom)
    n_seg = np.array([segments_for(float(m)) for m in tracks.gs_mps * horizon], dtype=np.int64)
    parts = [
        _pieces(tracks, np.flatnonzero(n_seg == n), borders, tree, track_path(int(n), horizon))
        for n in np.unique(n_seg)
    ]
    track = np.concatenate([p[0] for p in parts])
    country = np.concatenate([p[1] for p in parts])
    t0 = np.concatenate([p[2] for p in parts])
    t1 = np.concatenate([p[3] for p in parts])
    # exits and entries, matched per track within the gap tolerance
    eps = 1e-6 * max(horizon, 1.0)
    ent = np.flatnonzero(t0 > eps)
    ext = np.flatnonzero(t1 < horizon - eps)
    if ent.size == 0 or ext.size == 0:
        return _empty()
    tol = BORDER_GAP_M / np.maximum(tracks.gs_mps, 1e-3)
    span = 2.0 * (horizon + float(tol.max())) + 1.0
    x_key = track[ext] * span + t1[ext]
    x_order = np.argsort(x_key)
    x_sorted = x_key[x_order]
    e_key = track[ent] * span + t0[ent]
    best = np.full(ent.shape, -1, dtype=np.int64)
    best_gap = np.full(ent.shape, np.inf)
    at = np.searchsorted(x_sorted, e_key)
    for cand in (at - 1, at):
        valid = (cand >= 0) & (cand < x_sorted.size)
        c = np.clip(cand, 0, max(x_sorted.size - 1, 0))
        gap = np.abs(x_sorted[c] - e_key)
        j = ext[x_order[c]]
        valid &= (track[j] == track[ent]) & (country[j] != country[ent])
        valid &= gap <= tol[track[ent]]
        better = valid & (gap < best_gap)
        best[better] = j[better]
        best_gap[better] = gap[better]
    found = best >= 0
    e = ent[found]
    x = best[found]
    t_cross = t0[e]
    trk = track[e]
    order = np.lexsort((t_cross, trk))
    e, x, t_cross, trk = e[order], x[order], t_cross[order], trk[order]
    where = path_samples(*path_columns(tracks, trk), t_cross[:, None])[:, 0]
    clat, clon = lat_lon(where)
    return Crossings(
        track=trk.astype(np.int64),
        t_s=t_cross,
        lat_deg=clat,
        lon_deg=clon,
        from_country=country[x].astype(np.int64),
        to_country=country[e].astype(np.int64),
    )
