"""Detection partitioned by area: which detector owns what, and what each must see.

Several detectors share one picture by area. The area is cut into H3 cells at a fixed
resolution (:data:`RESOLUTION`); every cell belongs to exactly one detector, chosen by
rendezvous (highest-random-weight) hashing of (cell, detector name) with blake2b, so the
assignment is the same in every process and a detector joining or leaving moves only the
cells it gains or loses (:class:`Partition`).

Each finding has one *home cell*, decided from the data alone (never from timing or from
which detector looks), and only the owner of that cell reports it:

* a separation pair: the cell of the current position of its first subject, the track
  with the lower id (``Conflicts.a``; the alert's key is kind + sorted subjects);
* a zone entry, a border crossing, a non-conforming track: the track's cell;
* an intent overlap: the centre of the first volume (lower id) of the pair;
* a strike proximity: the strike's centre (the strike is the first subject).

A detector running separation must see, besides the tracks it owns, every track that
could conflict with one of them within the lookahead (:func:`needed_tracks`, the halo).
Per-track detections need only the owned tracks, and zones only the detectors whose
tracks can reach them (:func:`reaching`); the other declarations (volumes, strikes,
positions, borders) reach every detector and the home rule picks the one that reports.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import h3
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InvalidInput
from ..geo import EARTH_RADIUS_M
from ..model import Tracks
from .arrays import F64, I64, B, Strs
from .engine import TrackState
from .grid import candidate_pairs
from .intents import Overlaps, VolumeSet
from .separation import DEFAULT_H_SEP_M, DEFAULT_LOOKAHEAD_S, Conflicts
from .strikes import Proximity, StrikeSet

__all__ = [
    "HALO_MARGIN_M",
    "RESOLUTION",
    "Partition",
    "cell_radius_m",
    "cells_of",
    "halo_pairs",
    "keep_owned",
    "needed_tracks",
    "owns_overlaps",
    "owns_pairs",
    "owns_proximities",
    "reaching",
    "within_reach",
]

RESOLUTION = 2
"""H3 resolution of the cells (res 2: about 86,700 km² each, edges about 158 km).

The edge is about the halo width of airliners at the defaults (``2 * 250 m/s * 300 s +
9,260 m`` ≈ 160 km), so a detector's halo reaches about one ring of neighbouring cells;
finer cells are each surrounded by halo on every side and copy more tracks (measured in
docs/separation.md, "Partitioning by area": 10,000 tracks over Europe on 8 detectors
copy each track 2.3 times at res 2, 4.4 times at res 3). Coarser (res 1, 609,000 km²)
leaves a theatre of a few hundred thousand km² in one or two cells, with nothing to
share. Override per :class:`Partition` where traffic is denser or sparser."""

HALO_MARGIN_M = 1.0
"""Metres added to the halo width to absorb rounding in the distance (float64 on the
earth's radius rounds at the micrometre; the margin only ever adds tracks)."""

U64 = NDArray[np.uint64]


def cells_of(lat_deg: ArrayLike, lon_deg: ArrayLike, *, resolution: int = RESOLUTION) -> U64:
    """The H3 cell of each point, uint64 shape (n,), from degrees shaped (n,)."""
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    if lat.shape != lon.shape or lat.ndim != 1:
        raise InvalidInput(f"lat and lon must be shaped (n,) alike, got {lat.shape}, {lon.shape}")
    if not (0 <= resolution <= 15):
        raise InvalidInput(f"H3 resolution must be in [0, 15], got {resolution}")
    if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon))):
        raise InvalidInput("lat and lon must be finite")
    out = np.empty(lat.shape[0], dtype=np.uint64)
    to_int = h3.str_to_int
    for k, (a, o) in enumerate(zip(lat.tolist(), lon.tolist(), strict=True)):
        out[k] = to_int(h3.latlng_to_cell(a, o, resolution))
    return out


EXACT_RADIUS_RES = 3
"""Finest resolution whose cells' radius is measured over every cell (41,162 at res 3);
finer ones use it, an upper bound."""


def _unit(lat_deg: ArrayLike, lon_deg: ArrayLike) -> F64:
    """Unit vectors of points (degrees), shape (n, 3)."""
    la, lo = (
        np.radians(np.asarray(lat_deg, dtype=np.float64)),
        np.radians(np.asarray(lon_deg, dtype=np.float64)),
    )
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _arcs_m(u: F64, v: F64) -> F64:
    """Great-circle distances (m) between every row of ``u`` (n, 3) and of ``v`` (m, 3),
    shape (n, m)."""
    chord = np.linalg.norm(u[:, None, :] - v[None, :, :], axis=-1)
    arc: F64 = (2.0 * EARTH_RADIUS_M) * np.arcsin(np.minimum(0.5 * chord, 1.0))
    return arc


