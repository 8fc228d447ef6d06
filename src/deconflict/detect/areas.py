"""The area geometry the detectors share, built from records' geometry as given.

A zone or volume intent is a :class:`~deconflict.model.Geometry` in lon/lat degrees; the
detectors need it as an :class:`Area`: a shapely polygon in the area's own local frame
(:mod:`deconflict.detect.frames`, azimuthal equidistant on the sphere, metres) with the
frame's centre and reach. Three constructions:

* **Polygon / MultiPolygon**: every vertex projected into the frame centred on the mean
  of the exterior rings' unit vectors; edges are straight lines of that frame.
* **Circle** (a Point with ``radius_m``): the frame centred on the point; ``geom`` is the
  inscribed polygon of :data:`CIRCLE_QUAD_SEGS` segments per quarter, and ``circle_m``
  the exact radius (detectors solve circles exactly on the sphere).
* **Side of a line** (a LineString or MultiLineString with ``side`` and ``within``): the
  line, its parts joined in their order, is extended straight at both ends (along the
  chord of its last 50 km, or tenth of its length) so that it cuts ``within`` from edge
  to edge; the area is the union of the pieces of ``within`` on that side. For a compass
  side a piece is, e.g., west of the line when a ray from it towards the east crosses the
  line an odd number of times.

Every area must lie within :data:`MAX_AREA_RADIUS_M` of its centre. A geometry that
cannot be built raises :class:`~deconflict.errors.InvalidInput` naming the record (its
``where``) and the property at fault. Areas are cached by geometry, so a record checked
when read is not built again when a detector set is made from it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.ops

from ..bounds import MIN_LENGTH_M
from ..errors import InvalidInput
from ..geo import EARTH_RADIUS_M, unit_vectors
from ..model import Country, Geometry, Volume, Zone
from .arrays import F64, Geoms
from .frames import Frames, project_geometries, to_frame

__all__ = [
    "CIRCLE_QUAD_SEGS",
    "MAX_AREA_RADIUS_M",
    "Area",
    "area_arrays",
    "circle",
    "country_shape",
    "declared_area_m2",
    "lonlat_shape",
    "volume_area",
    "zone_area",
]

MAX_AREA_RADIUS_M = 2_500_000.0
"""Largest distance of an area's vertex from its centre, metres."""
CIRCLE_QUAD_SEGS = 32
"""Segments per quarter circle of a circle polygon (128 vertices, inscribed: the radius
is short by at most 1 - cos(pi/128), i.e. 0.03 %)."""
_END_CHORD_M = 50_000.0
"""A side-of-a-line zone's line is extended along the chord of its last (and first)
50 km (or tenth of its length), so a wiggle at an end does not decide the direction."""
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Area:
    """A 2D area in its own local frame.

    Attributes
    ----------
    lat_deg, lon_deg : float
        Centre of the frame, degrees.
    geom : shapely Polygon or MultiPolygon
        The area in frame coordinates, metres. Shared between callers: do not modify.
    radius_m : float
        Largest distance of the area from the centre, metres.
    circle_m : float or None
        For a circle: its exact radius, metres (``geom`` is an inscribed polygon).
    """

    lat_deg: float
    lon_deg: float
    geom: Any
    radius_m: float
    circle_m: float | None = None


class _Bad(Exception):
    """A property at fault while building an area (located by the caller)."""

    def __init__(self, prop: str, what: str) -> None:
        super().__init__(prop, what)
        self.prop = prop
        self.what = what


def circle(radius_m: float) -> Any:
    """A circle of ``radius_m`` metres around the origin of a frame (inscribed polygon)."""
    return shapely.buffer(shapely.Point(0.0, 0.0), radius_m, quad_segs=CIRCLE_QUAD_SEGS)


def lonlat_shape(geometry: Geometry) -> Any:
    """The shapely geometry of ``geometry`` in lon/lat degrees (x = lon, y = lat)."""
    c = geometry.coordinates
    if geometry.type == "Point":
        return shapely.Point(c)
    if geometry.type == "LineString":
        return shapely.LineString(c)
    if geometry.type == "MultiLineString":
        return shapely.MultiLineString(c)
    if geometry.type == "Polygon":
        return shapely.Polygon(c[0], c[1:])
    return shapely.MultiPolygon([shapely.Polygon(p[0], p[1:]) for p in c])


