"""Strike intents checked against other parties' planned ground movements.

A movement is a corridor: every point within ``width_m / 2`` of its route (great-circle
segments between the vertices) over its window. A (strike, movement) pair is reported
when

* the parties differ,
* the strike's window and the movement's overlap (closed intervals) and the strike has
  not ended before ``now``,
* the gap between the strike's effects circle and the corridor is less than the
  strike's margin: ``distance_m - strike_radius - width_m / 2 < margin_m``,

where ``distance_m`` is the great-circle distance from the aim point to the nearest
point of the route. Candidates come from an STRtree over the lon/lat boxes of each
segment's cap (its midpoint, half its length plus half the width); nothing is
O(S x segments).

The corridor as an area (:func:`corridor_area`: the route buffered by half the width in
a local frame centred on it) is also checked against other parties' volume intents
(:func:`movement_overlaps`, altitude bands left aside: without a terrain model the
ground's height is not known) and against the zones whose rules forbid the movement's
party or ask it for notice (:func:`movement_zones`).

Conventions (``now_s`` required, indices, no NaN, empty inputs): :mod:`deconflict.detect.inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from ..geo import EARTH_RADIUS_M, lat_lon, unit_vectors
from ..model import Volume, Zone
from ..movement import Movement
from .areas import Area, area_arrays, volume_area, zone_area
from .arrays import F64, I64, Rows, Strs, columns
from .frames import (
    Frames,
    cap_boxes,
    inner_points,
    overlapping_owners,
    project_geometries,
    reproject,
)
from .inputs import check_now, no_nan_in
from .intents import MIN_OVERLAP_M2, Overlaps, VolumeSet, find_overlaps
from .strikes import StrikeSet

__all__ = [
    "MovementProximity",
    "MovementSet",
    "ZoneCrossings",
    "corridor_area",
    "distance_to_route_m",
    "movement_overlaps",
    "movement_zones",
    "strike_movements",
]


@dataclass(frozen=True)
class MovementSet(Rows):
    """m movements as arrays, their routes cut into g segments.

    Attributes
    ----------
    id, party : ndarray of str, shape (m,)
    half_width_m : ndarray, shape (m,)
        Half the corridor's width, metres.
    start_s, end_s : ndarray, shape (m,)
        POSIX seconds.
    seg_owner : ndarray of int64, shape (g,)
        The movement each segment belongs to.
    seg_a, seg_b : ndarray, shape (g, 3)
        Unit vectors of each segment's ends.
    """

    id: Strs
    party: Strs
    half_width_m: F64
    start_s: F64
    end_s: F64
    seg_owner: I64
    seg_a: F64
    seg_b: F64

    def __post_init__(self) -> None:
        no_nan_in("movement set", self, "half_width_m", "start_s", "end_s", "seg_a", "seg_b")

    @classmethod
    def from_movements(cls, movements: Sequence[Movement]) -> MovementSet:
        """The arrays of movement records, in their order."""
        owner, a, b = [], [], []
        for k, m in enumerate(movements):
            u = unit_vectors(m.lat_deg, m.lon_deg)
            a.append(u[:-1])
            b.append(u[1:])
            owner.append(np.full(len(u) - 1, k, dtype=np.int64))
        return cls(
            **columns(movements, np.str_, "id", "party"),
            **columns(movements, np.float64, "start_s", "end_s"),
            half_width_m=np.array([m.width_m / 2 for m in movements], dtype=np.float64),
            seg_owner=np.concatenate(owner) if owner else np.zeros(0, dtype=np.int64),
            seg_a=np.concatenate(a) if a else np.zeros((0, 3)),
            seg_b=np.concatenate(b) if b else np.zeros((0, 3)),
        )


@dataclass(frozen=True)
class MovementProximity(Rows):
    """(strike, movement) pairs, sorted by (strike, movement).

    Attributes
    ----------
    strike, movement : ndarray of int64, shape (k,)
        Indices into the strike set and the movement set.
    distance_m : ndarray, shape (k,)
        Great-circle distance from the aim point to the route, metres.
    gap_m : ndarray, shape (k,)
        Distance between the effects circle's edge and the corridor's, metres (0 when
        they overlap).
    """

    strike: I64
    movement: I64
    distance_m: F64
    gap_m: F64


def _angle(u: F64, v: F64) -> F64:
    """The angle between unit vectors row by row, radians (stable near 0 and pi)."""
    angle: F64 = np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), np.einsum("ij,ij->i", u, v))
    return angle


def distance_to_route_m(p: F64, a: F64, b: F64) -> F64:
    """Great-circle distance from points ``p`` to the minor arcs ``a``-``b``, metres.

    ``p``, ``a``, ``b``: unit vectors, shape (k, 3), row by row; an arc whose ends
    coincide is its point.

    >>> u = unit_vectors(np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.5]))
    >>> float(distance_to_route_m(u[2:], u[:1], u[1:2])[0].round())
    111195.0
    """
    n = np.cross(a, b)
    norm = np.linalg.norm(n, axis=-1)
    ends = np.minimum(_angle(p, a), _angle(p, b))
    ok = norm > 1e-15
    nh = np.zeros_like(n)
    nh[ok] = n[ok] / norm[ok, None]
    c = p - np.einsum("ij,ij->i", p, nh)[:, None] * nh
    cn = np.linalg.norm(c, axis=-1)
    ok &= cn > 1e-15
    c[ok] /= cn[ok, None]
    on_arc = (
        ok
        & (np.einsum("ij,ij->i", np.cross(a, c), nh) >= 0.0)
        & (np.einsum("ij,ij->i", np.cross(c, b), nh) >= 0.0)
    )
    cross = _angle(p, c)
    return np.where(on_arc, np.minimum(cross, ends), ends) * EARTH_RADIUS_M


def _segment_caps(moves: MovementSet) -> tuple[F64, F64, F64]:
    """Each segment's midpoint (lat, lon degrees) and a cap radius covering its corridor."""
    mid = moves.seg_a + moves.seg_b
    mid /= np.maximum(np.linalg.norm(mid, axis=-1), 1e-300)[:, None]
    lat, lon = lat_lon(mid)
    half = _angle(moves.seg_a, moves.seg_b) * EARTH_RADIUS_M / 2
    return lat, lon, half + moves.half_width_m[moves.seg_owner]


