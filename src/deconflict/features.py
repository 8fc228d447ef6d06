"""Zones, positions and intents from GeoJSON (RFC 7946), validated.

The keys are those of DESIGN.md, "Zones, positions and intents as GeoJSON"; a file may
hold any mix as a FeatureCollection (or be a single Feature). Each feature is told apart
by its properties:

==========================  ==========================================================
``kind`` forces/protected   a declared :class:`Position` (Point, ``radius_m``)
``kind`` strike             a :class:`Strike` intent (Point, ``radius_m``, ``start``,
                            ``end``; optional ``margin_m``)
``kind`` volume             a :class:`Volume` intent (Polygon, MultiPolygon or Point
                            with ``radius_m``; ``alt_min_m``/``alt_max_m``; ``start``,
                            ``end``)
``rules`` or ``status``     a :class:`Zone`
==========================  ==========================================================

A zone's geometry is a Polygon, a MultiPolygon, a Point with ``radius_m`` (a circle), or
-- the extension for a line drawn on a river -- a LineString or MultiLineString with
``side`` (``left``/``right`` of the line's direction, or ``west``/``east``/``north``/
``south``) and ``within`` (a GeoJSON Polygon or MultiPolygon geometry object): the zone is
the part of ``within`` on that side of the line. The parts of a MultiLineString are
joined in their order; the line is extended straight at both ends (along the chord of its
last 50 km) so that it cuts ``within`` from edge to edge.

Every area is built in its own local frame (:mod:`deconflict.detect.frames`) and must
lie within :data:`MAX_AREA_RADIUS_M` of its centre. Bad input raises
:class:`~deconflict.errors.InvalidInput` naming the file, the feature (index and id) and
the property at fault; nothing is half-read.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import shapely
import shapely.ops

from .detect.frames import Frames, circle, project_geometries, to_frame
from .errors import InvalidInput
from .geo import unit_vectors
from .trackio import parse_time

__all__ = [
    "ACTIONS",
    "MAX_AREA_RADIUS_M",
    "SIDES",
    "Area",
    "Country",
    "FeatureSet",
    "Position",
    "Rule",
    "Strike",
    "Volume",
    "Zone",
    "parse_borders",
    "parse_features",
    "read_borders",
    "read_features",
]

ACTIONS = ("advisory", "notify", "forbid")
"""Rule actions, in increasing severity."""
SIDES = ("left", "right", "west", "east", "north", "south")
"""Sides of a side-of-a-line zone."""
MAX_AREA_RADIUS_M = 2_500_000.0
"""Largest distance of an area's vertex from its centre, metres."""
POSITION_KINDS = ("forces", "protected")
_END_CHORD_M = 50_000.0
"""A side-of-a-line zone's line is extended along the chord of its last (and first)
50 km (or tenth of its length), so a wiggle at an end does not decide the direction."""


@dataclass(frozen=True)
class Area:
    """A 2D area in its own local frame.

    Attributes
    ----------
    lat_deg, lon_deg : float
        Centre of the frame, degrees.
    geom : shapely Polygon or MultiPolygon
        The area in frame coordinates, metres.
    radius_m : float
        Largest distance of the area from the centre, metres.
    circle_m : float or None
        For a circle (a Point with ``radius_m``): its exact radius, metres; ``geom`` is
        then an inscribed polygon.
    """

    lat_deg: float
    lon_deg: float
    geom: Any
    radius_m: float
    circle_m: float | None = None


@dataclass(frozen=True)
class Rule:
    """What a party must do about a zone: ``action`` in :data:`ACTIONS`, ``lead_s`` s."""

    party: str
    action: str
    lead_s: float = 0.0


@dataclass(frozen=True)
class Zone:
    """A zone: area, altitude band (m), validity (POSIX s; +-inf when open) and rules."""

    id: str
    name: str
    status: str
    parties: tuple[str, ...]
    consents: tuple[str, ...]
    rules: tuple[Rule, ...]
    area: Area
    alt_min_m: float = -math.inf
    alt_max_m: float = math.inf
    valid_from_s: float = -math.inf
    valid_to_s: float = math.inf
    where: str = ""