@functools.cache
def cell_radius_m(resolution: int = RESOLUTION) -> float:
    """The largest distance (m) from an H3 cell's centre to any point of it, over every
    cell of ``resolution`` (a cell is a convex spherical polygon: its farthest points
    are vertices), plus :data:`HALO_MARGIN_M`. Finer than :data:`EXACT_RADIUS_RES`, that
    resolution's (larger) figure."""
    if not (0 <= resolution <= 15):
        raise InvalidInput(f"H3 resolution must be in [0, 15], got {resolution}")
    res = min(resolution, EXACT_RADIUS_RES)
    worst = 0.0
    for base in h3.get_res0_cells():
        for cell in h3.cell_to_children(base, res):
            centre = _unit(*h3.cell_to_latlng(cell))[None, :]
            corners = np.array(h3.cell_to_boundary(cell), dtype=np.float64)
            far = _arcs_m(centre, _unit(corners[:, 0], corners[:, 1])).max()
            worst = max(worst, float(far))
    return worst * (1.0 + 1e-9) + HALO_MARGIN_M


def within_reach(
    cells: ArrayLike, reach_m: ArrayLike, targets: ArrayLike, *, resolution: int = RESOLUTION
) -> B:
    """Whether a point of each of ``cells`` (uint64 shape (n,)) may lie within
    ``reach_m[k]`` metres (shape (n,)) of a point of any of ``targets`` (uint64 shape
    (m,)): the cells' centres are within ``reach_m + 2 * cell_radius_m`` (a point is at
    most :func:`cell_radius_m` from its cell's centre). Never False where it could be
    True; bool shape (n,)."""
    c = np.atleast_1d(np.asarray(cells, dtype=np.uint64))
    reach = np.broadcast_to(np.asarray(reach_m, dtype=np.float64), c.shape)
    t = np.unique(np.atleast_1d(np.asarray(targets, dtype=np.uint64)))
    if not c.size or not t.size:
        return np.zeros(c.shape, dtype=bool)
    uniq, inverse = np.unique(c, return_inverse=True)

    def centres(cs: U64) -> F64:
        ll = np.array([h3.cell_to_latlng(h3.int_to_str(int(x))) for x in cs.tolist()])
        return _unit(ll[:, 0], ll[:, 1])

    nearest = _arcs_m(centres(uniq), centres(t)).min(axis=1)[inverse.reshape(-1)]
    near: B = nearest <= reach + 2.0 * cell_radius_m(resolution)
    return near


def _weight(cell: int, name: bytes) -> int:
    """Rendezvous weight of (cell, detector): blake2b, stable across processes."""
    digest = hashlib.blake2b(
        cell.to_bytes(8, "big") + name, digest_size=8, person=b"dcf-cells"
    ).digest()
    return int.from_bytes(digest, "big")


class Partition:
    """Which detector owns each cell: rendezvous hashing over the detectors' names.

    Parameters
    ----------
    detectors : sequence of str
        The detectors' names, non-empty and distinct (order does not matter).
    resolution : int
        The H3 resolution of the cells (:data:`RESOLUTION` by default).

    A cell goes to the detector with the highest ``blake2b(cell, name)``; ties (one in
    2**64) go to the lower name. The same names give the same owners in any process;
    adding a detector moves to it only the cells it wins, removing one moves only its
    cells.

    >>> p = Partition(["d1", "d2"])
    >>> cells = cells_of([46.5, -33.9], [7.5, 151.2])
    >>> set(p.owner_of(cells).tolist()) <= {"d1", "d2"}
    True
    """

    def __init__(self, detectors: Sequence[str], *, resolution: int = RESOLUTION) -> None:
        names = [str(d) for d in detectors]
        if not names:
            raise InvalidInput("a partition needs at least one detector")
        if any(not n for n in names):
            raise InvalidInput("a detector's name must not be empty")
        if len(set(names)) != len(names):
            raise InvalidInput("detectors' names must be distinct")
        if not (0 <= resolution <= 15):
            raise InvalidInput(f"H3 resolution must be in [0, 15], got {resolution}")
        self.detectors: tuple[str, ...] = tuple(sorted(names))
        self.resolution = resolution
        self._names = [n.encode() for n in self.detectors]
        self._cache: dict[int, int] = {}

    def _owner(self, cell: int) -> int:
        hit = self._cache.get(cell)
        if hit is None:
            weights = [_weight(cell, n) for n in self._names]
            # max() keeps the first of equal weights: the lower name.
            hit = max(range(len(weights)), key=weights.__getitem__)
            self._cache[cell] = hit
        return hit

    def owner_index(self, cells: ArrayLike) -> I64:
        """Index into :attr:`detectors` of each cell's owner, int64 shape (n,)."""
        c = np.atleast_1d(np.asarray(cells, dtype=np.uint64))
        uniq, inverse = np.unique(c, return_inverse=True)
        owners = np.array([self._owner(int(u)) for u in uniq.tolist()], dtype=np.int64)
        return owners[inverse.reshape(-1)] if c.size else np.empty(0, dtype=np.int64)

    def owner_of(self, cells: ArrayLike) -> Strs:
        """Name of each cell's owner, str shape (n,)."""
        return np.array(self.detectors, dtype=np.str_)[self.owner_index(cells)]

    def owns(self, detector: str, cells: ArrayLike) -> B:
        """Whether ``detector`` owns each cell, bool shape (n,)."""
        if detector not in self.detectors:
            raise InvalidInput(f"{detector!r} is not a detector of this partition")
        mine: B = self.owner_index(cells) == self.detectors.index(detector)
        return mine

    def owns_points(self, detector: str, lat_deg: ArrayLike, lon_deg: ArrayLike) -> B:
        """Whether ``detector`` owns the cell of each point (degrees), bool shape (n,)."""
        return self.owns(detector, cells_of(lat_deg, lon_deg, resolution=self.resolution))


