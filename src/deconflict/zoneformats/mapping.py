"""What ED-269 and ED-318 zones mean in the project's terms, both ways (one place).

Restrictions become rules for every party (``"*"``), vertical limits become the altitude
band in metres, time applicability the validity window, and the volumes of a zone its
geometry. What the project's zones cannot hold is refused by :class:`Where.fail`, naming
the document, the zone and the field; nothing is dropped without a word.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from ..bounds import DECLARATION_BOUNDS, TIME_WINDOW
from ..errors import InvalidInput
from ..model import Zone, as_real, shown
from ..timefmt import format_time, parse_time

__all__ = [
    "FT_M",
    "NOTIFY_LEAD_S",
    "Band",
    "Volume",
    "Where",
    "action_of",
    "join_volumes",
    "limit_m",
    "restriction_of",
    "time_of",
    "window_of",
]

FT_M = 0.3048
"""Metres in a foot (international foot)."""

NOTIFY_LEAD_S = 600.0
"""The notice, seconds, of a zone that requires an authorisation."""

_ALT = DECLARATION_BOUNDS["alt_m"]
_TIME = DECLARATION_BOUNDS["time_s"]

_ACTIONS = {
    "PROHIBITED": "forbid",
    "REQ_AUTHORISATION": "notify",
    "REQ_AUTHORIZATION": "notify",
    "CONDITIONAL": "advisory",
    "NO_RESTRICTION": None,
}


@dataclass(frozen=True)
class Where:
    """One zone of a document being read or written, for messages."""

    source: str
    index: int | None
    """The zone's index in the document; ``None`` for the document itself."""
    identifier: str | None = None

    def fail(self, field: str | None, what: str) -> NoReturn:
        """Raise :class:`InvalidInput` as ``<source>: zone <i> (identifier 'X'): <field>: ...``."""
        zone = "" if self.index is None else f": zone {self.index}"
        ident = "" if self.identifier is None else f" (identifier {shown(self.identifier)})"
        at = f": {field}" if field else ""
        raise InvalidInput(f"{self.source}{zone}{ident}{at}: {what}")


def action_of(restriction: str) -> str | None:
    """The rule's action for an ED restriction (``None``: NO_RESTRICTION, no rule)."""
    return _ACTIONS[restriction]


def restriction_of(zone: Zone, where: Where, spelling: str) -> str:
    """The ED restriction of a zone's rules: one rule for ``"*"`` (``spelling`` is
    ED-269's ``REQ_AUTHORISATION`` or ED-318's ``REQ_AUTHORIZATION``)."""
    if len(zone.rules) != 1 or zone.rules[0].party != "*":
        named = sorted(r.party for r in zone.rules if r.party != "*")
        where.fail(
            "rules",
            f"rules for {', '.join(map(repr, named))} cannot be written: an ED zone's "
            "restriction applies to every UAS alike (one rule for '*')",
        )
    rule = zone.rules[0]
    if rule.action == "notify" and rule.lead_s != NOTIFY_LEAD_S:
        where.fail(
            "rules[0].lead_s",
            f"a notice of {rule.lead_s:g} s cannot be written: an ED zone that needs an "
            f"authorisation is read as {NOTIFY_LEAD_S:g} s",
        )
    return {"forbid": "PROHIBITED", "notify": spelling, "advisory": "CONDITIONAL"}[rule.action]


@dataclass(frozen=True)
class Band:
    """An altitude band, metres (``±inf`` open)."""

    lo: float
    hi: float