@dataclass(frozen=True)
class Position:
    """A declared position of a party's forces or a protected site (a circle)."""

    id: str
    party: str
    kind: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    name: str = ""
    valid_from_s: float = -math.inf
    valid_to_s: float = math.inf
    where: str = ""


@dataclass(frozen=True)
class Strike:
    """A strike intent: aim point, effects radius (m), window (POSIX s), margin (m)."""

    id: str
    party: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    start_s: float
    end_s: float
    margin_m: float | None = None
    where: str = ""


@dataclass(frozen=True)
class Volume:
    """A 4D volume intent: area x altitude band (m) x time window (POSIX s)."""

    id: str
    party: str
    area: Area
    start_s: float
    end_s: float
    alt_min_m: float = -math.inf
    alt_max_m: float = math.inf
    where: str = ""


@dataclass(frozen=True)
class Country:
    """A country for border crossings: ``geom`` in lon/lat degrees."""

    id: str
    name: str
    geom: Any


@dataclass(frozen=True)
class FeatureSet:
    """Everything read from one or more GeoJSON files."""

    zones: tuple[Zone, ...] = ()
    positions: tuple[Position, ...] = ()
    strikes: tuple[Strike, ...] = ()
    volumes: tuple[Volume, ...] = ()
    _ids: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def merge(self, other: FeatureSet) -> FeatureSet:
        """Both sets; an id used twice for the same kind of thing is invalid input."""
        out = FeatureSet(
            self.zones + other.zones,
            self.positions + other.positions,
            self.strikes + other.strikes,
            self.volumes + other.volumes,
        )
        out.check_unique()
        return out

    def check_unique(self) -> None:
        """Raise :class:`InvalidInput` when two zones (or two positions, ...) share an id."""
        groups: tuple[Sequence[Zone | Position | Strike | Volume], ...] = (
            self.zones,
            self.positions,
            self.strikes,
            self.volumes,
        )
        for group in groups:
            seen: dict[str, str] = {}
            for item in group:
                if item.id in seen:
                    raise InvalidInput(
                        f"{item.where}: property 'id': duplicate id {item.id!r} "
                        f"(first at {seen[item.id]})"
                    )
                seen[item.id] = item.where


