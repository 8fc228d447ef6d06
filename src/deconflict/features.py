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
``rules`` or ``status``     a :class:`~deconflict.model.Zone`
==========================  ==========================================================

Here the JSON types are checked (strings, numbers, lists, ISO 8601 times) and geometry
objects become :class:`~deconflict.model.Geometry`; the records check their own meaning
and :mod:`deconflict.detect.areas` checks that each area can be built (a valid polygon,
a line that cuts its region, not too large). Bad input raises
:class:`~deconflict.errors.InvalidInput` naming the file, the feature (index and id) and
the property at fault; nothing is half-read.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

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
)
from .timefmt import format_time, parse_time

__all__ = [
    "FeatureSet",
    "collection_of",
    "feature_of",
    "parse_borders",
    "parse_features",
    "read_borders",
    "read_features",
]

Record = Zone | Position | Strike | Volume | Country


@dataclass(frozen=True)
class FeatureSet:
    """Everything read from one or more GeoJSON files, as records in file order."""

    zones: tuple[Zone, ...] = ()
    positions: tuple[Position, ...] = ()
    strikes: tuple[Strike, ...] = ()
    volumes: tuple[Volume, ...] = ()

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

    def optional_text(self, key: str) -> str | None:
        return None if self.props.get(key) is None else self.text(key)

    def name(self, default: str) -> str:
        name = self.props.get("name")
        return name if isinstance(name, str) and name.strip() else default

    def number(
        self, key: str, default: float | None = None, *, minimum: float | None = None
    ) -> float:
        value = self.props.get(key)
        if value is None:
            if default is None:
                self.fail(key, "missing")
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number, got {value!r}")
        x = float(value)
        if not math.isfinite(x):
            self.fail(key, f"must be finite, got {value!r}")
        if minimum is not None and x < minimum:
            self.fail(key, f"must be >= {minimum:g}, got {value!r}")
        return x

    def optional_number(self, key: str) -> float | None:
        return None if self.props.get(key) is None else self.number(key)

    def time(self, key: str, default: float | None = None) -> float:
        value = self.props.get(key)
        if value is None:
            if default is None:
                self.fail(key, "missing")
            return default
        if not isinstance(value, str):
            self.fail(key, f"must be an ISO 8601 time, got {value!r}")
        try:
            return parse_time(value)
        except InvalidInput:
            self.fail(key, f"not an ISO 8601 time: {value!r}")

    def window(self, lo: str, hi: str, required: bool) -> tuple[float, float]:
        return (
            self.time(lo, None if required else -math.inf),
            self.time(hi, None if required else math.inf),
        )

    def band(self) -> tuple[float, float]:
        return self.number("alt_min_m", -math.inf), self.number("alt_max_m", math.inf)

    def names(self, key: str) -> tuple[str, ...]:
        """Party names (or ``{"party": NAME, "time": ISO8601}`` objects) of a list property."""
        value = self.props.get(key)
        if value is None:
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
            out.append(name)
        return tuple(out)

    def rules(self) -> tuple[Rule, ...]:
        raw = self.props.get("rules")
        if not isinstance(raw, list):
            self.fail("rules", "must be a non-empty list of {party, action, lead_s}")
        out: list[Rule] = []
        for k, r in enumerate(raw):
            key = f"rules[{k}]"
            if not isinstance(r, dict):
                self.fail(key, f"must be an object, got {r!r}")
            lead = r.get("lead_s", 0)
            if isinstance(lead, bool) or not isinstance(lead, int | float):
                self.fail(f"{key}.lead_s", f"must be a number of seconds >= 0, got {lead!r}")
            party: Any = r.get("party")
            action: Any = r.get("action")
            out.append(Rule(party, action, float(lead)))
        return tuple(out)

    def geometry(self, prop: str, raw: Any, allowed: Sequence[str]) -> Geometry:
        """The :class:`Geometry` of the GeoJSON geometry object ``raw``, of an allowed type."""
        if not isinstance(raw, dict) or raw.get("type") not in allowed:
            if prop == "geometry" and (not isinstance(raw, dict) or "type" not in raw):
                self.fail(prop, "missing or not a GeoJSON geometry")
            got = raw.get("type") if isinstance(raw, dict) else raw
            self.fail(prop, f"must be a {' or '.join(allowed)} geometry, got {got!r}")
        try:
            return Geometry.from_geojson(raw)
        except InvalidInput as exc:
            self.fail(prop, str(exc))

    def point(self) -> tuple[float, float]:
        """(lat, lon) of a Point geometry."""
        lon, lat = self.geometry("geometry", self.raw_geometry, ["Point"]).coordinates
        return lat, lon


_LINES = ("LineString", "MultiLineString")


def _zone(f: _Feature) -> Zone:
    geometry = f.geometry("geometry", f.raw_geometry, [*AREA_TYPES, "Point", *_LINES])
    is_line = geometry.type in _LINES
    within = None
    if is_line and f.props.get("within") is not None:
        within = f.geometry("within", f.props["within"], AREA_TYPES)
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
        radius_m=f.optional_number("radius_m") if geometry.type == "Point" else None,
        side=f.optional_text("side") if is_line else None,
        within=within,
        alt_min_m=a0,
        alt_max_m=a1,
        valid_from_s=v0,
        valid_to_s=v1,
        where=f.where,
    )
    zone_area(zone)
    return zone


def _position(f: _Feature, kind: str) -> Position:
    lat, lon = f.point()
    v0, v1 = f.window("valid_from", "valid_to", required=False)
    return Position(
        id=f.text("id"),
        party=f.text("party"),
        kind=kind,
        lat_deg=lat,
        lon_deg=lon,
        radius_m=f.number("radius_m", minimum=0.0),
        name=f.name(""),
        valid_from_s=v0,
        valid_to_s=v1,
        where=f.where,
    )


def _strike(f: _Feature) -> Strike:
    lat, lon = f.point()
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
    raw = f.raw_geometry
    if not isinstance(raw, dict) or raw.get("type") not in (*AREA_TYPES, "Point"):
        f.fail("geometry", "a volume is a Polygon, MultiPolygon or Point with radius_m")
    geometry = f.geometry("geometry", raw, [*AREA_TYPES, "Point"])
    t0, t1 = f.window("start", "end", required=True)
    a0, a1 = f.band()
    volume = Volume(
        id=vid,
        party=party,
        geometry=geometry,
        start_s=t0,
        end_s=t1,
        radius_m=f.optional_number("radius_m") if geometry.type == "Point" else None,
        alt_min_m=a0,
        alt_max_m=a1,
        where=f.where,
    )
    volume_area(volume)
    return volume


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
    >>> fs.zones[0].id, fs.zones[0].geometry.type, fs.zones[0].radius_m
    ('tanf', 'Point', 55000.0)
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
    elif isinstance(record, Country):
        geometry = record.geometry.to_geojson()
        props = {"id": record.id, "name": record.name}
    else:
        raise InvalidInput(f"not a zone, position, intent or country: {record!r}")
    return {"type": "Feature", "geometry": geometry, "properties": props}


def collection_of(records: Iterable[Record]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of records (:func:`feature_of` of each, in order)."""
    return {"type": "FeatureCollection", "features": [feature_of(r) for r in records]}
