""":class:`Geometry`: a GeoJSON geometry as given (``[lon, lat]`` degrees, nested tuples),
checked on construction."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..bounds import (
    DECLARATION_BOUNDS,
    MAX_PARTS,
)
from ..errors import InvalidInput
from .checks import _Check, as_real, shown
from .vocab import AREA_TYPES

_DEPTH = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


_B = DECLARATION_BOUNDS
_ALTITUDE = _B["alt_m"]
_TIMES = _B["time_s"]


def _coordinate(v: Any) -> float:
    x = v if isinstance(v, float) else as_real(v)
    if isinstance(x, str):
        raise InvalidInput(x)
    if not math.isfinite(x):
        raise InvalidInput(f"not a finite number: {x!r}")
    return x


def _position(raw: Any) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) not in (2, 3):
        raise InvalidInput(f"a position is [lon, lat], got {shown(raw)}")
    lon, lat = _coordinate(raw[0]), _coordinate(raw[1])
    if abs(lat) > 90:
        raise InvalidInput(f"latitude {raw[1]!r} outside [-90, 90]")
    if abs(lon) > 180:
        raise InvalidInput(f"longitude {raw[0]!r} outside [-180, 180]")
    if len(raw) == 3 and _coordinate(raw[2]) not in _ALTITUDE:
        raise InvalidInput(f"altitude {raw[2]!r} outside {_ALTITUDE}")
    return float(lon), float(lat)


def _freeze(raw: Any, depth: int) -> Any:
    """Nested tuples of (lon, lat) at ``depth`` (0 = one position), checked; at most
    :data:`~deconflict.bounds.MAX_PARTS` rings, polygons or lines in a list of them."""
    if depth == 0:
        return _position(raw)
    if not isinstance(raw, list | tuple):
        raise InvalidInput(f"expected a list, got {shown(raw)}")
    if depth >= 2 and len(raw) > MAX_PARTS:
        what = "polygons" if depth == 3 else "rings (or lines)"
        raise InvalidInput(f"{len(raw)} {what} in one list; at most {MAX_PARTS}")
    return tuple(_freeze(c, depth - 1) for c in raw)


@dataclass(frozen=True)
class Geometry:
    """A GeoJSON geometry object (RFC 7946) as given, immutable and hashable.

    ``type`` is ``Point``, ``LineString``, ``MultiLineString``, ``Polygon`` or
    ``MultiPolygon``; ``coordinates`` nest as in GeoJSON, each position a ``(lon, lat)``
    tuple of degrees (lists are accepted and frozen; a third, altitude, value is
    dropped). Checked: finite numbers, lat in [-90, 90], lon in [-180, 180], lines of at
    least 2 positions, closed rings of at least 4. Whether polygons are valid shapes is
    checked where they are projected (:mod:`deconflict.detect.areas`).

    >>> g = Geometry("Point", [38.62, 33.5])
    >>> g.coordinates, g.to_geojson()
    ((38.62, 33.5), {'type': 'Point', 'coordinates': [38.62, 33.5]})
    """

    type: str
    coordinates: Any

    def __post_init__(self) -> None:
        if self.type not in _DEPTH:
            raise InvalidInput(f"unsupported geometry type {self.type!r}")
        try:
            coords = _freeze(self.coordinates, _DEPTH[self.type])
        except InvalidInput as exc:
            raise InvalidInput(f"bad coordinates: {exc}") from None
        object.__setattr__(self, "coordinates", coords)
        if self.type == "LineString" and len(coords) < 2:
            raise InvalidInput("a LineString needs at least 2 positions")
        if self.type == "MultiLineString" and (not coords or any(len(p) < 2 for p in coords)):
            raise InvalidInput("each line needs at least 2 positions")
        if self.type in AREA_TYPES:
            polys = (coords,) if self.type == "Polygon" else coords
            if not polys:
                raise InvalidInput("no polygon")
            for rings in polys:
                if not rings:
                    raise InvalidInput("a polygon needs an exterior ring")
                for ring in rings:
                    if len(ring) < 4 or ring[0] != ring[-1]:
                        raise InvalidInput("rings need at least 4 positions, first equal to last")

    @classmethod
    def from_geojson(cls, obj: Any) -> Geometry:
        """The geometry of a parsed GeoJSON geometry object (a mapping)."""
        if not isinstance(obj, Mapping) or not isinstance(obj.get("type"), str):
            raise InvalidInput(f"not a GeoJSON geometry: {obj!r}")
        return cls(str(obj["type"]), obj.get("coordinates"))

    def to_geojson(self) -> dict[str, Any]:
        """The GeoJSON geometry object (lists, ready for ``json.dumps``)."""
        return {"type": self.type, "coordinates": _thaw(self.coordinates)}


def _thaw(coords: Any) -> Any:
    if isinstance(coords, tuple) and coords and isinstance(coords[0], float):
        return list(coords)
    return [_thaw(c) for c in coords]


def _area_shape(
    check: _Check,
    geometry: Geometry,
    radius_m: float | None,
    allowed: Sequence[str],
) -> None:
    """A Polygon, MultiPolygon or Point with a radius (the circle), or another allowed type."""
    if not isinstance(geometry, Geometry):
        check.fail("geometry", f"must be a Geometry, got {type(geometry).__name__}")
    if geometry.type not in allowed:
        check.fail("geometry", f"must be a {' or '.join(allowed)} geometry, got {geometry.type!r}")
    if geometry.type == "Point":
        if radius_m is None:
            check.fail("radius_m", "missing")
        check.number("radius_m", radius_m, bound=_B["radius_m"])
        if radius_m <= 0:
            check.fail("radius_m", "must be > 0 for a circle")
    elif radius_m is not None:
        check.fail("radius_m", f"only a Point has a radius, not a {geometry.type}")
