"""Readback: what a party answering ``wilco`` understood, against what was declared.

An answer ``wilco`` to an alert about a strike, a zone or a position may carry
``understood``: a GeoJSON Point (the aim point or place as the party will act on it) or
Polygon (an area). :func:`read_back` measures how far it is from what was declared — the
Hausdorff distance between the two shapes, in metres, in the azimuthal equidistant frame
centred on the declared shape (great-circle distances from its centre; between two
points, exactly their great-circle distance) — and calls it a mismatch beyond the
operator's ``readback_mismatch_m`` (500 m by default).

What was declared, by the alert's kind:

=====================  =============================================================
``strike-proximity``   the strike's aim point (the alert's place)
``zone-entry``         the zone's area (a circle for a Point zone with ``radius_m``)
``declaration``        the declared strike's aim point, position's point or zone's
                       area (``feature_kind`` strike, forces, protected or zone)
=====================  =============================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import shapely

from ..bounds import MOVEMENT_MAX_VERTICES
from ..detect.areas import lonlat_shape, zone_area
from ..detect.frames import Frames, project_geometries
from ..errors import InvalidInput
from ..features import count_vertices, parse_features
from ..model import Geometry, shown
from .config import ServiceConfig
from .hotline import LiveAlert

__all__ = ["READBACK_KINDS", "answer_readback", "mismatch_event", "read_back"]

READBACK_KINDS = ("strike-proximity", "zone-entry", "declaration")
"""Alert kinds an answer may read back (a declaration of the kinds below)."""
_DECLARED = ("strike", "forces", "protected", "zone")
MAX_VERTICES = MOVEMENT_MAX_VERTICES
"""Most vertices of an ``understood`` polygon."""


def _understood(raw: Any) -> Geometry:
    if not isinstance(raw, Mapping) or raw.get("type") not in ("Point", "Polygon"):
        got = raw.get("type") if isinstance(raw, Mapping) else raw
        raise InvalidInput(f"understood: a GeoJSON Point or Polygon, got {shown(got)}")
    if count_vertices(dict(raw)) > MAX_VERTICES:
        raise InvalidInput(f"understood: at most {MAX_VERTICES} vertices")
    try:
        return Geometry.from_geojson(raw)
    except InvalidInput as exc:
        raise InvalidInput(f"understood: {exc}") from None


def _declared(
    alert: LiveAlert, zone_feature: Callable[[str], Mapping[str, Any] | None]
) -> tuple[Frames, Any]:
    """The declared shape in a frame centred on it (metres)."""
    feature: Mapping[str, Any] | None = None
    if alert.kind == "strike-proximity":
        return Frames([alert.lat_deg], [alert.lon_deg]), shapely.Point(0.0, 0.0)
    if alert.kind == "zone-entry":
        feature = zone_feature(str(alert.subjects[1]))
    elif alert.kind == "declaration" and alert.details.get("feature_kind") in _DECLARED:
        feature = alert.details.get("feature")
    else:
        what = alert.details.get("feature_kind", alert.kind)
        raise InvalidInput(
            f"understood: only for an alert about a strike, a zone or a position, not {what}"
        )
    if feature is None:
        raise InvalidInput(f"understood: zone {alert.subjects[1]!r} is no longer declared")
    fs = parse_features(dict(feature), "declared")
    if fs.zones:
        area = zone_area(fs.zones[0])
        return Frames([area.lat_deg], [area.lon_deg]), area.geom
    point = (fs.positions or fs.strikes)[0]
    return Frames([point.lat_deg], [point.lon_deg]), shapely.Point(0.0, 0.0)


def read_back(
    alert: LiveAlert,
    understood: Any,
    *,
    zone_feature: Callable[[str], Mapping[str, Any] | None],
    mismatch_m: float,
) -> dict[str, Any]:
    """``{"distance_m", "mismatch"}`` of ``understood`` against what ``alert`` declared.

    Raises :class:`InvalidInput` (400) naming ``understood`` when it is not a Point or a
    valid Polygon, or the alert is not about a strike, a zone or a position.
    """
    return _measure(alert, _understood(understood), zone_feature, mismatch_m)


def _measure(
    alert: LiveAlert,
    geometry: Geometry,
    zone_feature: Callable[[str], Mapping[str, Any] | None],
    mismatch_m: float,
) -> dict[str, Any]:
    frame, declared = _declared(alert, zone_feature)
    shape = project_geometries(np.array([lonlat_shape(geometry)], dtype=object), frame)[0]
    if geometry.type == "Polygon" and not (shapely.is_valid(shape) and shapely.area(shape) > 0):
        raise InvalidInput("understood: not a valid polygon with an area")
    distance = float(shapely.hausdorff_distance(declared, shape))
    return {"distance_m": distance, "mismatch": distance > mismatch_m}


def answer_readback(
    alert: LiveAlert, response: Any, understood: Any, picture: Any, config: ServiceConfig
) -> dict[str, Any]:
    """What an answer adds to its ack and ledger entry: ``{"understood": the geometry,
    "readback": {"distance_m", "mismatch"}}``; ``picture`` gives the zones as they stand
    (:class:`~deconflict.service.picture.LivePicture`)."""
    if response != "wilco":
        raise InvalidInput("understood: only with the response 'wilco'")

    def zone_feature(zone_id: str) -> Mapping[str, Any] | None:
        known = picture.zone_owner(zone_id) is not None
        return picture.zone_feature(zone_id) if known else None

    geometry = _understood(understood)
    measured = _measure(alert, geometry, zone_feature, config.readback_mismatch_m)
    # the checked geometry alone: nothing a party put beside it reaches the record
    return {"understood": geometry.to_geojson(), "readback": measured}


def mismatch_event(
    alert: LiveAlert, party: str, officer: str | None, readback: Mapping[str, Any]
) -> dict[str, Any]:
    """The stream event telling every party of ``alert`` that ``party`` (``officer``)
    read back something else than was declared."""
    return {"type": "readback", "alert": alert.id, "party": party, "officer": officer,
            **readback}  # fmt: skip