class _Feature:
    """One feature being read, for error messages."""

    def __init__(self, source: str, index: int, raw: Any) -> None:
        self.source = source
        self.index = index
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            self.fid = None
            self.fail(None, "not a GeoJSON Feature")
        props = raw.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            self.fid = None
            self.fail("properties", "must be an object")
        self.props: dict[str, Any] = props
        fid = props.get("id", raw.get("id"))
        self.fid = fid if isinstance(fid, str | int) else None
        self.geometry = raw.get("geometry")

    @property
    def where(self) -> str:
        ident = f" (id {str(self.fid)!r})" if self.fid is not None else ""
        return f"{self.source}: feature {self.index}{ident}"

    def fail(self, prop: str | None, what: str) -> NoReturn:
        at = f": property {prop!r}" if prop else ""
        raise InvalidInput(f"{self.where}{at}: {what}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.props.get(key, default)
        if value is None:
            self.fail(key, "missing")
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, got {value!r}")
        return value

    def number(
        self, key: str, default: float | None = None, *, minimum: float | None = None
    ) -> float:
        value = self.props.get(key)
        if value is None:
            return self._absent(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number, got {value!r}")
        x = float(value)
        if not math.isfinite(x):
            self.fail(key, f"must be finite, got {value!r}")
        if minimum is not None and x < minimum:
            self.fail(key, f"must be >= {minimum:g}, got {value!r}")
        return x

    def time(self, key: str, default: float | None = None) -> float:
        value = self.props.get(key)
        if value is None:
            return self._absent(key, default)
        if not isinstance(value, str):
            self.fail(key, f"must be an ISO 8601 time, got {value!r}")
        try:
            return parse_time(value)
        except InvalidInput:
            self.fail(key, f"not an ISO 8601 time: {value!r}")

    def _absent(self, key: str, default: float | None) -> float:
        """``default`` for an absent property; fail when it has none."""
        if default is None:
            self.fail(key, "missing")
        return default

    def window(self, lo: str, hi: str, required: bool) -> tuple[float, float]:
        t0 = self.time(lo, None if required else -math.inf)
        t1 = self.time(hi, None if required else math.inf)
        if t1 < t0:
            self.fail(hi, f"ends before {lo!r}")
        return t0, t1

    def band(self) -> tuple[float, float]:
        a0 = self.number("alt_min_m", -math.inf)
        a1 = self.number("alt_max_m", math.inf)
        if a1 < a0:
            self.fail("alt_max_m", f"below alt_min_m ({a1:g} < {a0:g})")
        return a0, a1

    def names(self, key: str, *, required: bool) -> tuple[str, ...]:
        value = self.props.get(key)
        if value is None:
            if required:
                self.fail(key, "missing")
            return ()
        if not isinstance(value, list):
            self.fail(key, f"must be a list of party names, got {value!r}")
        out: list[str] = []
        for item in value:
            name = item.get("party") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                self.fail(key, f"entries must be party names, got {item!r}")
            if isinstance(item, dict) and "time" in item:
                t = item["time"]
                if not isinstance(t, str):
                    self.fail(key, f"consent time must be ISO 8601, got {t!r}")
                try:
                    parse_time(t)
                except InvalidInput:
                    self.fail(key, f"consent time not ISO 8601: {t!r}")
            if name in out:
                self.fail(key, f"party {name!r} listed twice")
            out.append(name)
        if required and not out:
            self.fail(key, "must name at least one party")
        return tuple(out)

    # geometry -------------------------------------------------------------------

    def geom_type(self) -> str:
        g = self.geometry
        if not isinstance(g, dict) or not isinstance(g.get("type"), str):
            self.fail("geometry", "missing or not a GeoJSON geometry")
        return str(g["type"])

    def shape(self, geometry: Any, prop: str, allowed: Iterable[str]) -> Any:
        """A shapely geometry (lon/lat) of a GeoJSON geometry object, checked."""
        allowed = tuple(allowed)
        if not isinstance(geometry, dict) or geometry.get("type") not in allowed:
            got = geometry.get("type") if isinstance(geometry, dict) else geometry
            self.fail(prop, f"must be a {' or '.join(allowed)} geometry, got {got!r}")
        kind = geometry["type"]
        depth = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2}.get(kind, 3)
        coords = geometry.get("coordinates")
        try:
            arr = _positions(coords, depth)
        except ValueError as exc:
            self.fail(prop, f"bad coordinates: {exc}")
        if kind == "Point":
            return shapely.Point(arr[0])
        if kind == "LineString":
            if len(arr[0]) < 2:
                self.fail(prop, "a LineString needs at least 2 positions")
            return shapely.LineString(arr[0])
        if kind == "MultiLineString":
            if not arr or any(len(p) < 2 for p in arr):
                self.fail(prop, "each line needs at least 2 positions")
            return shapely.MultiLineString(arr)
        polys = [arr] if kind == "Polygon" else arr
        if not polys:
            self.fail(prop, "no polygon")
        out = []
        for rings in polys:
            if not rings:
                self.fail(prop, "a polygon needs an exterior ring")
            for ring in rings:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    self.fail(prop, "rings need at least 4 positions, first equal to last")
            out.append(shapely.Polygon(rings[0], rings[1:]))
        return out[0] if kind == "Polygon" else shapely.MultiPolygon(out)

    def area(self, prop: str = "geometry") -> Area:
        """The area of a Polygon, MultiPolygon, Point with ``radius_m``, or side-of-a-line."""
        kind = self.geom_type()
        if kind == "Point":
            pt = self.shape(self.geometry, prop, ["Point"])
            radius = self.number("radius_m", minimum=0.0)
            if radius <= 0:
                self.fail("radius_m", "must be > 0 for a circle")
            if radius > MAX_AREA_RADIUS_M:
                self.fail("radius_m", f"larger than {MAX_AREA_RADIUS_M:g} m")
            return Area(float(pt.y), float(pt.x), circle(radius), radius, radius)
        if kind in ("LineString", "MultiLineString"):
            return self._side_of_line()
        lonlat = self.shape(self.geometry, prop, ["Polygon", "MultiPolygon"])
        return self._project_area(lonlat, prop)

    def _project_area(self, lonlat: Any, prop: str) -> Area:
        coords = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(lonlat)))
        u = unit_vectors(coords[:, 1], coords[:, 0]).sum(axis=0)
        norm = float(np.linalg.norm(u))
        if norm < 1e-9 * coords.shape[0]:
            self.fail(prop, "area has no centre (spans the globe)")
        frame = Frames.centred_on(u[None, :] / norm)
        geom = project_geometries(np.array([lonlat], dtype=object), frame)[0]
        radius = float(np.hypot(*shapely.get_coordinates(geom).T).max())
        if radius > MAX_AREA_RADIUS_M:
            self.fail(
                prop, f"area reaches {radius:.0f} m from its centre (max {MAX_AREA_RADIUS_M:g})"
            )
        if not shapely.is_valid(geom):
            self.fail(prop, f"invalid polygon: {shapely.is_valid_reason(geom)}")
        if shapely.area(geom) <= 0:
            self.fail(prop, "polygon has no area")
        return Area(float(frame.lat_deg[0]), float(frame.lon_deg[0]), geom, radius)

    def _side_of_line(self) -> Area:
        side = self.text("side")
        if side not in SIDES:
            self.fail("side", f"must be one of {', '.join(SIDES)}, got {side!r}")
        if "within" not in self.props:
            self.fail("within", "missing (the region a side-of-a-line zone is cut from)")
        region = self.shape(self.props["within"], "within", ["Polygon", "MultiPolygon"])
        bounds = self._project_area(region, "within")
        frame = Frames(bounds.lat_deg, bounds.lon_deg)
        line = self.shape(self.geometry, "geometry", ["LineString", "MultiLineString"])
        pts = shapely.get_coordinates(line)
        x, y = to_frame(unit_vectors(pts[:, 1], pts[:, 0]), frame)
        xy = np.column_stack([x, y])
        reach = 4.0 * bounds.radius_m + 1.0
        drawn = shapely.LineString(xy)
        if drawn.length <= 0:
            self.fail("geometry", "the line has no length")
        back = min(0.1 * drawn.length, _END_CHORD_M)
        head = np.asarray(drawn.interpolate(back).coords[0])
        tail = np.asarray(drawn.interpolate(drawn.length - back).coords[0])
        ext = [_extend(head, xy[0], reach), *xy, _extend(tail, xy[-1], reach)]
        cut = shapely.LineString(ext)
        pieces = shapely.get_parts(shapely.ops.split(bounds.geom, cut))
        keep = [p for p in pieces if _on_side(p, cut, side, reach)]
        if not keep:
            self.fail("side", f"no part of 'within' lies {side} of the line")
        geom = shapely.union_all(keep)
        if len(keep) == len(pieces):
            self.fail("geometry", "the line does not cut 'within' (extend it across)")
        return Area(bounds.lat_deg, bounds.lon_deg, geom, bounds.radius_m)


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