def _arc_m(u: F64, i: I64, j: I64) -> F64:
    """Great-circle distance (m) between rows i and j of unit vectors u, as the solver."""
    d = u[j] - u[i]
    chord = np.sqrt(np.einsum("ij,ij->i", d, d))
    arc: F64 = (2.0 * EARTH_RADIUS_M) * np.arcsin(np.minimum(0.5 * chord, 1.0))
    return arc


def halo_pairs(
    tracks: Tracks,
    *,
    lookahead: float = DEFAULT_LOOKAHEAD_S,
    h_sep: float = DEFAULT_H_SEP_M,
) -> tuple[I64, I64]:
    """Every pair of tracks that could lose separation within the lookahead.

    A pair (a, b) is returned when its great-circle distance now is below the halo width
    ``(gs_a + gs_b) * T + h_sep + HALO_MARGIN_M`` (m/s * s + m = metres). Every pair that
    :func:`~deconflict.detect.separation.detect` can report is among them: the solver's
    horizontal distance starts at that arc and changes no faster than the relative
    velocity projected on a plane, whose length is at most ``gs_a + gs_b``.

    Returns
    -------
    i, j : ndarray of int64, shape (k,)
        Row numbers in ``tracks``, each pair once, ``i < j``.
    """
    n = len(tracks)
    if n < 2:
        none = np.empty(0, dtype=np.int64)
        return none, none
    state = TrackState.from_tracks(tracks)
    p = EARTH_RADIUS_M * state.u
    # Boxes of half-width gs * T + (h_sep + margin) / 2 around each position overlap
    # whenever the chord (<= the arc) is below the halo width.
    half = state.gs_mps * lookahead + 0.5 * (h_sep + HALO_MARGIN_M)
    lo, hi = p - half[:, None], p + half[:, None]
    i, j = candidate_pairs(lo, hi)
    width = (state.gs_mps[i] + state.gs_mps[j]) * lookahead + h_sep + HALO_MARGIN_M
    near = _arc_m(state.u, i, j) < width
    i, j = i[near], j[near]
    swap = i > j
    return np.where(swap, j, i), np.where(swap, i, j)


def needed_tracks(
    tracks: Tracks,
    owned: ArrayLike,
    *,
    lookahead: float = DEFAULT_LOOKAHEAD_S,
    h_sep: float = DEFAULT_H_SEP_M,
    pairs: tuple[I64, I64] | None = None,
) -> I64:
    """The rows of ``tracks`` a detector must receive to run separation: its own + halo.

    Parameters
    ----------
    tracks : Tracks
        The whole picture, n tracks.
    owned : array_like of bool, shape (n,)
        Whether the detector owns each track's cell (:meth:`Partition.owns`).
    lookahead, h_sep : float
        T (s) and the horizontal minimum (m) the detection will use.
    pairs : (i, j), optional
        :func:`halo_pairs` of ``tracks`` for these T and h_sep, to compute once for all
        detectors.

    Returns
    -------
    ndarray of int64, shape (m,)
        Sorted row numbers: every owned track, and every track b paired with an owned
        track a of lower id within the halo width ``(gs_a + gs_b) * T + h_sep`` (m) of
        great-circle distance (:func:`halo_pairs`). A pair (a, b) whose home is a's cell
        then has both tracks on a's owner, so nothing is missed; :func:`keep_owned` keeps
        it on that owner alone, so nothing is doubled.
    """
    own = np.asarray(owned, dtype=bool)
    if own.shape != (len(tracks),):
        raise InvalidInput(f"owned must be shaped ({len(tracks)},), got {own.shape}")
    i, j = pairs if pairs is not None else halo_pairs(tracks, lookahead=lookahead, h_sep=h_sep)
    first_is_i = tracks.id[i] < tracks.id[j]
    first = np.where(first_is_i, i, j)
    second = np.where(first_is_i, j, i)
    need = own.copy()
    need[second[own[first]]] = True
    return np.flatnonzero(need).astype(np.int64)