def _project(geometry: Geometry, prop: str) -> Area:
    lonlat = lonlat_shape(geometry)
    coords = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(lonlat)))
    u = unit_vectors(coords[:, 1], coords[:, 0]).sum(axis=0)
    norm = float(np.linalg.norm(u))
    if norm < 1e-9 * coords.shape[0]:
        raise _Bad(prop, "area has no centre (spans the globe)")
    frame = Frames.centred_on(u[None, :] / norm)
    geom = project_geometries(np.array([lonlat], dtype=object), frame)[0]
    radius = float(np.hypot(*shapely.get_coordinates(geom).T).max())
    if radius > MAX_AREA_RADIUS_M:
        raise _Bad(prop, f"area reaches {radius:.0f} m from its centre (max {MAX_AREA_RADIUS_M:g})")
    if not shapely.is_valid(geom):
        raise _Bad(prop, f"invalid polygon: {shapely.is_valid_reason(geom)}")
    if shapely.area(geom) <= 0:
        raise _Bad(prop, "polygon has no area")
    return Area(float(frame.lat_deg[0]), float(frame.lon_deg[0]), geom, radius)


def _extend(before: Any, end: Any, reach: float) -> Any:
    d = np.asarray(end, dtype=float) - np.asarray(before, dtype=float)
    n = float(np.hypot(*d))
    return end if n == 0 else end + d / n * reach


def _on_side(piece: Any, line: Any, side: str, reach: float) -> bool:
    p = shapely.get_coordinates(piece.representative_point())[0]
    if side in ("left", "right"):
        s = line.project(shapely.Point(p))
        a = np.asarray(line.interpolate(max(s - 1.0, 0.0)).coords[0])
        b = np.asarray(line.interpolate(min(s + 1.0, line.length)).coords[0])
        q = np.asarray(line.interpolate(s).coords[0])
        t, o = b - a, p - q
        cross = t[0] * o[1] - t[1] * o[0]
        return bool(cross > 0) == (side == "left")
    ray_dir = {"west": (1, 0), "east": (-1, 0), "south": (0, 1), "north": (0, -1)}[side]
    end = p + np.asarray(ray_dir, dtype=float) * 2 * reach
    crossings = shapely.intersection(shapely.LineString([p, end]), line)
    n = shapely.get_num_coordinates(shapely.get_parts(crossings)).sum()
    return bool(n % 2 == 1)


def _side_of_line(line: Geometry, side: str, within: Geometry) -> Area:
    bounds = _project(within, "within")
    frame = Frames(bounds.lat_deg, bounds.lon_deg)
    pts = shapely.get_coordinates(lonlat_shape(line))
    x, y = to_frame(unit_vectors(pts[:, 1], pts[:, 0]), frame)
    xy = np.column_stack([x, y])
    reach = 4.0 * bounds.radius_m + 1.0
    drawn = shapely.LineString(xy)
    if drawn.length <= 0:
        raise _Bad("geometry", "the line has no length")
    back = min(0.1 * drawn.length, _END_CHORD_M)
    head = np.asarray(drawn.interpolate(back).coords[0])
    tail = np.asarray(drawn.interpolate(drawn.length - back).coords[0])
    ext = [_extend(head, xy[0], reach), *xy, _extend(tail, xy[-1], reach)]
    cut = shapely.LineString(ext)
    pieces = shapely.get_parts(shapely.ops.split(bounds.geom, cut))
    keep = [p for p in pieces if _on_side(p, cut, side, reach)]
    if not keep:
        raise _Bad("side", f"no part of 'within' lies {side} of the line")
    if len(keep) == len(pieces):
        raise _Bad("geometry", "the line does not cut 'within' (extend it across)")
    return Area(bounds.lat_deg, bounds.lon_deg, shapely.union_all(keep), bounds.radius_m)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _area(
    geometry: Geometry, radius_m: float | None, side: str | None, within: Geometry | None
) -> Area:
    if geometry.type == "Point":
        assert radius_m is not None  # the records require it
        if radius_m > MAX_AREA_RADIUS_M:
            raise _Bad("radius_m", f"larger than {MAX_AREA_RADIUS_M:g} m")
        if not radius_m >= MIN_LENGTH_M:
            raise _Bad("radius_m", f"smaller than {MIN_LENGTH_M:g} m")
        lon, lat = geometry.coordinates
        return Area(lat, lon, circle(radius_m), radius_m, radius_m)
    if geometry.type in ("LineString", "MultiLineString"):
        assert side is not None and within is not None  # the records require them
        return _side_of_line(geometry, side, within)
    return _project(geometry, "geometry")