def strike_movements(strikes: StrikeSet, moves: MovementSet, *, now_s: float) -> MovementProximity:
    """Every strike coming within its margin of another party's movement corridor.

    ``now_s`` (POSIX seconds, required): strikes that ended before it are over. No
    strikes or no movements: no pairs.

    >>> from deconflict.model import Geometry
    >>> m = Movement("convoy", "un", Geometry("LineString", [[0.0, 0.0], [0.1, 0.0]]),
    ...              width_m=200.0, start_s=0.0, end_s=3600.0)
    >>> s = StrikeSet(id=np.array(["s"]), party=np.array(["blue"]),
    ...     lat_deg=np.array([0.01]), lon_deg=np.array([0.05]), radius_m=np.array([300.0]),
    ...     margin_m=np.array([1000.0]), start_s=np.zeros(1), end_s=np.ones(1))
    >>> r = strike_movements(s, MovementSet.from_movements([m]), now_s=0.0)
    >>> r.movement.tolist(), r.distance_m.round().tolist(), r.gap_m.round().tolist()
    ([0], [1112.0], [712.0])
    """
    now_s = check_now(now_s)
    sb, so = cap_boxes(strikes.lat_deg, strikes.lon_deg, strikes.radius_m + strikes.margin_m)
    lat, lon, reach = _segment_caps(moves)
    gb, go = cap_boxes(lat, lon, reach)
    si, gi = overlapping_owners(sb, so, gb, go)
    mi = moves.seg_owner[gi]
    live = (
        (strikes.party[si] != moves.party[mi])
        & (strikes.end_s[si] >= now_s)
        & (strikes.start_s[si] <= moves.end_s[mi])
        & (moves.start_s[mi] <= strikes.end_s[si])
    )
    si, gi, mi = si[live], gi[live], mi[live]
    p = unit_vectors(strikes.lat_deg[si], strikes.lon_deg[si])
    d = distance_to_route_m(p, moves.seg_a[gi], moves.seg_b[gi])
    # the nearest segment of each (strike, movement) pair
    order = np.lexsort((d, mi, si))
    si, mi, d = si[order], mi[order], d[order]
    first = np.ones(si.shape[0], dtype=bool)
    first[1:] = (si[1:] != si[:-1]) | (mi[1:] != mi[:-1])
    si, mi, d = si[first], mi[first], d[first]
    edge = d - strikes.radius_m[si] - moves.half_width_m[mi]
    keep = edge < strikes.margin_m[si]
    return MovementProximity(
        strike=si[keep],
        movement=mi[keep],
        distance_m=d[keep],
        gap_m=np.maximum(edge[keep], 0.0),
    )


@lru_cache(maxsize=4096)
def corridor_area(movement: Movement) -> Area:
    """The corridor as an area in a frame centred on its route (metres; round ends).
    Cached: the service checks its standing movements once a second."""
    u = unit_vectors(movement.lat_deg, movement.lon_deg).sum(axis=0)
    frame = Frames.centred_on(u[None, :] / np.linalg.norm(u))
    line = shapely.LineString(movement.route.coordinates)
    geom = project_geometries(np.array([line], dtype=object), frame)[0]
    # a route simplified by a twentieth of the width, buffered by that much more: the
    # corridor is covered, and a wiggly route does not cost a union of thousands of caps
    slack = movement.width_m / 20
    line = shapely.simplify(geom, slack)
    poly = shapely.buffer(line, movement.width_m / 2 + slack, quad_segs=8)
    radius = float(np.hypot(*shapely.get_coordinates(poly).T).max())
    return Area(float(frame.lat_deg[0]), float(frame.lon_deg[0]), poly, radius)


