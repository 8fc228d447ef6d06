"""Builders of GeoJSON features and tracks for the zone, intent, strike and border tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trackkit import tracks

__all__ = ["box", "collection", "feature", "point", "polygon", "tracks", "zone"]


def feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def polygon(*rings: Sequence[Sequence[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[*map(list, r), list(r[0])] for r in rings]}


def box(lon0: float, lat0: float, lon1: float, lat1: float) -> list[list[float]]:
    return [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1]]


def zone(geometry: dict[str, Any], zid: str = "z", **props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": zid,
        "status": "claimed",
        "parties": ["red"],
        "rules": [{"party": "*", "action": "forbid"}],
    }
    base.update(props)
    return feature(geometry, **base)