def limit_m(value: Any, reference: str, uom: str, where: Where, field: str, upper: bool) -> float:
    """One vertical limit in metres AMSL; ``None`` (no limit) is open, and so is a limit
    at the edge of the altitude bound (-1,000 m below, 100,000 m above).

    AGL needs a terrain model and WGS84 (ellipsoidal) heights a geoid model, neither of
    which the project has: both are refused."""
    if value is None:
        return math.inf if upper else -math.inf
    if reference == "AGL":
        where.fail(
            field,
            "a limit above ground level (AGL) cannot be used: deconflict has no terrain "
            "model; give the limit AMSL",
        )
    if reference == "WGS84":
        where.fail(
            field,
            "a limit above the WGS84 ellipsoid cannot be used: deconflict has no geoid "
            "model; give the limit AMSL",
        )
    x = as_real(value)
    if isinstance(x, str):
        where.fail(field, x)
    if not math.isfinite(x):
        where.fail(field, f"must be finite, got {x!r}")
    metres = x * FT_M if uom.lower() == "ft" else x + 0.0
    if not _ALT.lo <= metres <= _ALT.hi:
        where.fail(field, f"{metres:g} m is outside {_ALT}")
    if upper and metres == _ALT.hi:
        return math.inf
    if not upper and metres == _ALT.lo:
        return -math.inf
    return metres


def length_m(value: Any, uom: str, where: Where, field: str) -> float:
    """A horizontal distance (a circle's radius) in metres; its bound is checked with the
    zone's (``radius_m``)."""
    x = as_real(value)
    if isinstance(x, str):
        where.fail(field, x)
    if not math.isfinite(x):
        where.fail(field, f"must be finite, got {x!r}")
    return x * FT_M if uom.lower() == "ft" else x + 0.0


def edge_of(alt_m: float) -> float:
    """An altitude to write where a limit must be a number: an open bound at its edge."""
    if alt_m == -math.inf:
        return _ALT.lo
    if alt_m == math.inf:
        return _ALT.hi
    return alt_m


def time_of(value: Any, where: Where, field: str) -> float:
    """POSIX seconds of an ISO 8601 (RFC 3339) instant within the declarations' window."""
    if not isinstance(value, str):
        where.fail(field, f"must be a date and time, got {shown(value)}")
    try:
        t = parse_time(value)
    except (InvalidInput, OverflowError, OSError):
        where.fail(field, f"not an ISO 8601 date and time: {shown(value)}")
    if t not in _TIME:
        where.fail(field, f"{value} is outside {TIME_WINDOW}")
    return t


def window_of(
    periods: Sequence[dict[str, Any]] | None, where: Where, field: str, *, permanent: bool
) -> tuple[float, float]:
    """The validity window of a zone's time periods (ED-269 ``applicability``, ED-318
    ``limitedApplicability``): none is always; one period from ``startDateTime`` to
    ``endDateTime`` (either open when absent). A daily schedule, or several periods,
    are refused: a zone's validity is one window. ``permanent``: ED-269, whose periods
    say ``permanent`` YES or NO."""
    if not periods:
        return -math.inf, math.inf
    if len(periods) > 1:
        where.fail(
            field,
            f"{len(periods)} time periods cannot be held: a zone's validity is one window "
            "(publish each period as its own zone)",
        )
    p = periods[0]
    at = f"{field}[0]"
    if p.get("schedule"):
        where.fail(
            f"{at}.schedule",
            "a daily schedule cannot be held: a zone's validity is one window, from "
            "startDateTime to endDateTime",
        )
    start, end = p.get("startDateTime"), p.get("endDateTime")
    if permanent and p.get("permanent") == "NO" and start is None and end is None:
        where.fail(at, "not permanent, yet neither startDateTime nor endDateTime is given")
    lo = -math.inf if start is None else time_of(start, where, f"{at}.startDateTime")
    hi = math.inf if end is None else time_of(end, where, f"{at}.endDateTime")
    if lo > hi:
        where.fail(f"{at}.endDateTime", f"{end} is before startDateTime {start}")
    return lo, hi


def window_text(lo: float, hi: float) -> dict[str, str]:
    """``startDateTime`` / ``endDateTime`` of a window, the open bounds left out."""
    out: dict[str, str] = {}
    for key, t in (("startDateTime", lo), ("endDateTime", hi)):
        text = format_time(t)
        if text is not None:
            out[key] = text
    return out