def owns_pairs(i: ArrayLike, j: ArrayLike, ids: ArrayLike, owned: ArrayLike) -> B:
    """Which pairs (``i[k]``, ``j[k]``) a detector reports: those whose first subject's
    (lower id's) cell it owns. ``ids``, ``owned``: shape (n,), per track; result (k,)."""
    ii, jj = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    names, own = np.asarray(ids), np.asarray(owned, dtype=bool)
    first = np.where(names[ii] < names[jj], ii, jj)
    keep: B = own[first]
    return keep


def keep_owned(found: Conflicts, owned: ArrayLike) -> Conflicts:
    """The pairs of ``found`` that a detector reports (:func:`owns_pairs`).

    ``owned`` is shaped like ``found.ids``: whether the detector owns each track's cell.
    """
    keep = owns_pairs(found.i, found.j, found.ids, owned)
    return Conflicts(
        i=found.i[keep],
        j=found.j[keep],
        ids=found.ids,
        t_in_s=found.t_in_s[keep],
        t_out_s=found.t_out_s[keep],
        tcpa_s=found.tcpa_s[keep],
        dcpa_m=found.dcpa_m[keep],
    )


def reaching(
    tracks: Tracks,
    owned: ArrayLike,
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    radius_m: ArrayLike,
    *,
    lookahead: float = DEFAULT_LOOKAHEAD_S,
) -> B:
    """Which areas a detector must be given to find its own tracks' entries into them.

    Parameters
    ----------
    tracks, owned
        The whole picture and the detector's cells, as in :func:`needed_tracks`.
    lat_deg, lon_deg, radius_m : array_like, shape (m,)
        Each area's centre (degrees) and the largest great-circle distance of the area
        from it (m): for zones, ``ZoneSet.frames.lat_deg``, ``.lon_deg``, ``.radius_m``.
    lookahead : float
        T, seconds.

    Returns
    -------
    ndarray of bool, shape (m,)
        Areas whose centre lies within ``gs * T + radius_m + HALO_MARGIN_M`` (m) of
        great-circle distance of an owned track: in T a track moves ``gs * T`` along
        its great circle, so an area farther than that from every owned track is entered
        by none of them (:func:`~deconflict.detect.zones.predict_entries` drops such
        pairs itself by the same bound).
    """
    own = np.flatnonzero(np.asarray(owned, dtype=bool))
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    radius = np.atleast_1d(np.asarray(radius_m, dtype=np.float64))
    m = lat.shape[0]
    out = np.zeros(m, dtype=bool)
    if own.size == 0 or m == 0:
        return out
    state = TrackState.from_tracks(tracks.take(own))
    zone_u = TrackState.from_columns(lat, lon, np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)).u
    u = np.concatenate([state.u, zone_u])
    half = np.concatenate([state.gs_mps * lookahead, radius + HALO_MARGIN_M])
    p = EARTH_RADIUS_M * u
    group = np.r_[np.zeros(own.size, dtype=np.int64), np.ones(m, dtype=np.int64)]
    i, j = candidate_pairs(p - half[:, None], p + half[:, None], group)
    t, z = np.minimum(i, j), np.maximum(i, j)
    near = _arc_m(u, t, z) <= half[t] + half[z]
    out[z[near] - own.size] = True
    return out


def owns_overlaps(found: Overlaps, volumes: VolumeSet, partition: Partition, detector: str) -> B:
    """Which intent overlaps ``detector`` reports, bool shape (k,): those whose first
    volume (``found.a``, the lower id) has its centre in a cell the detector owns.

    Every detector is given every volume (declarations are few), so
    :func:`~deconflict.detect.intents.find_overlaps` finds every overlap on each and this
    keeps each on one detector.
    """
    anchor = partition.owns_points(detector, volumes.frames.lat_deg, volumes.frames.lon_deg)
    mine: B = anchor[found.a]
    return mine


def owns_proximities(
    found: Proximity, strikes: StrikeSet, partition: Partition, detector: str
) -> B:
    """Which strike proximities ``detector`` reports, bool shape (k,): those whose strike
    (the first subject) has its centre in a cell the detector owns."""
    anchor = partition.owns_points(detector, strikes.lat_deg, strikes.lon_deg)
    mine: B = anchor[found.strike]
    return mine