def _positions(coords: Any, depth: int) -> Any:
    """Nested lists of (lon, lat) tuples at ``depth`` (0 = one position), checked."""
    if depth == 0:
        if not isinstance(coords, list | tuple) or len(coords) not in (2, 3):
            raise ValueError(f"a position is [lon, lat], got {coords!r}")
        lon, lat = coords[0], coords[1]
        for v in (lon, lat):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"not a finite number: {v!r}")
        if abs(lat) > 90:
            raise ValueError(f"latitude {lat!r} outside [-90, 90]")
        if abs(lon) > 540:
            raise ValueError(f"longitude {lon!r} out of range")
        return [(float(lon), float(lat))]
    if not isinstance(coords, list):
        raise ValueError(f"expected a list, got {coords!r}")
    if depth == 1:
        return [[p for c in coords for p in _positions(c, 0)]]
    out = [_positions(c, depth - 1) for c in coords]
    if depth == 2:
        return [o[0] for o in out]
    return out


def _zone(f: _Feature) -> Zone:
    zid = f.text("id")
    status = f.text("status")
    if status not in ("claimed", "agreed"):
        f.fail("status", f"must be 'claimed' or 'agreed', got {status!r}")
    parties = f.names("parties", required=True)
    consents = f.names("consents", required=False)
    stray = [p for p in consents if p not in parties]
    if stray:
        f.fail("consents", f"{stray[0]!r} is not one of 'parties'")
    if status == "agreed":
        missing = [p for p in parties if p not in consents]
        if missing:
            f.fail("consents", f"status 'agreed' needs the consent of {', '.join(missing)}")
    raw_rules = f.props.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        f.fail("rules", "must be a non-empty list of {party, action, lead_s}")
    rules: list[Rule] = []
    for k, r in enumerate(raw_rules):
        key = f"rules[{k}]"
        if not isinstance(r, dict):
            f.fail(key, f"must be an object, got {r!r}")
        party, action, lead = r.get("party"), r.get("action"), r.get("lead_s", 0)
        if not isinstance(party, str) or not party.strip():
            f.fail(f"{key}.party", f"must be a party name or '*', got {party!r}")
        if action not in ACTIONS:
            f.fail(f"{key}.action", f"must be one of {', '.join(ACTIONS)}, got {action!r}")
        if isinstance(lead, bool) or not isinstance(lead, int | float) or not lead >= 0:
            f.fail(f"{key}.lead_s", f"must be a number of seconds >= 0, got {lead!r}")
        if not math.isfinite(lead):
            f.fail(f"{key}.lead_s", "must be finite")
        if any(x.party == party for x in rules):
            f.fail(f"{key}.party", f"party {party!r} has two rules")
        rules.append(Rule(party, str(action), float(lead)))
    a0, a1 = f.band()
    v0, v1 = f.window("valid_from", "valid_to", required=False)
    return Zone(
        id=zid,
        name=_name(f.props, zid),
        status=status,
        parties=parties,
        consents=consents,
        rules=tuple(rules),
        area=f.area(),
        alt_min_m=a0,
        alt_max_m=a1,
        valid_from_s=v0,
        valid_to_s=v1,
        where=f.where,
    )