def _located(where: str, build: Any, *args: Any) -> Any:
    try:
        return build(*args)
    except _Bad as bad:
        raise InvalidInput(f"{where}: property {bad.prop!r}: {bad.what}") from None


def zone_area(zone: Zone) -> Area:
    """The area of a zone (polygon, circle or side of a line) in its local frame.

    >>> from deconflict.model import Rule
    >>> z = Zone("tanf", "al-Tanf", "claimed", ("coalition",), (),
    ...          (Rule("*", "forbid"),), Geometry("Point", (38.62, 33.5)), radius_m=55000.0)
    >>> a = zone_area(z)
    >>> a.lat_deg, a.lon_deg, a.circle_m
    (33.5, 38.62, 55000.0)
    """
    where = zone.where or f"zone {zone.id!r}"
    area: Area = _located(where, _area, zone.geometry, zone.radius_m, zone.side, zone.within)
    return area


def volume_area(volume: Volume) -> Area:
    """The area of a volume intent (polygon or circle) in its local frame."""
    where = volume.where or f"volume {volume.id!r}"
    area: Area = _located(where, _area, volume.geometry, volume.radius_m, None, None)
    return area


@functools.cache
def _wgs84() -> Any:
    import pyproj  # only where an area is measured: its import takes a while

    return pyproj.Geod(ellps="WGS84")


def _rings_area_m2(polygons: Any) -> float:
    geod = _wgs84()
    total = 0.0
    for rings in polygons:
        parts = []
        for ring in rings:
            lon, lat = np.asarray(ring, dtype=np.float64).T
            parts.append(abs(geod.polygon_area_perimeter(lon, lat)[0]))
        total += parts[0] - sum(parts[1:])
    return max(total, 0.0)


def declared_area_m2(record: Zone | Volume) -> float:
    """The area a zone or volume declares, m², on the WGS84 ellipsoid (geodesic edges,
    holes taken out, whichever way a ring is drawn). A circle counts as the spherical cap
    of its radius on the design's sphere; a side-of-a-line zone counts the whole region
    ``within`` it is cut from (at least the zone itself).

    >>> from deconflict.model import Rule
    >>> z = Zone("sq", "sq", "claimed", ("red",), (), (Rule("*", "forbid"),),
    ...          Geometry("Polygon", [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]))
    >>> round(declared_area_m2(z) / 1e6)
    12309
    """
    geometry = record.geometry
    if geometry.type == "Point":
        assert record.radius_m is not None  # the records require it
        return float(2 * np.pi * EARTH_RADIUS_M**2 * (1 - np.cos(record.radius_m / EARTH_RADIUS_M)))
    if isinstance(record, Zone) and record.within is not None:
        geometry = record.within
    c = geometry.coordinates
    return _rings_area_m2((c,) if geometry.type == "Polygon" else c)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _country(geometry: Geometry) -> Any:
    geom = lonlat_shape(geometry)
    if not shapely.is_valid(geom):
        raise _Bad("geometry", f"invalid polygon: {shapely.is_valid_reason(geom)}")
    return geom


def country_shape(country: Country) -> Any:
    """A country's polygon in lon/lat degrees (the plane borders are drawn in), checked."""
    return _located(country.where or f"country {country.id!r}", _country, country.geometry)


def area_arrays(areas: Sequence[Area]) -> tuple[Frames, Geoms, F64]:
    """The frames, geometries (in those frames, metres) and radii (m) of areas, shape (n,).

    >>> frames, geom, radius_m = area_arrays([])
    >>> len(frames), geom.shape, radius_m.shape
    (0, (0,), (0,))
    """
    return (
        Frames([a.lat_deg for a in areas], [a.lon_deg for a in areas]),
        np.array([a.geom for a in areas], dtype=object).reshape(-1),
        np.array([a.radius_m for a in areas], dtype=np.float64),
    )
