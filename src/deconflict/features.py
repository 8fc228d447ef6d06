"""GeoJSON (RFC 7946) <-> records: zones, positions, intents and countries.

An adapter: it turns parsed GeoJSON into the records of :mod:`deconflict.model` and
back (:func:`feature_of`); the detectors never import it. The keys are those of the
project's format (``docs/zones.md``); a file may hold any mix as a FeatureCollection (or
be a single Feature). Each feature is told apart by its properties:

==========================  ==========================================================
``kind`` forces/protected   a declared :class:`~deconflict.model.Position` (Point,
                            ``radius_m``)
``kind`` strike             a :class:`~deconflict.model.Strike` intent (Point,
                            ``radius_m``, ``start``, ``end``; optional ``margin_m``)
``kind`` volume             a :class:`~deconflict.model.Volume` intent (Polygon,
                            MultiPolygon or Point with ``radius_m``;
                            ``alt_min_m``/``alt_max_m``; ``start``, ``end``)
``kind`` movement           a :class:`~deconflict.movement.Movement` (LineString,
                            ``width_m``, ``start``, ``end``)
``rules`` or ``status``     a :class:`~deconflict.model.Zone`
==========================  ==========================================================

Here the JSON types are checked (strings, numbers, lists, ISO 8601 times) with the
format's bounds (:mod:`deconflict.bounds`: every number within its physical range, an
integer no float holds refused like any other; every text, list and free-text property
within its size) and geometry objects become :class:`~deconflict.model.Geometry`; the
records check their own meaning
and :mod:`deconflict.detect.areas` checks that each area can be built (a valid polygon,
a line that cuts its region, not too large). Bad input raises
:class:`~deconflict.errors.InvalidInput` naming the file, the feature (index and id) and
the property at fault; nothing is half-read.

A document that is an EUROCAE ED-269 or ED-318 set of zones (told by its structure) is
first turned into these zones by :func:`deconflict.zoneformats.as_geojson`, with its
schema checked: every reader of zones takes all three formats through this one parser.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from .bounds import (
    DECLARATION_BOUNDS,
    MAX_ID_CHARS,
    MAX_LIST,
    MAX_NAME_CHARS,
    MAX_OTHER_PROPERTIES,
    MAX_TEXT_CHARS,
    MAX_TIME_CHARS,
    MOVEMENT_BOUNDS,
    TIME_WINDOW,
    Range,
)
from .detect.areas import country_shape, volume_area, zone_area
from .errors import InvalidInput
from .model import (
    AREA_TYPES,
    POSITION_KINDS,
    Country,
    Geometry,
    Position,
    Rule,
    Strike,
    Volume,
    Zone,
    as_real,
    outside,
    shown,
)
from .movement import Movement
from .timefmt import format_time, parse_time
from .zoneformats import DEFAULT_IMPORTER, as_geojson

__all__ = [
    "FeatureSet",
    "collection_of",
    "count_vertices",
    "feature_of",
    "parse_borders",
    "parse_features",
    "read_borders",
    "read_features",
]

Record = Zone | Position | Strike | Volume | Movement | Country

_B = DECLARATION_BOUNDS
_FEATURE_MEMBERS = frozenset({"type", "geometry", "properties", "id", "bbox"})
_GEOMETRY_MEMBERS = frozenset({"type", "coordinates", "bbox"})
_RULE_KEYS = frozenset({"party", "action", "lead_s"})
_CONSENT_KEYS = frozenset({"party", "time"})
_OWN = {
    "zone": frozenset(
        {"id", "name", "status", "parties", "consents", "owner", "rules", "radius_m", "side",
         "within", "alt_min_m", "alt_max_m", "valid_from", "valid_to"}
    ),
    "position": frozenset({"id", "party", "kind", "radius_m", "name", "valid_from", "valid_to"}),
    "strike": frozenset({"id", "party", "kind", "radius_m", "start", "end", "margin_m"}),
    "volume": frozenset(
        {"id", "party", "kind", "radius_m", "alt_min_m", "alt_max_m", "start", "end"}
    ),
    "movement": frozenset({"id", "party", "kind", "width_m", "start", "end", "name"}),
    "country": frozenset({"id", "name"}),
}  # fmt: skip
"""The properties of each kind of feature that the format reads; any other is bounded
as free text (:data:`~deconflict.bounds.MAX_OTHER_PROPERTIES`, ``MAX_TEXT_CHARS``)."""


@dataclass(frozen=True)
class FeatureSet:
    """Everything read from one or more GeoJSON files, as records in file order."""

    zones: tuple[Zone, ...] = ()
    positions: tuple[Position, ...] = ()
    strikes: tuple[Strike, ...] = ()
    volumes: tuple[Volume, ...] = ()
    movements: tuple[Movement, ...] = ()

    def merge(self, other: FeatureSet) -> FeatureSet:
        """Both sets; an id used twice for the same kind of thing is invalid input."""
        out = FeatureSet(
            self.zones + other.zones,
            self.positions + other.positions,
            self.strikes + other.strikes,
            self.volumes + other.volumes,
            self.movements + other.movements,
        )
        out.check_unique()
        return out

    def check_unique(self) -> None:
        """Raise :class:`InvalidInput` when two zones (or two positions, ...) share an id."""
        groups: tuple[Sequence[Zone | Position | Strike | Volume | Movement], ...] = (
            self.zones,
            self.positions,
            self.strikes,
            self.volumes,
            self.movements,
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
    """One feature being read: typed access to its properties, errors located."""

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
        self.raw_geometry = raw.get("geometry")
        self.others(raw, _FEATURE_MEMBERS, "the Feature")
        top = raw.get("id")
        if top is not None and not (
            (isinstance(top, str) and len(top) <= MAX_ID_CHARS)
            or (isinstance(top, int) and not isinstance(top, bool) and abs(top) < 2**63)
        ):
            self.fail(None, f"member 'id': a string of at most {MAX_ID_CHARS} characters or "
                      f"an integer, got {shown(top)}")  # fmt: skip
        self.bbox(raw, "bbox")

    @property
    def where(self) -> str:
        ident = f" (id {shown(str(self.fid), MAX_ID_CHARS + 2)})" if self.fid is not None else ""
        return f"{self.source}: feature {self.index}{ident}"

    def fail(self, prop: str | None, what: str) -> NoReturn:
        at = f": property {shown(prop, MAX_ID_CHARS + 2)}" if prop else ""
        raise InvalidInput(f"{self.where}{at}: {what}")

    def others(self, obj: dict[str, Any], own: frozenset[str], of: str | None = None) -> None:
        """Bound the keys of ``obj`` outside ``own`` (free text): how many, their names
        and their values. ``of`` names the object when it is not the properties."""
        extra = [k for k in obj if k not in own]
        what = "property" if of is None else f"member of {of}"
        if len(extra) > MAX_OTHER_PROPERTIES:
            self.fail(
                extra[MAX_OTHER_PROPERTIES] if of is None else None,
                f"{len(extra)} {what.replace('property', 'properties')} besides the "
                f"format's own; at most {MAX_OTHER_PROPERTIES}",
            )
        for key in extra:
            if len(key) > MAX_ID_CHARS:
                self.fail(None, f"a {what} name of {len(key)} characters; at most {MAX_ID_CHARS}")
            value = obj[key]
            size = len(value) if isinstance(value, str) else _json_size(value)
            label = "" if of is None else f"{what} {shown(key)}: "
            if size < 0:
                self.fail(key if of is None else None, f"{label}NaN or an infinity is not JSON")
            if size > MAX_TEXT_CHARS:
                how = "characters" if isinstance(value, str) else "characters of JSON"
                self.fail(
                    key if of is None else None, f"{label}{size} {how}; at most {MAX_TEXT_CHARS}"
                )

    def bbox(self, obj: dict[str, Any], key: str) -> None:
        """RFC 7946's ``bbox``, when given: 4 or 6 numbers."""
        value = obj.get(key)
        if value is None:
            return
        if not (
            isinstance(value, list) and len(value) in (4, 6) and all(_finite(v) for v in value)
        ):
            self.fail(None, f"member 'bbox': a list of 4 or 6 numbers, got {shown(value)}")

    def text(self, key: str, default: str | None = None, limit: int = MAX_ID_CHARS) -> str:
        value = self.props.get(key, default)
        if value is None:
            self.fail(key, "missing")
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, got {shown(value)}")
        if len(value) > limit:
            self.fail(key, f"{len(value)} characters; at most {limit}")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.props.get(key) is None else self.text(key)

    def name(self, default: str) -> str:
        name = self.props.get("name")
        if name is None:
            return default
        if not isinstance(name, str):
            self.fail("name", f"must be a string, got {shown(name)}")
        if len(name) > MAX_NAME_CHARS:
            self.fail("name", f"{len(name)} characters; at most {MAX_NAME_CHARS}")
        return name if name.strip() else default

    def number(
        self, key: str, default: float | None = None, *, bound: Range | None = None
    ) -> float:
        value = self.props.get(key)
        if value is None:
            if default is None:
                self.fail(key, "missing")
            return default
        return self.bounded(key, value, bound)

    def bounded(self, key: str, value: Any, bound: Range | None) -> float:
        """``value`` as a finite float within ``bound``; else fail naming ``key``."""
        x = as_real(value)
        if isinstance(x, str):
            self.fail(key, x if bound is None else f"{x}; must be in {bound}")
        if not math.isfinite(x):
            self.fail(key, f"must be finite, got {x!r}")
        why = None if bound is None else outside(x, bound)
        if why is not None:
            self.fail(key, why)
        return x + 0.0  # -0.0 is 0.0

    def optional_number(self, key: str, bound: Range | None = None) -> float | None:
        return None if self.props.get(key) is None else self.number(key, bound=bound)

    def time(self, key: str, default: float | None = None) -> float:
        value = self.props.get(key)
        if value is None:
            if default is None:
                self.fail(key, "missing")
            return default
        return self.time_of(key, value)

    def time_of(self, key: str, value: Any) -> float:
        """The POSIX seconds of the ISO 8601 ``value``, within the declarations' window."""
        if not isinstance(value, str):
            self.fail(key, f"must be an ISO 8601 time, got {shown(value)}")
        if len(value) > MAX_TIME_CHARS:
            self.fail(key, f"a time of {len(value)} characters; at most {MAX_TIME_CHARS}")
        try:
            t = parse_time(value)
        except (InvalidInput, OverflowError, OSError):
            self.fail(key, f"not an ISO 8601 time: {value!r}")
        if t not in _B["time_s"]:
            self.fail(key, f"{value} is outside {TIME_WINDOW}")
        return t

    def window(self, lo: str, hi: str, required: bool) -> tuple[float, float]:
        return (
            self.time(lo, None if required else -math.inf),
            self.time(hi, None if required else math.inf),
        )

    def band(self) -> tuple[float, float]:
        return (
            self.number("alt_min_m", -math.inf, bound=_B["alt_m"]),
            self.number("alt_max_m", math.inf, bound=_B["alt_m"]),
        )

    def names(self, key: str) -> tuple[str, ...]:
        """Party names (or ``{"party": NAME, "time": ISO8601}`` objects) of a list property."""
        value = self.props.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(key, f"must be a list of party names, got {shown(value)}")
        if len(value) > MAX_LIST:
            self.fail(key, f"{len(value)} entries; at most {MAX_LIST}")
        out: list[str] = []
        for item in value:
            name = item.get("party") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                self.fail(key, f"entries must be party names, got {shown(item)}")
            if len(name) > MAX_ID_CHARS:
                self.fail(key, f"a party name of {len(name)} characters; at most {MAX_ID_CHARS}")
            if isinstance(item, dict):
                stray = [k for k in item if k not in _CONSENT_KEYS]
                if stray:
                    self.fail(
                        key, f"a consent holds 'party' and 'time' only, not {shown(stray[0])}"
                    )
                if "time" in item:
                    self.time_of(key, item["time"])
            out.append(name)
        return tuple(out)

    def rules(self) -> tuple[Rule, ...]:
        raw = self.props.get("rules")
        if not isinstance(raw, list):
            self.fail("rules", "must be a non-empty list of {party, action, lead_s}")
        if len(raw) > MAX_LIST:
            self.fail("rules", f"{len(raw)} rules; at most {MAX_LIST}")
        out: list[Rule] = []
        for k, r in enumerate(raw):
            key = f"rules[{k}]"
            if not isinstance(r, dict):
                self.fail(key, f"must be an object, got {shown(r)}")
            stray = [name for name in r if name not in _RULE_KEYS]
            if stray:
                self.fail(key, f"a rule holds party, action and lead_s only, not {shown(stray[0])}")
            lead = self.bounded(f"{key}.lead_s", r.get("lead_s", 0), _B["lead_s"])
            party: Any = r.get("party")
            action: Any = r.get("action")
            out.append(Rule(party, action, lead))
        return tuple(out)

    def geometry(self, prop: str, raw: Any, allowed: Sequence[str]) -> Geometry:
        """The :class:`Geometry` of the GeoJSON geometry object ``raw``, of an allowed type."""
        if not isinstance(raw, dict) or raw.get("type") not in allowed:
            if prop == "geometry" and (not isinstance(raw, dict) or "type" not in raw):
                self.fail(prop, "missing or not a GeoJSON geometry")
            got = raw.get("type") if isinstance(raw, dict) else raw
            self.fail(prop, f"must be a {' or '.join(allowed)} geometry, got {shown(got)}")
        self.others(raw, _GEOMETRY_MEMBERS, repr(prop))
        self.bbox(raw, "bbox")
        try:
            return Geometry.from_geojson(raw)
        except InvalidInput as exc:
            self.fail(prop, str(exc))

    def point(self) -> tuple[float, float]:
        """(lat, lon) of a Point geometry."""
        lon, lat = self.geometry("geometry", self.raw_geometry, ["Point"]).coordinates
        return lat, lon