def _name(props: dict[str, Any], default: str) -> str:
    name = props.get("name")
    return name if isinstance(name, str) else default


def _point(f: _Feature) -> tuple[float, float]:
    f.geom_type()
    pt = f.shape(f.geometry, "geometry", ["Point"])
    return float(pt.y), float(pt.x)


def _position(f: _Feature, kind: str) -> Position:
    lat, lon = _point(f)
    v0, v1 = f.window("valid_from", "valid_to", required=False)
    return Position(
        id=f.text("id"),
        party=f.text("party"),
        kind=kind,
        lat_deg=lat,
        lon_deg=lon,
        radius_m=f.number("radius_m", minimum=0.0),
        name=_name(f.props, ""),
        valid_from_s=v0,
        valid_to_s=v1,
        where=f.where,
    )


def _strike(f: _Feature) -> Strike:
    lat, lon = _point(f)
    t0, t1 = f.window("start", "end", required=True)
    margin = f.props.get("margin_m")
    return Strike(
        id=f.text("id"),
        party=f.text("party"),
        lat_deg=lat,
        lon_deg=lon,
        radius_m=f.number("radius_m", minimum=0.0),
        start_s=t0,
        end_s=t1,
        margin_m=None if margin is None else f.number("margin_m", minimum=0.0),
        where=f.where,
    )


