"""EUROCAE ED-318 (a GeoJSON profile) <-> the project's GeoJSON zones.

Each Feature's ``properties`` are a ``UASZone`` (``identifier``, ``country``, ``type``,
``variant``, ``zoneAuthority``, ...); its geometry is a GeoJSON geometry with a vertical
``layer`` (``upper``, ``lower``, their references and ``uom``), a ``Point`` with an
``extent`` ``{"subType": "Circle", "radius": metres}``, or a ``GeometryCollection`` of
such. :mod:`.mapping` says how each becomes a zone. The data set's ``metadata``
``validFrom`` / ``validTo``, when given, bound every zone's validity.
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

_AREAS = ("Polygon", "MultiPolygon")


def _volume(g: dict[str, Any], where: Where, field: str) -> Volume:
    layer = g["layer"]
    uom = layer.get("uom", "m")
    band = Band(
        mapping.limit_m(
            layer["lower"], layer["lowerReference"], uom, where, f"{field}.layer.lower",
            upper=False,
        ),
        mapping.limit_m(
            layer["upper"], layer["upperReference"], uom, where, f"{field}.layer.upper",
            upper=True,
        ),
    )  # fmt: skip
    if band.lo > band.hi:
        where.fail(f"{field}.layer.upper", "is below the lower limit")
    kind = g["type"]
    if kind == "Point" and "extent" in g:
        radius = mapping.length_m(g["extent"]["radius"], "m", where, f"{field}.extent.radius")
        return Volume({"type": "Point", "coordinates": g["coordinates"]}, radius, band, field)
    if kind in _AREAS:
        return Volume({"type": kind, "coordinates": g["coordinates"]}, None, band, field)
    where.fail(
        f"{field}.type",
        f"a {kind} has no area: a zone is a Polygon, a MultiPolygon or a Point with a "
        "Circle extent",
    )


def _volumes(g: dict[str, Any], where: Where) -> list[Volume]:
    if g["type"] == "GeometryCollection":
        return [
            _volume(m, where, f"geometry.geometries[{k}]") for k, m in enumerate(g["geometries"])
        ]
    return [_volume(g, where, "geometry")]


def _text(texts: Any) -> str | None:
    """The first text of a list of ``TextShortType``."""
    if not texts:
        return None
    text = texts[0].get("text") if isinstance(texts[0], dict) else None
    return text if isinstance(text, str) else None


def _dataset_window(doc: dict[str, Any], source: str) -> tuple[float, float]:
    meta = doc.get("metadata") or {}
    where = Where(source, None)
    lo, hi = meta.get("validFrom"), meta.get("validTo")
    t0 = -math.inf if lo is None else mapping.time_of(lo, where, "metadata.validFrom")
    t1 = math.inf if hi is None else mapping.time_of(hi, where, "metadata.validTo")
    return t0, t1


def features_of(doc: Any, source: str, party: str) -> list[dict[str, Any]]:
    """The zones of an ED-318 FeatureCollection as GeoJSON zone Features, owned by
    ``party``; NO_RESTRICTION zones restrict nobody and give none. USPACE zones (U-space
    airspace, whose rules are the U-space regulation's) are refused. Validates first."""
    validate(doc, "ed318", source)
    d0, d1 = _dataset_window(doc, source)
    out: list[dict[str, Any]] = []
    for i, f in enumerate(doc["features"]):
        z = f["properties"]
        where = Where(source, i, z["identifier"])
        if z["type"] == "USPACE":
            where.fail(
                "properties.type",
                "a USPACE zone cannot be held: its rules are the U-space regulation's, "
                "not one of forbid, notify or advisory",
            )
        action = mapping.action_of(z["type"])
        volumes = _volumes(f["geometry"], where)
        lo, hi = mapping.window_of(
            z.get("limitedApplicability"), where, "properties.limitedApplicability",
            permanent=False,
        )  # fmt: skip
        lo, hi = max(lo, d0), min(hi, d1)
        if lo > hi:
            where.fail(
                "properties.limitedApplicability",
                "ends before the data set's metadata.validFrom or starts after its validTo",
            )
        if action is None:
            continue
        out.append(
            mapping.zone_feature(
                identifier=z["identifier"],
                name=_text(z.get("name")),
                action=action,
                volume=mapping.join_volumes(volumes, where),
                window=(lo, hi),
                party=party,
                country=z["country"],
                fmt="ED-318",
            )
        )
    return out


def _zone(zone: Zone, index: int, country: str, lang: str) -> dict[str, Any]:
    where = Where("export", index, zone.id)
    mapping.check_identifier(zone, where, "ED-318")
    restriction = mapping.restriction_of(zone, where, "REQ_AUTHORIZATION")
    g = zone.geometry.to_geojson()
    if g["type"] not in ("Point", *_AREAS):
        where.fail("geometry", "a side-of-a-line zone cannot be written: ED zones are areas")
    g["layer"] = {
        "upper": mapping.edge_of(zone.alt_max_m),
        "upperReference": "AMSL",
        "lower": mapping.edge_of(zone.alt_min_m),
        "lowerReference": "AMSL",
        "uom": "m",
    }
    if g["type"] == "Point":
        g["extent"] = {"subType": "Circle", "radius": zone.radius_m}
    purpose = "AUTHORIZATION" if restriction == "REQ_AUTHORIZATION" else "INFORMATION"
    props: dict[str, Any] = {
        "identifier": zone.id,
        "country": country,
        "name": [{"text": zone.name, "lang": lang}],
        "type": restriction,
        "variant": "COMMON",
        "zoneAuthority": [
            {"purpose": purpose, "name": [{"text": p, "lang": lang}]} for p in zone.parties
        ],
    }
    window = mapping.window_text(zone.valid_from_s, zone.valid_to_s)
    if window:
        props["limitedApplicability"] = [window]
    return {"type": "Feature", "geometry": g, "properties": props}


def document_of(
    zones: Sequence[Zone], countries: Sequence[str], title: str, lang: str = "en-GB"
) -> dict[str, Any]:
    """An ED-318 FeatureCollection of ``zones`` (``countries[i]`` the ISO 3166-1 alpha-3
    code of ``zones[i]``; ``lang`` the language of the names, as ``en-GB``) that
    :func:`features_of` reads back as the same zones."""
    doc = {
        "type": "FeatureCollection",
        "name": title,
        "metadata": {},
        "features": [
            _zone(z, i, c, lang) for i, (z, c) in enumerate(zip(zones, countries, strict=True))
        ],
    }
    validate(doc, "ed318", "the written document")
    return doc