def _finite(value: Any) -> bool:
    x = as_real(value)
    return isinstance(x, float) and math.isfinite(x)


def _json_size(value: Any) -> int:
    """Characters of ``value`` written as JSON; -1 if it holds NaN or an infinity."""
    try:
        return len(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except ValueError:
        return -1
    except RecursionError:  # deeper than any bound: as good as too large
        return MAX_TEXT_CHARS + 1


def count_vertices(geometry: Any) -> int:
    """The vertices of a GeoJSON geometry object as written: every position of its lines,
    and of its rings all but the closing one (a Point is one vertex). What is not a
    geometry counts 0: the parser says what is wrong with it.

    >>> count_vertices({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
    3
    """
    if not isinstance(geometry, dict):
        return 0
    kind, c = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        return 1
    if not isinstance(c, list):
        return 0
    if kind == "LineString":
        return len(c)
    if kind == "MultiLineString":
        return sum(len(line) for line in c if isinstance(line, list))
    polygons = [c] if kind == "Polygon" else c if kind == "MultiPolygon" else []
    return sum(
        max(len(ring) - 1, 0)
        for rings in polygons
        if isinstance(rings, list)
        for ring in rings
        if isinstance(ring, list)
    )


_LINES = ("LineString", "MultiLineString")


def _zone(f: _Feature) -> Zone:
    f.others(f.props, _OWN["zone"])
    geometry = f.geometry("geometry", f.raw_geometry, [*AREA_TYPES, "Point", *_LINES])
    is_line = geometry.type in _LINES
    # what only some shapes use is checked on every zone (the service keeps it as sent)
    within = None
    if f.props.get("within") is not None:
        within = f.geometry("within", f.props["within"], AREA_TYPES)
    radius = f.optional_number("radius_m", _B["radius_m"])
    side = f.optional_text("side")
    f.optional_text("owner")
    zid = f.text("id")
    a0, a1 = f.band()
    v0, v1 = f.window("valid_from", "valid_to", required=False)
    zone = Zone(
        id=zid,
        name=f.name(zid),
        status=f.text("status"),
        parties=f.names("parties"),
        consents=f.names("consents"),
        rules=f.rules(),
        geometry=geometry,
        radius_m=radius if geometry.type == "Point" else None,
        side=side if is_line else None,
        within=within if is_line else None,
        alt_min_m=a0,
        alt_max_m=a1,
        valid_from_s=v0,
        valid_to_s=v1,
        where=f.where,
    )
    zone_area(zone)
    return zone


def _position(f: _Feature, kind: str) -> Position:
    f.others(f.props, _OWN["position"])
    lat, lon = f.point()
    v0, v1 = f.window("valid_from", "valid_to", required=False)
    return Position(
        id=f.text("id"),
        party=f.text("party"),
        kind=kind,
        lat_deg=lat,
        lon_deg=lon,
        radius_m=f.number("radius_m", bound=_B["radius_m"]),
        name=f.name(""),
        valid_from_s=v0,
        valid_to_s=v1,
        where=f.where,
    )


def _strike(f: _Feature) -> Strike:
    f.others(f.props, _OWN["strike"])
    lat, lon = f.point()
    t0, t1 = f.window("start", "end", required=True)
    return Strike(
        id=f.text("id"),
        party=f.text("party"),
        lat_deg=lat,
        lon_deg=lon,
        radius_m=f.number("radius_m", bound=_B["radius_m"]),
        start_s=t0,
        end_s=t1,
        margin_m=f.optional_number("margin_m", _B["margin_m"]),
        where=f.where,
    )


def _volume(f: _Feature) -> Volume:
    f.others(f.props, _OWN["volume"])
    vid, party = f.text("id"), f.text("party")
    raw = f.raw_geometry
    if not isinstance(raw, dict) or raw.get("type") not in (*AREA_TYPES, "Point"):
        f.fail("geometry", "a volume is a Polygon, MultiPolygon or Point with radius_m")
    geometry = f.geometry("geometry", raw, [*AREA_TYPES, "Point"])
    t0, t1 = f.window("start", "end", required=True)
    a0, a1 = f.band()
    radius = f.optional_number("radius_m", _B["radius_m"])
    volume = Volume(
        id=vid,
        party=party,
        geometry=geometry,
        start_s=t0,
        end_s=t1,
        radius_m=radius if geometry.type == "Point" else None,
        alt_min_m=a0,
        alt_max_m=a1,
        where=f.where,
    )
    volume_area(volume)
    return volume


def _movement(f: _Feature) -> Movement:
    f.others(f.props, _OWN["movement"])
    mid, party = f.text("id"), f.text("party")
    route = f.geometry("geometry", f.raw_geometry, ["LineString"])
    t0, t1 = f.window("start", "end", required=True)
    return Movement(
        id=mid,
        party=party,
        route=route,
        width_m=f.number("width_m", bound=MOVEMENT_BOUNDS["width_m"]),
        start_s=t0,
        end_s=t1,
        name=f.name(""),
        where=f.where,
    )


def _features(doc: Any, source: str) -> list[Any]:
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise InvalidInput(f"{source}: 'features' must be a list")
        return feats
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return [doc]
    raise InvalidInput(f"{source}: not a GeoJSON FeatureCollection or Feature")


def parse_features(
    doc: Any, source: str = "<input>", *, party: str = DEFAULT_IMPORTER
) -> FeatureSet:
    """Zones, positions, strikes and volumes from a parsed GeoJSON document, or the zones
    of an EUROCAE ED-269 or ED-318 document (told by its structure; they are ``party``'s,
    see :func:`deconflict.zoneformats.as_geojson`).

    Raises :class:`InvalidInput` naming ``source``, the feature and the property at fault.

    >>> fs = parse_features({"type": "Feature", "geometry": {"type": "Point",
    ...     "coordinates": [38.62, 33.5]}, "properties": {"id": "tanf", "status": "claimed",
    ...     "parties": ["coalition"], "radius_m": 55000,
    ...     "rules": [{"party": "*", "action": "forbid"}]}})
    >>> fs.zones[0].id, fs.zones[0].geometry.type, fs.zones[0].radius_m
    ('tanf', 'Point', 55000.0)
    """
    zones: list[Zone] = []
    positions: list[Position] = []
    strikes: list[Strike] = []
    volumes: list[Volume] = []
    movements: list[Movement] = []
    doc = as_geojson(doc, source, party)
    for i, raw in enumerate(_features(doc, source)):
        f = _Feature(source, i, raw)
        kind = f.props.get("kind")
        if kind in POSITION_KINDS:
            positions.append(_position(f, str(kind)))
        elif kind == "strike":
            strikes.append(_strike(f))
        elif kind == "volume":
            volumes.append(_volume(f))
        elif kind == "movement":
            movements.append(_movement(f))
        elif kind is not None:
            f.fail(
                "kind",
                f"must be forces, protected, strike, volume or movement, got {shown(kind)}",
            )
        elif "rules" in f.props or "status" in f.props:
            zones.append(_zone(f))
        else:
            f.fail(None, "neither a zone (rules, status) nor a position or intent (kind)")
    out = FeatureSet(
        tuple(zones), tuple(positions), tuple(strikes), tuple(volumes), tuple(movements)
    )
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
    except RecursionError:
        raise InvalidInput(f"{name}: JSON nested too deeply") from None


def read_features(path: str | os.PathLike[str], *, party: str = DEFAULT_IMPORTER) -> FeatureSet:
    """:func:`parse_features` of a GeoJSON, ED-269 or ED-318 file."""
    doc, name = _load(path)
    return parse_features(doc, name, party=party)


def parse_borders(doc: Any, source: str = "<input>") -> tuple[Country, ...]:
    """Countries (Polygon or MultiPolygon features with an ``id``, optional ``name``)."""
    out: list[Country] = []
    seen: set[str] = set()
    for i, raw in enumerate(_features(doc, source)):
        f = _Feature(source, i, raw)
        cid = f.text("id")
        if cid in seen:
            f.fail("id", f"duplicate id {cid!r}")
        seen.add(cid)
        geometry = f.geometry("geometry", f.raw_geometry, AREA_TYPES)
        country = Country(cid, f.name(cid), geometry, where=f.where)
        country_shape(country)
        out.append(country)
    return tuple(out)


def read_borders(path: str | os.PathLike[str]) -> tuple[Country, ...]:
    """:func:`parse_borders` of a GeoJSON file."""
    doc, name = _load(path)
    return parse_borders(doc, name)


# -- records -> GeoJSON ----------------------------------------------------------------


def _put_band(props: dict[str, Any], lo: float, hi: float) -> None:
    if math.isfinite(lo):
        props["alt_min_m"] = lo
    if math.isfinite(hi):
        props["alt_max_m"] = hi


def _put_window(props: dict[str, Any], keys: tuple[str, str], lo: float, hi: float) -> None:
    for key, t in zip(keys, (lo, hi), strict=True):
        text = format_time(t)
        if text is not None:
            props[key] = text


def _point(lat_deg: float, lon_deg: float) -> dict[str, Any]:
    return Geometry("Point", (lon_deg, lat_deg)).to_geojson()


def feature_of(record: Record) -> dict[str, Any]:
    """A record written back as a GeoJSON Feature that :func:`parse_features` (or, for a
    :class:`~deconflict.model.Country`, :func:`parse_borders`) reads as an equal record.

    Open bounds (``±inf``) are left out; times are ISO 8601 UTC. Consent times are not
    kept by the records, so consents come back as plain names.

    >>> from deconflict.model import Geometry, Position
    >>> feature_of(Position("hq", "red", "forces", 35.2, 40.1, 500.0))["properties"]
    {'id': 'hq', 'party': 'red', 'kind': 'forces', 'radius_m': 500.0}
    """
    props: dict[str, Any]
    if isinstance(record, Zone):
        geometry = record.geometry.to_geojson()
        props = {"id": record.id, "name": record.name, "status": record.status}
        props["parties"] = list(record.parties)
        if record.consents:
            props["consents"] = list(record.consents)
        props["rules"] = [
            {"party": r.party, "action": r.action, "lead_s": r.lead_s} for r in record.rules
        ]
        if record.radius_m is not None:
            props["radius_m"] = record.radius_m
        if record.side is not None:
            props["side"] = record.side
        if record.within is not None:
            props["within"] = record.within.to_geojson()
        _put_band(props, record.alt_min_m, record.alt_max_m)
        _put_window(props, ("valid_from", "valid_to"), record.valid_from_s, record.valid_to_s)
    elif isinstance(record, Position):
        geometry = _point(record.lat_deg, record.lon_deg)
        props = {"id": record.id, "party": record.party, "kind": record.kind}
        props["radius_m"] = record.radius_m
        if record.name:
            props["name"] = record.name
        _put_window(props, ("valid_from", "valid_to"), record.valid_from_s, record.valid_to_s)
    elif isinstance(record, Strike):
        geometry = _point(record.lat_deg, record.lon_deg)
        props = {"id": record.id, "party": record.party, "kind": "strike"}
        props["radius_m"] = record.radius_m
        _put_window(props, ("start", "end"), record.start_s, record.end_s)
        if record.margin_m is not None:
            props["margin_m"] = record.margin_m
    elif isinstance(record, Volume):
        geometry = record.geometry.to_geojson()
        props = {"id": record.id, "party": record.party, "kind": "volume"}
        if record.radius_m is not None:
            props["radius_m"] = record.radius_m
        _put_window(props, ("start", "end"), record.start_s, record.end_s)
        _put_band(props, record.alt_min_m, record.alt_max_m)
    elif isinstance(record, Movement):
        geometry = record.route.to_geojson()
        props = {"id": record.id, "party": record.party, "kind": "movement"}
        props["width_m"] = record.width_m
        if record.name:
            props["name"] = record.name
        _put_window(props, ("start", "end"), record.start_s, record.end_s)
    elif isinstance(record, Country):
        geometry = record.geometry.to_geojson()
        props = {"id": record.id, "name": record.name}
    else:
        raise InvalidInput(f"not a zone, position, intent or country: {record!r}")
    return {"type": "Feature", "geometry": geometry, "properties": props}


def collection_of(records: Iterable[Record]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of records (:func:`feature_of` of each, in order)."""
    return {"type": "FeatureCollection", "features": [feature_of(r) for r in records]}
