"""Volume intents: overlaps between parties' plans, and tracks outside their own plans.

A volume intent is an area x an altitude band x a time window, in the manner of the
operational intents of ASTM F3548. Two intents **overlap** when they belong to different
parties **and** their areas share more than :data:`MIN_OVERLAP_M2` **and** their altitude
bands overlap **and** their time windows overlap (bands and windows as half-open
intervals: volumes that only touch, in plan, in altitude or in time, do not overlap).
Pairs whose common window has ended before ``now`` are left out.

A track is **non-conforming** when its party has declared volume intents and it is, at
``now``, inside none of that party's intents active at ``now`` (area and altitude band
as closed sets).

Conventions (``now_s`` required, indices, no NaN, empty inputs): :mod:`deconflict.detect.inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from ..geo import unit_vectors
from ..model import Tracks, Volume
from .areas import area_arrays, volume_area
from .arrays import F64, I64, Geoms, Rows, Strs, columns
from .frames import Frames, cap_boxes, inner_points, overlapping_owners, reproject, to_frame
from .inputs import check_now, check_tracks, no_nan_in

__all__ = ["MIN_OVERLAP_M2", "Overlaps", "VolumeSet", "find_overlaps", "non_conforming"]

MIN_OVERLAP_M2 = 1.0
"""Areas sharing less than this, square metres, only touch (edges drawn straight in two
frames differ by slivers far thinner than a millimetre)."""


@dataclass(frozen=True)
class VolumeSet(Rows):
    """m volume intents as arrays (areas in their own local frames, metres).

    Attributes
    ----------
    id, party : ndarray of str, shape (m,)
    frames : Frames, length m
    geom : ndarray of shapely geometries, shape (m,)
    radius_m : ndarray, shape (m,)
    alt_min_m, alt_max_m : ndarray, shape (m,)
        Metres, +-inf when open.
    start_s, end_s : ndarray, shape (m,)
        POSIX seconds.
    """

    id: Strs
    party: Strs
    frames: Frames
    geom: Geoms
    radius_m: F64
    alt_min_m: F64
    alt_max_m: F64
    start_s: F64
    end_s: F64

    def __post_init__(self) -> None:
        no_nan_in("volume set", self, "radius_m", "alt_min_m", "alt_max_m", "start_s", "end_s")

    @classmethod
    def from_volumes(cls, volumes: Sequence[Volume]) -> VolumeSet:
        """The arrays of :class:`~deconflict.model.Volume` records, in their order.

        Areas are built by :func:`~deconflict.detect.areas.volume_area` (cached).
        """
        frames, geom, radius_m = area_arrays([volume_area(v) for v in volumes])
        return cls(
            **columns(volumes, np.str_, "id", "party"),
            **columns(volumes, np.float64, "alt_min_m", "alt_max_m", "start_s", "end_s"),
            frames=frames,
            geom=geom,
            radius_m=radius_m,
        )


@dataclass(frozen=True)
class Overlaps(Rows):
    """Overlapping pairs of intents, sorted by (a, b), ``id[a] < id[b]``.

    Attributes
    ----------
    a, b : ndarray of int64, shape (k,)
        Indices into the volume set (the order of the volume records).
    start_s, end_s : ndarray, shape (k,)
        The common time window, POSIX seconds.
    alt_min_m, alt_max_m : ndarray, shape (k,)
        The common altitude band, metres.
    area_m2 : ndarray, shape (k,)
        Area of the common part, square metres.
    lat_deg, lon_deg : ndarray, shape (k,)
        A point inside the common part (its representative point), degrees.
    """

    a: I64
    b: I64
    start_s: F64
    end_s: F64
    alt_min_m: F64
    alt_max_m: F64
    area_m2: F64
    lat_deg: F64
    lon_deg: F64


def _boxes(vols: VolumeSet) -> tuple[Geoms, I64]:
    return cap_boxes(vols.frames.lat_deg, vols.frames.lon_deg, vols.radius_m)


def find_overlaps(vols: VolumeSet, *, now_s: float) -> Overlaps:
    """Every pair of intents of different parties that overlap in 4D.

    Parameters
    ----------
    vols : VolumeSet
        m intents.
    now_s : float
        The present, POSIX seconds (required); pairs whose common window ended before it
        are left out.

    Returns
    -------
    Overlaps
        k pairs; see the module docstring for the definition. Fewer than two intents:
        no pairs. The set holds no NaN (checked when it is built).
    """
    now_s = check_now(now_s)
    boxes, owner = _boxes(vols)
    a, b = overlapping_owners(boxes, owner, boxes, owner)
    t0 = np.maximum(vols.start_s[a], vols.start_s[b])
    t1 = np.minimum(vols.end_s[a], vols.end_s[b])
    h0 = np.maximum(vols.alt_min_m[a], vols.alt_min_m[b])
    h1 = np.minimum(vols.alt_max_m[a], vols.alt_max_m[b])
    keep = (
        (vols.id[a] < vols.id[b])
        & (vols.party[a] != vols.party[b])
        & (t0 < t1)
        & (t1 >= now_s)
        & (h0 < h1)
    )
    a, b, t0, t1, h0, h1 = a[keep], b[keep], t0[keep], t1[keep], h0[keep], h1[keep]
    fa = vols.frames.take(a)
    other = reproject(vols.geom[b], vols.frames.take(b), fa)
    common = shapely.intersection(vols.geom[a], other)
    area = shapely.area(common)
    hit = area > MIN_OVERLAP_M2
    a, b, t0, t1, h0, h1, area = a[hit], b[hit], t0[hit], t1[hit], h0[hit], h1[hit], area[hit]
    lat, lon = inner_points(common[hit], fa.take(np.flatnonzero(hit)))
    order = np.lexsort((vols.id[b], vols.id[a]))
    return Overlaps(
        a=a[order],
        b=b[order],
        start_s=t0[order],
        end_s=t1[order],
        alt_min_m=h0[order],
        alt_max_m=h1[order],
        area_m2=area[order],
        lat_deg=lat[order],
        lon_deg=lon[order],
    )


def non_conforming(tracks: Tracks, vols: VolumeSet, *, now_s: float) -> I64:
    """Indices (ascending, shape (k,)) of tracks outside every active intent of their party.

    Only tracks whose party has declared at least one intent are considered; a track is
    conforming when, at ``now_s`` (POSIX seconds, required), it is inside (closed) the
    area and altitude band of one of its party's intents whose window contains ``now_s``.
    No tracks or no intents: no indices. Neither input holds NaN (both are checked when
    built).

    >>> from deconflict.model import Geometry
    >>> v = Volume("v", "blue", Geometry("Point", (0.0, 0.0)), start_s=0.0, end_s=3600.0,
    ...            radius_m=5000.0)
    >>> t = Tracks(id=["in", "out", "other"], party=["blue", "blue", "red"],
    ...            lat_deg=[0.0, 0.0, 0.0], lon_deg=[0.01, 0.1, 0.5], alt_m=[100.0] * 3,
    ...            gs_mps=[0.0] * 3, track_deg=[0.0] * 3, vs_mps=[0.0] * 3)
    >>> non_conforming(t, VolumeSet.from_volumes([v]), now_s=60.0).tolist()
    [1]
    """
    now_s = check_now(now_s)
    if len(tracks) == 0 or len(vols) == 0:
        return np.zeros(0, dtype=np.int64)
    check_tracks(tracks)
    declared = np.isin(tracks.party, vols.party)
    tb, to = cap_boxes(tracks.lat_deg, tracks.lon_deg, np.zeros(len(tracks)))
    vb, vo = _boxes(vols)
    ti, vi = overlapping_owners(tb, to, vb, vo)
    alt = tracks.alt_m[ti]
    keep = (
        (tracks.party[ti] == vols.party[vi])
        & (vols.start_s[vi] <= now_s)
        & (now_s <= vols.end_s[vi])
        & (alt >= vols.alt_min_m[vi])
        & (alt <= vols.alt_max_m[vi])
    )
    ti, vi = ti[keep], vi[keep]
    x, y = to_frame(unit_vectors(tracks.lat_deg[ti], tracks.lon_deg[ti]), vols.frames.take(vi))
    inside = shapely.intersects_xy(vols.geom[vi], x, y)
    conforming = np.zeros(len(tracks), dtype=bool)
    conforming[ti[inside]] = True
    return np.flatnonzero(declared & ~conforming).astype(np.int64)
