"""GeoJSON documents -> records: :func:`parse_features`, :func:`parse_borders` and the
file readers (the format is in :mod:`deconflict.features`)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..bounds import (
    MOVEMENT_BOUNDS,
)
from ..detect.areas import country_shape, volume_area, zone_area
from ..errors import InvalidInput
from ..model import (
    AREA_TYPES,
    POSITION_KINDS,
    Country,
    Position,
    Strike,
    Volume,
    Zone,
    shown,
)
from ..model.checks import check_unique_ids
from ..movement import Movement
from ..zoneformats import DEFAULT_IMPORTER, as_geojson
from .props import _B, _OWN, _Feature

Record = Zone | Position | Strike | Volume | Movement | Country


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
            check_unique_ids(group)


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


def _circle(
    f: _Feature, own: str, start: str, end: str, *, required: bool
) -> tuple[dict[str, Any], float, float]:
    """What a position and a strike share: their properties checked against ``own``'s,
    the ``id``, ``party``, point and ``radius_m`` (as record fields), and the window from
    ``start`` to ``end``, in the order they are checked."""
    f.others(f.props, _OWN[own])
    lat, lon = f.point()
    t0, t1 = f.window(start, end, required=required)
    fields = {
        "id": f.text("id"),
        "party": f.text("party"),
        "lat_deg": lat,
        "lon_deg": lon,
        "radius_m": f.number("radius_m", bound=_B["radius_m"]),
        "where": f.where,
    }
    return fields, t0, t1


def _position(f: _Feature, kind: str) -> Position:
    fields, v0, v1 = _circle(f, "position", "valid_from", "valid_to", required=False)
    return Position(**fields, kind=kind, name=f.name(""), valid_from_s=v0, valid_to_s=v1)


def _strike(f: _Feature) -> Strike:
    fields, t0, t1 = _circle(f, "strike", "start", "end", required=True)
    margin = f.optional_number("margin_m", _B["margin_m"])
    return Strike(**fields, start_s=t0, end_s=t1, margin_m=margin)


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
