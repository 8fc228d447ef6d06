"""Builders of GeoJSON features and tracks for the zone, intent, strike and border tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from deconflict.model import Tracks


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


def tracks(rows: Sequence[Sequence[float]], parties: Sequence[str] | None = None) -> Tracks:
    """Tracks from (lat, lon, alt_m, gs_mps, track_deg, vs_mps) rows; ids t0, t1, ..."""
    arr = np.asarray(rows, dtype=float).reshape(-1, 6)
    n = arr.shape[0]
    return Tracks(
        id=[f"t{k}" for k in range(n)],
        party=list(parties) if parties is not None else ["blue"] * n,
        lat=arr[:, 0],
        lon=arr[:, 1],
        alt_m=arr[:, 2],
        gs_mps=arr[:, 3],
        track_deg=arr[:, 4],
        vs_mps=arr[:, 5],
    )