def _volume(f: _Feature) -> Volume:
    vid, party = f.text("id"), f.text("party")
    if f.geom_type() not in ("Polygon", "MultiPolygon", "Point"):
        f.fail("geometry", "a volume is a Polygon, MultiPolygon or Point with radius_m")
    t0, t1 = f.window("start", "end", required=True)
    a0, a1 = f.band()
    return Volume(vid, party, f.area(), t0, t1, a0, a1, where=f.where)


def _features(doc: Any, source: str) -> list[Any]:
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise InvalidInput(f"{source}: 'features' must be a list")
        return feats
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return [doc]
    raise InvalidInput(f"{source}: not a GeoJSON FeatureCollection or Feature")


def parse_features(doc: Any, source: str = "<input>") -> FeatureSet:
    """Zones, positions, strikes and volumes from a parsed GeoJSON document.

    Raises :class:`InvalidInput` naming ``source``, the feature and the property at fault.

    >>> fs = parse_features({"type": "Feature", "geometry": {"type": "Point",
    ...     "coordinates": [38.62, 33.5]}, "properties": {"id": "tanf", "status": "claimed",
    ...     "parties": ["coalition"], "radius_m": 55000,
    ...     "rules": [{"party": "*", "action": "forbid"}]}})
    >>> fs.zones[0].id, round(fs.zones[0].area.radius_m)
    ('tanf', 55000)
    """
    zones: list[Zone] = []
    positions: list[Position] = []
    strikes: list[Strike] = []
    volumes: list[Volume] = []
    for i, raw in enumerate(_features(doc, source)):
        f = _Feature(source, i, raw)
        kind = f.props.get("kind")
        if kind in POSITION_KINDS:
            positions.append(_position(f, str(kind)))
        elif kind == "strike":
            strikes.append(_strike(f))
        elif kind == "volume":
            volumes.append(_volume(f))
        elif kind is not None:
            f.fail("kind", f"must be forces, protected, strike or volume, got {kind!r}")
        elif "rules" in f.props or "status" in f.props:
            zones.append(_zone(f))
        else:
            f.fail(None, "neither a zone (rules, status) nor a position or intent (kind)")
    out = FeatureSet(tuple(zones), tuple(positions), tuple(strikes), tuple(volumes))
    out.check_unique()
    return out


def _load(path: str | os.PathLike[str]) -> tuple[Any, str]:
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as fh:
            return json.load(fh), name
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot open ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{name}: not JSON ({exc})") from exc


def read_features(path: str | os.PathLike[str]) -> FeatureSet:
    """:func:`parse_features` of a GeoJSON file."""
    doc, name = _load(path)
    return parse_features(doc, name)


def parse_borders(doc: Any, source: str = "<input>") -> tuple[Country, ...]:
    """Countries (Polygon or MultiPolygon features with an ``id``) in lon/lat degrees."""
    out: list[Country] = []
    seen: set[str] = set()
    for i, raw in enumerate(_features(doc, source)):
        f = _Feature(source, i, raw)
        cid = f.text("id")
        if cid in seen:
            f.fail("id", f"duplicate id {cid!r}")
        seen.add(cid)
        f.geom_type()
        geom = f.shape(f.geometry, "geometry", ["Polygon", "MultiPolygon"])
        if not shapely.is_valid(geom):
            f.fail("geometry", f"invalid polygon: {shapely.is_valid_reason(geom)}")
        out.append(Country(cid, _name(f.props, cid), geom))
    return tuple(out)


def read_borders(path: str | os.PathLike[str]) -> tuple[Country, ...]:
    """:func:`parse_borders` of a GeoJSON file."""
    doc, name = _load(path)
    return parse_borders(doc, name)
