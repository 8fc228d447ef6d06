"""Local frames, straight paths and path-versus-area intervals, vectorised.

Every area (zone, volume intent; built by :mod:`deconflict.detect.areas`) lives in its
own **local frame**: the azimuthal equidistant projection of the sphere of
:data:`~deconflict.geo.EARTH_RADIUS_M` centred on the area. Distances from the centre are
exact, shapes within a few hundred kilometres of it are distorted by well under 1 %, and
the antimeridian does not exist there. Frames are given by their centre's unit vector
and its east and north unit vectors, one row per frame, so points can be projected into
many frames at once (one frame per row).

A track's **path** is the great circle it flies at constant ground speed over the
lookahead, sampled at ``n + 1`` equally spaced times; between samples it is a straight
segment of the frame (or of the lon/lat plane for borders).

:func:`path_intervals` intersects many paths with many areas (one pair per row) and
returns, for each piece of a path inside its area, the first and last time of the piece.
Areas are closed sets: a path that only touches a boundary yields a piece of zero length.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import ArrayLike

from ..geo import EARTH_RADIUS_M, east_north_up, lat_lon, unit_vectors, velocity_vectors
from ..model import Tracks
from .arrays import F64, I64, B, Geoms

__all__ = [
    "BOUNDARY_TOLERANCE_M",
    "Frames",
    "arc_near",
    "cap_boxes",
    "circle_intervals",
    "from_frame",
    "inner_points",
    "lat_lon",
    "overlapping_owners",
    "path_columns",
    "path_intervals",
    "path_samples",
    "polygon_edges",
    "polygon_intervals",
    "project_geometries",
    "reproject",
    "segments_for",
    "to_frame",
    "track_path",
]

BOUNDARY_TOLERANCE_M = 1e-3
"""Circles are closed with this much slack, metres, so rounding never loses a graze."""


class Frames:
    """Azimuthal equidistant frames, one per row.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (m,)
        Centres in degrees.

    Attributes
    ----------
    u, east, north : ndarray, shape (m, 3)
        Centre, east and north unit vectors (earth-centred axes).
    lat_deg, lon_deg : ndarray, shape (m,)
        The centres.
    """

    def __init__(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> None:
        self.lat_deg = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
        self.lon_deg = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
        self.east, self.north, self.u = east_north_up(self.lat_deg, self.lon_deg)

    def __len__(self) -> int:
        return int(self.lat_deg.shape[0])

    def take(self, index: ArrayLike) -> Frames:
        """The frames at ``index``, shape (k,)."""
        idx = np.asarray(index)
        return Frames(self.lat_deg[idx], self.lon_deg[idx])

    @classmethod
    def centred_on(cls, u: F64) -> Frames:
        """Frames centred on unit vectors ``u`` of shape (m, 3) (need not be normalised)."""
        lat, lon = lat_lon(u)
        return cls(lat, lon)


def to_frame(u: F64, frames: Frames) -> tuple[F64, F64]:
    """Project unit vectors into frames, row by row.

    Parameters
    ----------
    u : ndarray, shape (k, 3) or (k, s, 3)
        Points as unit vectors (``s`` points per frame in the second form).
    frames : Frames, length k (or 1, broadcast)
        The frame of each row.

    Returns
    -------
    x, y : ndarray, shape (k,) or (k, s)
        East and north coordinates, metres. The antipode of a centre maps to a point at
        distance pi*R in an arbitrary direction.

    >>> f = Frames([0.0], [0.0])
    >>> x, y = to_frame(unit_vectors([0.0], [1.0]), f)
    >>> round(float(x[0]), 1), round(float(y[0]), 1)
    (111195.1, 0.0)
    """
    shape = (-1,) + (1,) * (u.ndim - 2) + (3,)
    d = np.einsum("...j,...j->...", u, frames.u.reshape(shape))
    xe = np.einsum("...j,...j->...", u, frames.east.reshape(shape))
    yn = np.einsum("...j,...j->...", u, frames.north.reshape(shape))
    s = np.hypot(xe, yn)
    c = np.arctan2(s, d)
    scale = np.full_like(s, EARTH_RADIUS_M)
    np.divide(EARTH_RADIUS_M * c, s, out=scale, where=s > 1e-15)
    return xe * scale, yn * scale


def from_frame(x: ArrayLike, y: ArrayLike, frames: Frames) -> F64:
    """Unit vectors, shape (k, 3), of frame coordinates ``x``, ``y`` (metres, shape (k,)).

    >>> f = Frames([10.0], [20.0])
    >>> u = from_frame([5000.0], [-7000.0], f)
    >>> x, y = to_frame(u, f)
    >>> round(float(x[0]), 6), round(float(y[0]), 6)
    (5000.0, -7000.0)
    """
    xa = np.atleast_1d(np.asarray(x, dtype=np.float64))
    ya = np.atleast_1d(np.asarray(y, dtype=np.float64))
    r = np.hypot(xa, ya)
    c = r / EARTH_RADIUS_M
    dx = np.zeros_like(r)
    dy = np.zeros_like(r)
    np.divide(xa, r, out=dx, where=r > 0)
    np.divide(ya, r, out=dy, where=r > 0)
    direction = dx[:, None] * frames.east + dy[:, None] * frames.north
    u: F64 = np.cos(c)[:, None] * frames.u + np.sin(c)[:, None] * direction
    return u


def inner_points(geoms: Geoms, frames: Frames) -> tuple[F64, F64]:
    """A point inside each of k non-empty geometries given in their own frames (its
    representative point), as latitude and longitude, degrees, shape (k,)."""
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
    return lat_lon(from_frame(pts[:, 0], pts[:, 1], frames))


def project_geometries(geoms: Geoms, frames: Frames) -> Geoms:
    """Geometries given in lon/lat degrees, projected into one frame each.

    Parameters
    ----------
    geoms : ndarray of shapely geometries, shape (k,)
        Coordinates ``(lon, lat)`` in degrees.
    frames : Frames, length k

    Returns
    -------
    ndarray of shapely geometries, shape (k,), coordinates in metres.
    """
    out = np.array(geoms, dtype=object, copy=True)
    coords, idx = shapely.get_coordinates(out, return_index=True)
    if coords.shape[0]:
        x, y = to_frame(unit_vectors(coords[:, 1], coords[:, 0]), frames.take(idx))
        shapely.set_coordinates(out, np.column_stack([x, y]))
    return out


def reproject(geoms: Geoms, src: Frames, dst: Frames) -> Geoms:
    """Geometries moved from frames ``src`` into frames ``dst`` (one of each per row)."""
    out = np.array(geoms, dtype=object, copy=True)
    coords, idx = shapely.get_coordinates(out, return_index=True)
    if coords.shape[0]:
        u = from_frame(coords[:, 0], coords[:, 1], src.take(idx))
        x, y = to_frame(u, dst.take(idx))
        shapely.set_coordinates(out, np.column_stack([x, y]))
    return out


def cap_boxes(lat_deg: F64, lon_deg: F64, radius_m: F64) -> tuple[Geoms, I64]:
    """Lon/lat boxes covering spherical caps, split at the antimeridian.

    Parameters
    ----------
    lat_deg, lon_deg : ndarray, shape (m,)
        Cap centres, degrees.
    radius_m : ndarray, shape (m,)
        Cap radii, metres (>= 0).

    Returns
    -------
    boxes : ndarray of shapely Polygons, shape (b,), b >= m
        Boxes in lon/lat degrees with lon in [-180, 180]; a cap over a pole gets the
        full longitude range.
    owner : ndarray of int64, shape (b,)
        The cap each box belongs to.

    >>> boxes, owner = cap_boxes(np.array([0.0]), np.array([179.9]), np.array([50e3]))
    >>> owner.tolist()
    [0, 0]
    """
    r = np.asarray(radius_m, dtype=np.float64) / EARTH_RADIUS_M * 1.000001 + 1e-9
    lat = np.radians(lat_deg)
    lat_lo = np.degrees(np.maximum(lat - r, -np.pi / 2))
    lat_hi = np.degrees(np.minimum(lat + r, np.pi / 2))
    polar = (lat + r >= np.pi / 2) | (lat - r <= -np.pi / 2) | (r >= np.pi / 2)
    ratio = np.ones_like(r)
    np.divide(np.sin(np.minimum(r, np.pi / 2)), np.cos(lat), out=ratio, where=~polar)
    dlon = np.where(polar, 180.0, np.degrees(np.arcsin(np.clip(ratio, -1.0, 1.0))))
    lon = (np.asarray(lon_deg, dtype=np.float64) + 180.0) % 360.0 - 180.0
    lo = np.where(polar, -180.0, lon - dlon)
    hi = np.where(polar, 180.0, lon + dlon)
    owners = [np.arange(lat.shape[0])]
    x0 = [np.maximum(lo, -180.0)]
    x1 = [np.minimum(hi, 180.0)]
    y0 = [lat_lo]
    y1 = [lat_hi]
    west = np.flatnonzero(lo < -180.0)
    east = np.flatnonzero(hi > 180.0)
    owners += [west, east]
    x0 += [lo[west] + 360.0, np.full(east.shape, -180.0)]
    x1 += [np.full(west.shape, 180.0), hi[east] - 360.0]
    y0 += [lat_lo[west], lat_lo[east]]
    y1 += [lat_hi[west], lat_hi[east]]
    boxes = shapely.box(
        np.concatenate(x0), np.concatenate(y0), np.concatenate(x1), np.concatenate(y1)
    )
    return np.asarray(boxes, dtype=object), np.concatenate(owners).astype(np.int64)


def overlapping_owners(
    a_boxes: Geoms, a_owner: I64, b_boxes: Geoms, b_owner: I64
) -> tuple[I64, I64]:
    """Unique pairs (a, b) of owners whose boxes intersect (an STRtree over ``b``).

    Returns two int64 arrays of shape (k,), sorted by (a, b).
    """
    if a_boxes.shape[0] == 0 or b_boxes.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    tree = shapely.STRtree(b_boxes)
    hits = tree.query(a_boxes, predicate="intersects")
    a = a_owner[hits[0]]
    b = b_owner[hits[1]]
    nb = int(b_owner.max()) + 1
    key = np.sort(a * nb + b)
    key = key[np.concatenate([key[:1] == key[:1], key[1:] != key[:-1]])]
    return (key // nb).astype(np.int64), (key % nb).astype(np.int64)


def path_columns(tracks: Tracks, rows: I64) -> tuple[F64, F64, F64, F64]:
    """``lat_deg``, ``lon_deg``, ``gs_mps``, ``track_deg`` of the tracks at ``rows``: the
    first four arguments of :func:`path_samples`, :func:`arc_near`, :func:`circle_intervals`."""
    return tracks.lat_deg[rows], tracks.lon_deg[rows], tracks.gs_mps[rows], tracks.track_deg[rows]


def path_samples(lat_deg: F64, lon_deg: F64, gs_mps: F64, track_deg: F64, times_s: F64) -> F64:
    """Positions along each track's great circle at the given times.

    Parameters
    ----------
    lat_deg, lon_deg, gs_mps, track_deg : ndarray, shape (n,)
        Track states (degrees, m/s).
    times_s : ndarray, shape (n, s) or (s,)
        Seconds from now.

    Returns
    -------
    ndarray, shape (n, s, 3)
        Unit vectors.

    >>> u = path_samples(np.array([0.0]), np.array([0.0]), np.array([100.0]),
    ...                  np.array([90.0]), np.array([0.0, 1111.951]))
    >>> lat, lon = lat_lon(u)
    >>> round(float(lon[0, 1]), 5)
    1.0
    """
    u0 = unit_vectors(lat_deg, lon_deg)
    v = velocity_vectors(lat_deg, lon_deg, np.ones_like(gs_mps), track_deg)
    theta = np.broadcast_to(
        np.asarray(times_s, dtype=np.float64), (u0.shape[0], np.shape(times_s)[-1])
    )
    theta = theta * (np.asarray(gs_mps)[:, None] / EARTH_RADIUS_M)
    out: F64 = np.cos(theta)[..., None] * u0[:, None, :] + np.sin(theta)[..., None] * v[:, None, :]
    return out


def track_path(n_seg: int, lookahead_s: float) -> F64:
    """The sample times, seconds, shape (n_seg + 1,), of a path over ``lookahead_s``."""
    return np.linspace(0.0, lookahead_s, n_seg + 1)


def segments_for(max_length_m: float) -> int:
    """Segments per path so each is at most 25 km long (between 4 and 64)."""
    return int(min(64, max(4, math.ceil(max_length_m / 25_000.0))))


def path_intervals(xy: F64, targets: Geoms, times_s: F64) -> tuple[I64, F64, F64]:
    """Time intervals during which paths lie in areas, one (path, area) pair per row.

    Parameters
    ----------
    xy : ndarray, shape (k, s, 2)
        Vertices of each pair's path in the area's frame (or any common plane), at the
        times ``times_s``.
    targets : ndarray of shapely geometries, shape (k,)
        The area of each pair, in the same plane.
    times_s : ndarray, shape (s,)
        Increasing times of the vertices, seconds.

    Returns
    -------
    pair : ndarray of int64, shape (p,)
        The row each piece belongs to (ascending); a row appears once per piece of its
        path inside its area, not at all when the path misses the area.
    t_start, t_end : ndarray of float64, shape (p,)
        First and last time of the piece, seconds (equal when it only touches).

    Within a segment, time is linear in distance along the segment. A path of zero
    length is a point: its piece, if inside, spans all of ``times_s``.
    """
    k, s, _ = xy.shape
    empty_i = np.zeros(0, dtype=np.int64)
    if k == 0:
        return empty_i, np.zeros(0), np.zeros(0)
    seg = np.hypot(*np.moveaxis(np.diff(xy, axis=1), -1, 0))  # (k, s-1)
    cum = np.concatenate([np.zeros((k, 1)), np.cumsum(seg, axis=1)], axis=1)  # (k, s)
    length = cum[:, -1]
    still = length <= 1e-6
    pairs: list[I64] = []
    starts: list[F64] = []
    ends: list[F64] = []
    # stationary: a point test
    st = np.flatnonzero(still)
    if st.size:
        inside = shapely.intersects_xy(targets[st], xy[st, 0, 0], xy[st, 0, 1])
        hit = st[inside]
        pairs.append(hit)
        starts.append(np.full(hit.shape, times_s[0]))
        ends.append(np.full(hit.shape, times_s[-1]))
    mv = np.flatnonzero(~still)
    if mv.size:
        lines = shapely.linestrings(xy[mv].reshape(-1, 2), indices=np.repeat(np.arange(mv.size), s))
        lines = np.asarray(lines, dtype=object)
        hits = shapely.intersects(lines, targets[mv])
        sub = np.flatnonzero(hits)
        if sub.size:
            inter = shapely.intersection(lines[sub], targets[mv[sub]])
            parts, pidx = shapely.get_parts(inter, return_index=True)
            keep = ~shapely.is_empty(parts)
            parts, pidx = parts[keep], pidx[keep]
            coords, cidx = shapely.get_coordinates(parts, return_index=True)
            row = sub[pidx[cidx]]  # index into mv
            d = shapely.line_locate_point(lines[row], shapely.points(coords))
            t = _distance_to_time(d, cum[mv[row]], times_s)
            n_parts = parts.shape[0]
            t_lo = np.full(n_parts, np.inf)
            t_hi = np.full(n_parts, -np.inf)
            np.minimum.at(t_lo, cidx, t)
            np.maximum.at(t_hi, cidx, t)
            pairs.append(mv[sub[pidx]])
            starts.append(t_lo)
            ends.append(t_hi)
    if not pairs:
        return empty_i, np.zeros(0), np.zeros(0)
    pair = np.concatenate(pairs).astype(np.int64)
    t0 = np.concatenate(starts)
    t1 = np.concatenate(ends)
    order = np.lexsort((t0, pair))
    return pair[order], t0[order], t1[order]


def _distance_to_time(d: F64, cum: F64, times_s: F64) -> F64:
    """Times, shape (q,), of distances ``d`` along polylines with cumulative lengths ``cum``."""
    n_seg = cum.shape[1] - 1
    seg = np.clip(np.sum(cum[:, 1:-1] < d[:, None], axis=1), 0, n_seg - 1)
    rows = np.arange(d.shape[0])
    c0 = cum[rows, seg]
    span = cum[rows, seg + 1] - c0
    frac = np.zeros_like(d)
    np.divide(d - c0, span, out=frac, where=span > 0)
    frac = np.clip(frac, 0.0, 1.0)
    return np.asarray(times_s[seg] + frac * (times_s[seg + 1] - times_s[seg]))


def _centre_cosines(lat_deg: F64, lon_deg: F64, track_deg: F64, centre_u: F64) -> tuple[F64, F64]:
    """``A = u0.c`` and ``B = v.c`` of each path, shape (k,): along the great circle
    ``u(θ) = u0 cos θ + v sin θ`` (``u0`` the position, ``v`` the unit heading), the
    cosine of the angle to the centre ``c`` (unit vectors, (k, 3)) is
    ``A cos θ + B sin θ``."""
    u0 = unit_vectors(lat_deg, lon_deg)
    v = velocity_vectors(lat_deg, lon_deg, np.ones_like(track_deg), track_deg)
    return np.einsum("ij,ij->i", u0, centre_u), np.einsum("ij,ij->i", v, centre_u)


def arc_near(
    lat_deg: F64,
    lon_deg: F64,
    gs_mps: F64,
    track_deg: F64,
    centre_u: F64,
    radius_m: F64,
    lookahead_s: float,
) -> B:
    """Whether each path comes within ``radius_m`` of ``centre_u`` (one pair per row).

    The closest point of the arc ``u0 cos θ + v sin θ``, θ in [0, gs T / R], to ``c``
    is at ``θ* = clip(atan2(v.c, u0.c), 0, gs T / R)``; all inputs of shape (k,) (the
    centres (k, 3)). Used to prune candidate pairs before exact geometry.
    """
    a, b = _centre_cosines(lat_deg, lon_deg, track_deg, centre_u)
    theta = np.clip(np.arctan2(b, a), 0.0, gs_mps * lookahead_s / EARTH_RADIUS_M)
    reach = np.minimum((radius_m + 1.0) / EARTH_RADIUS_M, np.pi)
    return np.asarray(a * np.cos(theta) + b * np.sin(theta) >= np.cos(reach))


def circle_intervals(
    lat_deg: F64,
    lon_deg: F64,
    gs_mps: F64,
    track_deg: F64,
    centre_u: F64,
    radius_m: F64,
    lookahead_s: float,
) -> tuple[F64, F64, B]:
    """When great-circle paths are within spherical circles, exactly; one pair per row.

    On the sphere, the cosine of the angular distance from a centre ``c`` along a great
    circle ``u(θ) = u0 cos θ + v sin θ`` is ``A cos(θ - φ)``; the path is inside the
    circle of angular radius ρ while that is at least ``cos ρ``.

    Parameters
    ----------
    lat_deg, lon_deg, gs_mps, track_deg : ndarray, shape (k,)
        Track states.
    centre_u : ndarray, shape (k, 3)
        Circle centres, unit vectors.
    radius_m : ndarray, shape (k,)
        Circle radii, metres.
    lookahead_s : float

    Returns
    -------
    t_start, t_end : ndarray, shape (k,)
        The time interval inside, clipped to [0, lookahead_s].
    hit : ndarray of bool, shape (k,)
        Whether the path is inside at some time in [0, lookahead_s] (boundary included).

    >>> t0, t1, hit = circle_intervals(np.array([0.0]), np.array([-0.2]),
    ...     np.array([100.0]), np.array([90.0]), unit_vectors([0.0], [0.0]),
    ...     np.array([10000.0]), 300.0)
    >>> round(float(t0[0]), 1), round(float(t1[0]), 1), bool(hit[0])
    (122.4, 300.0, True)
    """
    a, b = _centre_cosines(lat_deg, lon_deg, track_deg, centre_u)
    amp = np.hypot(a, b)
    phi = np.arctan2(b, a)
    cos_rho = np.cos(np.minimum((radius_m + BOUNDARY_TOLERANCE_M) / EARTH_RADIUS_M, np.pi))
    reach = amp >= cos_rho
    ratio = np.ones_like(amp)
    np.divide(cos_rho, amp, out=ratio, where=reach & (amp > 0))
    alpha = np.arccos(np.clip(ratio, -1.0, 1.0))
    moving = gs_mps * lookahead_s > 1e-6  # shorter paths are points, as in path_intervals
    rate = np.ones_like(gs_mps)
    np.divide(EARTH_RADIUS_M, gs_mps, out=rate, where=moving)
    inside_now = a >= cos_rho
    t0 = np.where(moving, (phi - alpha) * rate, np.where(inside_now, 0.0, np.inf))
    t1 = np.where(moving, (phi + alpha) * rate, np.where(inside_now, lookahead_s, -np.inf))
    t0 = np.maximum(t0, 0.0)
    t1 = np.minimum(t1, lookahead_s)
    hit = reach & (t0 <= t1)
    return t0, t1, hit


def polygon_edges(geoms: Geoms) -> tuple[F64, F64, I64]:
    """The edges of polygons (every ring), grouped by polygon.

    Returns
    -------
    start, end : ndarray, shape (e, 2)
        Edge end points.
    offset : ndarray of int64, shape (m + 1,)
        Edges of polygon j are ``start[offset[j]:offset[j + 1]]``.
    """
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[1:] == ring_of[:-1]
    start = coords[:-1][same]
    end = coords[1:][same]
    owner = part_owner[ring_part[ring_of[:-1][same]]]
    counts = np.bincount(owner, minlength=geoms.shape[0])
    offset = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return start, end, offset


def polygon_intervals(
    xy: F64, targets: Geoms, edge_start: F64, edge_end: F64, edge_offset: I64, area: I64,
    times_s: F64,
) -> tuple[I64, F64, F64]:  # fmt: skip
    """Like :func:`path_intervals`, by segment-edge intersection in numpy (small polygons).

    Parameters
    ----------
    xy : ndarray, shape (k, s, 2)
        Path vertices per pair, in the area's plane, at ``times_s``.
    targets : ndarray of shapely geometries, shape (k,)
        The area of each pair (for inside tests; prepared for speed).
    edge_start, edge_end, edge_offset
        :func:`polygon_edges` of all areas.
    area : ndarray of int64, shape (k,)
        Index of each pair's area in those edges.
    times_s : ndarray, shape (s,)

    Every boundary point of a path is a piece of zero length; between consecutive
    boundary points (and the path's ends) the path is inside or outside as its midpoint.
    """
    k, s, _ = xy.shape
    first = edge_offset[area]
    counts = edge_offset[area + 1] - first
    pair = np.repeat(np.arange(k), counts)
    start_of = np.repeat(np.cumsum(counts) - counts, counts)
    edge = np.repeat(first, counts) + (np.arange(pair.shape[0]) - start_of)
    q = edge_start[edge]
    f = edge_end[edge] - q
    hit_pair: list[I64] = []
    hit_t: list[F64] = []
    eps = 1e-12
    for j in range(s - 1):
        p = xy[pair, j]
        d = xy[pair, j + 1] - p
        den = d[:, 0] * f[:, 1] - d[:, 1] * f[:, 0]
        w = q - p
        num_s = w[:, 0] * f[:, 1] - w[:, 1] * f[:, 0]
        num_u = w[:, 0] * d[:, 1] - w[:, 1] * d[:, 0]
        ok = den != 0
        sp = np.zeros_like(den)
        ue = np.zeros_like(den)
        with np.errstate(over="ignore", invalid="ignore"):
            np.divide(num_s, den, out=sp, where=ok)
            np.divide(num_u, den, out=ue, where=ok)
        ok &= (sp >= -eps) & (sp <= 1 + eps) & (ue >= -eps) & (ue <= 1 + eps)
        hit_pair.append(pair[ok])
        hit_t.append(times_s[j] + np.clip(sp[ok], 0.0, 1.0) * (times_s[j + 1] - times_s[j]))
    bp = np.concatenate(hit_pair)
    bt = np.concatenate(hit_t)
    # consecutive boundary times (with the path's ends) bound the candidate intervals
    ends = np.arange(k)
    cp = np.concatenate([bp, ends, ends])
    ct = np.concatenate([bt, np.full(k, times_s[0]), np.full(k, times_s[-1])])
    order = np.lexsort((ct, cp))
    cp, ct = cp[order], ct[order]
    nxt = cp[1:] == cp[:-1]
    ip, i0, i1 = cp[:-1][nxt], ct[:-1][nxt], ct[1:][nxt]
    tm = 0.5 * (i0 + i1)
    dt = times_s[1] - times_s[0]
    seg = np.clip(((tm - times_s[0]) // dt).astype(np.int64), 0, s - 2)
    frac = (tm - times_s[seg]) / dt
    a = xy[ip, seg]
    b = xy[ip, seg + 1]
    mx = a[:, 0] + frac * (b[:, 0] - a[:, 0])
    my = a[:, 1] + frac * (b[:, 1] - a[:, 1])
    inside = shapely.intersects_xy(targets[ip], mx, my)
    pair_out = np.concatenate([bp, ip[inside]]).astype(np.int64)
    t0 = np.concatenate([bt, i0[inside]])
    t1 = np.concatenate([bt, i1[inside]])
    order = np.lexsort((t0, pair_out))
    return pair_out[order], t0[order], t1[order]