@dataclass(frozen=True)
class Volume:
    """One volume of a zone as read: a GeoJSON geometry (a Polygon or MultiPolygon, or a
    Point with ``radius_m``), its band, and the field it came from."""

    geometry: dict[str, Any]
    radius_m: float | None
    band: Band
    field: str


def join_volumes(volumes: Sequence[Volume], where: Where) -> Volume:
    """The one geometry and band of a zone's volumes: one volume as it is; polygons that
    share one band as a MultiPolygon. Volumes with different bands (an inverted wedding
    cake) or a circle among several volumes are refused: a zone has one band, and a
    MultiPolygon holds no circle."""
    first = volumes[0]
    if len(volumes) == 1:
        return first
    for v in volumes[1:]:
        if v.band != first.band:
            where.fail(
                v.field,
                "volumes with different vertical limits cannot be one zone: it has one "
                "altitude band (publish each volume as its own zone)",
            )
    for v in volumes:
        if v.radius_m is not None:
            where.fail(
                v.field,
                "a circle among several volumes cannot be one zone: its shapes must all "
                "be polygons (publish the circle as its own zone)",
            )
    polygons: list[Any] = []
    for v in volumes:
        c = v.geometry["coordinates"]
        polygons.extend([c] if v.geometry["type"] == "Polygon" else c)
    return Volume({"type": "MultiPolygon", "coordinates": polygons}, None, first.band, first.field)


def zone_feature(
    *,
    identifier: str,
    name: str | None,
    action: str,
    volume: Volume,
    window: tuple[float, float],
    party: str,
    country: str,
    fmt: str,
) -> dict[str, Any]:
    """The project's GeoJSON zone of one ED zone: the importing party's claim, one rule
    for every party, the band in metres, the validity window; ``country`` and the format
    it came from kept as free text (``imported_from`` keeps it a claim in the service)."""
    props: dict[str, Any] = {"id": identifier}
    if name is not None and name.strip():
        props["name"] = name
    lead = NOTIFY_LEAD_S if action == "notify" else 0.0
    props.update(
        status="claimed",
        parties=[party],
        rules=[{"party": "*", "action": action, "lead_s": lead}],
    )
    if volume.radius_m is not None:
        props["radius_m"] = volume.radius_m
    if math.isfinite(volume.band.lo):
        props["alt_min_m"] = volume.band.lo
    if math.isfinite(volume.band.hi):
        props["alt_max_m"] = volume.band.hi
    for key, t in zip(("valid_from", "valid_to"), window, strict=True):
        text = format_time(t)
        if text is not None:
            props[key] = text
    props["country"] = country
    props["imported_from"] = fmt
    return {"type": "Feature", "geometry": volume.geometry, "properties": props}


def check_identifier(zone: Zone, where: Where, fmt: str) -> None:
    """An ED identifier is 1 to 7 letters, digits, '_' or '-'."""
    ok = 1 <= len(zone.id) <= 7 and all(c.isascii() and (c.isalnum() or c in "_-") for c in zone.id)
    if not ok:
        where.fail(
            "id",
            f"{shown(zone.id)} cannot be an {fmt} identifier (1 to 7 letters, digits, '_' or '-')",
        )


def writable_shapes(zone: Zone, where: Where) -> list[dict[str, Any]]:
    """The zone's shapes as GeoJSON geometries: its Polygon, each polygon of its
    MultiPolygon, or its circle as a Point (with ``zone.radius_m``). A side-of-a-line
    zone has no ED form."""
    g = zone.geometry.to_geojson()
    if g["type"] == "MultiPolygon":
        return [{"type": "Polygon", "coordinates": c} for c in g["coordinates"]]
    if g["type"] in ("Polygon", "Point"):
        return [g]
    where.fail("geometry", "a side-of-a-line zone cannot be written: ED zones are areas")