def movement_overlaps(
    movements: Sequence[Movement], volumes: Sequence[Volume], *, now_s: float
) -> tuple[list[Movement | Volume], Overlaps]:
    """Every (movement, volume) pair of different parties whose corridor and area share
    more than :data:`~deconflict.detect.intents.MIN_OVERLAP_M2` while their windows
    overlap (half-open), the common window not ended before ``now_s``.

    Returns the records the pairs index (``movements`` then ``volumes``) and the pairs
    as :class:`~deconflict.detect.intents.Overlaps` (``alt_*`` the volume's band).
    """
    now_s = check_now(now_s)
    areas = [corridor_area(m) for m in movements] + [volume_area(v) for v in volumes]
    frames, geom, radius = area_arrays(areas)
    records: list[Movement | Volume] = [*movements, *volumes]
    inf = np.full(len(movements), np.inf)
    both = VolumeSet(
        **columns(records, np.str_, "id", "party"),
        **columns(records, np.float64, "start_s", "end_s"),
        frames=frames,
        geom=geom,
        radius_m=radius,
        alt_min_m=np.concatenate([-inf, [v.alt_min_m for v in volumes]]),
        alt_max_m=np.concatenate([inf, [v.alt_max_m for v in volumes]]),
    )
    found = find_overlaps(both, now_s=now_s)
    m = len(movements)
    keep = (found.a < m) != (found.b < m)
    return records, Overlaps(*(getattr(found, f)[keep] for f in Overlaps.__dataclass_fields__))


@dataclass(frozen=True)
class ZoneCrossings(Rows):
    """(movement, zone) pairs, sorted by (movement, zone): the route's corridor meets a
    zone whose rule for the movement's party is ``forbid`` or ``notify`` while the zone is
    valid during the movement's window.

    Attributes
    ----------
    movement, zone : ndarray of int64, shape (k,)
    action : ndarray of str, shape (k,)
        ``forbid`` or ``notify``.
    lead_s : ndarray, shape (k,)
        The rule's lead time, seconds (0 for ``forbid``).
    lat_deg, lon_deg : ndarray, shape (k,)
        A point inside the common part, degrees.
    """

    movement: I64
    zone: I64
    action: Strs
    lead_s: F64
    lat_deg: F64
    lon_deg: F64


def _rule_for(zone: Zone, party: str) -> tuple[str, float] | None:
    """The zone's rule for ``party`` (its own, else ``*``), if forbid or notify."""
    rules = [r for r in zone.rules if r.party == party] or [r for r in zone.rules if r.party == "*"]
    for action in ("forbid", "notify"):
        for r in rules:
            if r.action == action:
                return action, float(r.lead_s)
    return None


def movement_zones(
    movements: Sequence[Movement], zones: Sequence[Zone], *, now_s: float
) -> ZoneCrossings:
    """Every movement whose corridor meets a zone that forbids its party or asks it for
    notice, while the zone is valid in the movement's window (closed intervals) and the
    window has not ended before ``now_s``."""
    now_s = check_now(now_s)
    mframes, mgeom, mrad = area_arrays([corridor_area(m) for m in movements])
    zframes, zgeom, zrad = area_arrays([zone_area(z) for z in zones])
    mb, mo = cap_boxes(mframes.lat_deg, mframes.lon_deg, mrad)
    zb, zo = cap_boxes(zframes.lat_deg, zframes.lon_deg, zrad)
    mi, zi = overlapping_owners(mb, mo, zb, zo)
    rows = []
    for k in range(mi.shape[0]):
        m, z = movements[int(mi[k])], zones[int(zi[k])]
        rule = _rule_for(z, m.party)
        if (
            rule is not None
            and m.end_s >= now_s
            and m.start_s <= z.valid_to_s
            and z.valid_from_s <= m.end_s
        ):
            rows.append((k, *rule))
    pick = np.array([r[0] for r in rows], dtype=np.int64)
    mi, zi = mi[pick], zi[pick]
    fm = mframes.take(mi)
    common = shapely.intersection(mgeom[mi], reproject(zgeom[zi], zframes.take(zi), fm))
    hit = shapely.area(common) > MIN_OVERLAP_M2
    lat, lon = inner_points(common[hit], fm.take(np.flatnonzero(hit)))
    return ZoneCrossings(
        movement=mi[hit],
        zone=zi[hit],
        action=np.array([r[1] for r in rows], dtype=np.str_).reshape(-1)[hit],
        lead_s=np.array([r[2] for r in rows], dtype=np.float64).reshape(-1)[hit],
        lat_deg=lat,
        lon_deg=lon,
    )
