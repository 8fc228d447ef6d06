"""EUROCAE ED-269 (``{"features": [UASZoneVersion, ...]}``) <-> the project's GeoJSON zones.

Each ``UASZoneVersion`` becomes one zone (:mod:`.mapping` says how); its volumes
(``geometry``: a ``Polygon`` or a ``Circle`` horizontal projection, limits in ``M`` or
``FT``) become the zone's geometry and band. Coordinates are ``[lon, lat]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..model import Zone
from . import mapping
from .mapping import Band, Volume, Where
from .schemas import validate

__all__ = ["document_of", "features_of"]


def _volume(raw: dict[str, Any], where: Where, field: str) -> Volume:
    uom = raw["uomDimensions"]
    band = Band(
        mapping.limit_m(
            raw.get("lowerLimit"), raw["lowerVerticalReference"], uom, where,
            f"{field}.lowerLimit", upper=False,
        ),
        mapping.limit_m(
            raw.get("upperLimit"), raw["upperVerticalReference"], uom, where,
            f"{field}.upperLimit", upper=True,
        ),
    )  # fmt: skip
    if band.lo > band.hi:
        where.fail(f"{field}.upperLimit", "is below lowerLimit")
    shape = raw["horizontalProjection"]
    if shape["type"] == "Circle":
        radius = mapping.length_m(
            shape["radius"], uom, where, f"{field}.horizontalProjection.radius"
        )
        geometry = {"type": "Point", "coordinates": shape["center"]}
        return Volume(geometry, radius, band, field)
    return Volume({"type": "Polygon", "coordinates": shape["coordinates"]}, None, band, field)


def features_of(doc: Any, source: str, party: str) -> list[dict[str, Any]]:
    """The zones of an ED-269 document as GeoJSON zone Features, owned by ``party``;
    NO_RESTRICTION zones restrict nobody and give none. Validates ``doc`` first."""
    validate(doc, "ed269", source)
    out: list[dict[str, Any]] = []
    for i, z in enumerate(doc["features"]):
        where = Where(source, i, z["identifier"])
        action = mapping.action_of(z["restriction"])
        volumes = [_volume(v, where, f"geometry[{k}]") for k, v in enumerate(z["geometry"])]
        window = mapping.window_of(z["applicability"], where, "applicability", permanent=True)
        if action is None:
            continue
        out.append(
            mapping.zone_feature(
                identifier=z["identifier"],
                name=z.get("name"),
                action=action,
                volume=mapping.join_volumes(volumes, where),
                window=window,
                party=party,
                country=z["country"],
                fmt="ED-269",
            )
        )
    return out


def _in_ft(x: float) -> float:
    return x / mapping.FT_M


def _uom(zone: Zone, where: Where) -> str:
    """``M`` when the limits are whole metres, else ``FT`` when they are whole feet
    (read back to the same metres); ED-269's limits are integers."""
    limits = [x for x in (zone.alt_min_m, zone.alt_max_m) if math.isfinite(x)]
    if all(x == round(x) for x in limits):
        return "M"
    feet = [_in_ft(x) for x in limits]
    radius_ok = zone.radius_m is None or _in_ft(zone.radius_m) * mapping.FT_M == zone.radius_m
    whole_feet = all(
        f == round(f) and round(f) * mapping.FT_M == x for f, x in zip(feet, limits, strict=True)
    )
    if whole_feet and radius_ok:
        return "FT"
    where.fail(
        "alt_min_m" if limits[0] != round(limits[0]) else "alt_max_m",
        "cannot be written: ED-269 limits are whole metres or whole feet (ED-318's are not)",
    )


def _limit(alt_m: float, uom: str) -> int | None:
    if not math.isfinite(alt_m):
        return None
    return round(alt_m if uom == "M" else _in_ft(alt_m))


def _zone(zone: Zone, index: int, country: str) -> dict[str, Any]:
    where = Where("export", index, zone.id)
    mapping.check_identifier(zone, where, "ED-269")
    restriction = mapping.restriction_of(zone, where, "REQ_AUTHORISATION")
    shapes = mapping.writable_shapes(zone, where)
    uom = _uom(zone, where)
    lo, hi = _limit(zone.alt_min_m, uom), _limit(zone.alt_max_m, uom)
    volumes = []
    for shape in shapes:
        if shape["type"] == "Point":
            radius = zone.radius_m if uom == "M" else _in_ft(float(zone.radius_m or 0.0))
            projection = {"type": "Circle", "center": shape["coordinates"], "radius": radius}
        else:
            projection = {"type": "Polygon", "coordinates": shape["coordinates"]}
        volumes.append(
            {
                "uomDimensions": uom,
                "lowerLimit": lo,
                "lowerVerticalReference": "AMSL",
                "upperLimit": hi,
                "upperVerticalReference": "AMSL",
                "horizontalProjection": projection,
            }
        )
    window = mapping.window_text(zone.valid_from_s, zone.valid_to_s)
    period: dict[str, Any] = {"permanent": "NO" if window else "YES", **window}
    purpose = "AUTHORIZATION" if restriction == "REQ_AUTHORISATION" else "INFORMATION"
    return {
        "identifier": zone.id,
        "country": country,
        "name": zone.name,
        "type": "COMMON",
        "restriction": restriction,
        "applicability": [period],
        "zoneAuthority": [{"name": p, "purpose": purpose} for p in zone.parties],
        "geometry": volumes,
    }


def document_of(
    zones: Sequence[Zone], countries: Sequence[str], title: str, lang: str = "en-GB"
) -> dict[str, Any]:
    """An ED-269 document of ``zones`` (``countries[i]`` the ISO 3166-1 alpha-3 code of
    ``zones[i]``) that :func:`features_of` reads back as the same zones (ED-269's texts
    carry no language: ``lang`` is not written)."""
    doc = {
        "title": title,
        "features": [_zone(z, i, c) for i, (z, c) in enumerate(zip(zones, countries, strict=True))],
    }
    validate(doc, "ed269", "the written document")
    return doc
