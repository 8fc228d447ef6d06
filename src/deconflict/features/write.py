"""Records -> GeoJSON: :func:`feature_of` writes a record back as a Feature that
:func:`~deconflict.features.parse_features` reads as an equal record."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidInput
from ..model import (
    Country,
    Geometry,
    Position,
    Strike,
    Volume,
    Zone,
)
from ..movement import Movement
from ..timefmt import format_time
from .read import Record


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
