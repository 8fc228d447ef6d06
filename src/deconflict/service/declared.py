"""Declarations as accepted: positions, intents and zones from one party, validated, and
the consent of the parties a zone names.

:func:`parse_declarations` takes a request's GeoJSON whole or refuses it naming what was
wrong; :func:`with_consent` is a zone after one more of its parties consented. The
picture (:mod:`~deconflict.service.picture`) holds what these accept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely

from ..errors import Conflict, Forbidden, InvalidInput
from .config import ServiceConfig

__all__ = ["KINDS_BY_ENDPOINT", "Declared", "anchor", "parse_declarations", "with_consent"]

KINDS_BY_ENDPOINT = {
    "positions": ("forces", "protected"),
    "intents": ("strike", "volume", "movement"),
    "zones": ("zone",),
}
"""The feature kinds each declaration endpoint takes."""


@dataclass
class Declared:
    """A position, intent or zone as declared (the GeoJSON kept as accepted)."""

    party: str
    id: str
    kind: str
    """``position``, ``strike``, ``volume``, ``movement`` or ``zone``."""
    feature_kind: str
    """``forces``, ``protected``, ``strike``, ``volume``, ``movement`` or ``zone``."""
    feature: dict[str, Any]
    consents: list[str]
    created_at: float
    lat_deg: float
    lon_deg: float
    starts_s: float | None
    short_notice: dict[str, float] | None = None
    """For a movement declared with less than the operator's notice:
    ``{"notice_s": given, "required_s": the operator's}``; else ``None``."""
    parsed: Any = None
    """Its records (a core FeatureSet), parsed once when first needed."""


def anchor(feature: Mapping[str, Any]) -> tuple[float, float]:
    """Where a declaration is shown: its point, or a point inside its area (lat, lon)."""
    geom = shapely.geometry.shape(feature["geometry"])
    pt = geom if geom.geom_type == "Point" else geom.representative_point()
    return float(pt.y), float(pt.x)


def parse_declarations(
    doc: Any, party: str, *, expect: str, now: float, config: ServiceConfig
) -> list[Declared]:
    """Validate GeoJSON positions, intents or zones from ``party``; all or nothing.

    Besides the format's own bounds (:mod:`deconflict.bounds`), the operator's: at most
    1,000 features a request, ``max_zone_vertices`` vertices a zone and
    ``max_intent_vertices`` a volume (counted before anything is built from them), and
    ``max_zone_area_m2`` a zone. The per-party cap is the picture's
    (:meth:`~deconflict.service.picture.LivePicture.check_room`).
    """
    from ..bounds import MOVEMENT_MAX_VERTICES
    from ..detect.areas import declared_area_m2
    from ..features import count_vertices, parse_features
    from ..model import shown
    from ..zoneformats import as_geojson

    allowed = KINDS_BY_ENDPOINT[expect]
    doc = as_geojson(doc, "body", party)  # an ED-269 or ED-318 document: its zones
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        raws = doc.get("features")
        if not isinstance(raws, list):
            raise InvalidInput("body: 'features' must be a list")
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        raws = [doc]
    else:
        raise InvalidInput("body: a GeoJSON Feature or FeatureCollection")
    if not raws:
        raise InvalidInput("body: no features")
    if len(raws) > 1000:
        raise InvalidInput(f"body: {len(raws)} features; at most 1000 per request")
    out: list[Declared] = []
    seen: set[str] = set()
    # first what is cheap to see, over every feature: kinds and vertices, before
    # anything is copied or built from them
    for i, raw in enumerate(raws):
        where = f"features[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
            raise InvalidInput(f"{where}: a Feature with a 'properties' object")
        kind = raw["properties"].get("kind", "zone" if expect == "zones" else None)
        if kind not in allowed:
            raise InvalidInput(
                f"{where}.properties.kind: {shown(kind)} does not belong in /v1/{expect} "
                f"(expected {' or '.join(allowed)})"
            )
        if kind in ("zone", "volume", "movement"):
            top = config.max_zone_vertices
            if kind == "volume":
                top = config.max_intent_vertices
            if kind == "movement":
                top = MOVEMENT_MAX_VERTICES
            within = raw["properties"].get("within")
            n = count_vertices(raw.get("geometry")) + count_vertices(within)
            if n > top:
                raise InvalidInput(
                    f"{where}.geometry: {n} vertices; at most {top} per {kind} "
                    f"(the service's bound)"
                )
    for i, raw in enumerate(raws):
        where = f"features[{i}]"
        feature = json.loads(json.dumps(raw))
        props = feature["properties"]
        kind = props.get("kind", "zone" if expect == "zones" else None)
        if "party" in props and props["party"] != party:
            raise InvalidInput(
                f"{where}.properties.party: {shown(props['party'])} is not the caller "
                f"({party!r}); a party declares only its own"
            )
        consents: list[str] = []
        if kind == "zone":
            named = props.get("parties")
            given = props.get("consents") or []
            for key, names in (("parties", named), ("consents", given)):
                if names is not None and (
                    not isinstance(names, list) or not all(isinstance(n, str) for n in names)
                ):
                    raise InvalidInput(f"{where}.properties.{key}: a list of party names")
            others = [p for p in given if p != party]
            if others:
                raise InvalidInput(
                    f"{where}.properties.consents: {others[0]!r} is not the caller; "
                    "each party consents for itself (POST /v1/zones/{id}/consent)"
                )
            # a zone imported from ED-269 or ED-318 is the importer's claim, not agreed
            if isinstance(named, list) and party in named and "imported_from" not in props:
                consents = [party]
            status = (
                "agreed" if isinstance(named, list) and set(named) <= set(consents) else "claimed"
            )
            if props.get("status") == "agreed" and status != "agreed":
                raise InvalidInput(
                    f"{where}.properties.status: 'agreed' needs the consent of every "
                    "named party; declare it 'claimed' and let them consent"
                )
            props["status"] = status
            props["consents"] = consents
            props["owner"] = party
        else:
            props["party"] = party
        parsed = parse_features(feature, where)
        rec = (
            parsed.zones or parsed.positions or parsed.strikes or parsed.volumes or parsed.movements
        )[0]
        if parsed.zones:
            area = declared_area_m2(parsed.zones[0])
            top_m2 = config.max_zone_area_m2
            if area > top_m2:
                at = "properties.within" if parsed.zones[0].within is not None else "geometry"
                raise InvalidInput(
                    f"{where}.{at}: an area of {area / 1e6:,.0f} km² on the WGS84 "
                    f"ellipsoid; at most {top_m2 / 1e6:,.0f} km² per zone (the "
                    "service's bound)"
                )
        if rec.id in seen:
            raise InvalidInput(f"{where}.properties.id: {rec.id!r} twice in the request")
        if not 1 <= len(rec.id) <= 64 or not rec.id.isprintable():
            raise InvalidInput(f"{where}.properties.id: 1 to 64 printable characters")
        seen.add(rec.id)
        lat, lon = anchor(feature)
        starts = getattr(rec, "start_s", None)
        short = None
        given = parsed.movements[0].start_s - now if parsed.movements else math.inf
        if given < config.movement_notice_s:
            short = {
                "notice_s": max(given, 0.0),
                "required_s": config.movement_notice_s,
            }
        out.append(
            Declared(
                party=party,
                id=rec.id,
                kind="position" if kind in ("forces", "protected") else str(kind),
                feature_kind=str(kind),
                feature=feature,
                consents=consents,
                created_at=now,
                lat_deg=lat,
                lon_deg=lon,
                starts_s=float(starts) if starts is not None else None,
                short_notice=short,
            )
        )
    return out


def with_consent(zone: Declared, party: str) -> tuple[dict[str, Any], list[str], str]:
    """``zone`` once ``party`` has consented: its feature, its consents and its status
    (``agreed`` when every named party has consented, else ``claimed``).

    Raises :class:`~deconflict.errors.Forbidden` if the zone does not name ``party``,
    :class:`~deconflict.errors.Conflict` if ``party`` has consented already."""
    named = list(zone.feature["properties"].get("parties") or [])
    if party not in named:
        raise Forbidden(f"zone {zone.id!r} does not name party {party!r}")
    if party in zone.consents:
        raise Conflict(f"party {party!r} has already consented to zone {zone.id!r}")
    consents = sorted({*zone.consents, party})
    status = "agreed" if set(named) <= set(consents) else "claimed"
    feature = json.loads(json.dumps(zone.feature))
    feature["properties"]["consents"] = consents
    feature["properties"]["status"] = status
    return feature, consents, status
