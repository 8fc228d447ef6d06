"""Cursor-on-Target out: the line's records as CoT events for a party's TAK devices.

Pure builders (no I/O) over the service's JSON objects:

=================  ===============  =================================================
record             CoT type         uid
=================  ===============  =================================================
own track          ``a-f-A``        the track id
other's aircraft   ``a-u-A``        ``ALERT.PARTY.TRACK`` (never friendly), the alert
                                    in ``remarks``
alert              ``b-m-p-s-m``    the alert id (a red spot marker at its place)
zone               ``u-d-f``        ``zone.ID`` (a polygon; ``zone.ID.K`` for the K-th
                   ``u-d-c-c``      polygon of a MultiPolygon), or a circle
declared position  ``u-d-c-c``      ``position.ID`` (a circle of its radius)
=================  ===============  =================================================

Every event has ``time``, ``start`` and ``stale`` (ISO 8601 UTC, milliseconds) and a
``point`` with ``hae``, ``ce`` and ``le``: a track's height is its ``alt_m`` sent as HAE
(the service keeps no other datum), shapes and alerts have ``hae`` 0 and unknown
(9999999) ``ce``/``le``. :func:`staled` makes an event stale now (its object is gone).
Speeds go out in m/s, courses in degrees true, as CoT has them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from .cot import UNKNOWN

__all__ = [
    "alert_event",
    "iso",
    "other_aircraft",
    "own_track",
    "position_shapes",
    "restamp",
    "serialize",
    "staled",
    "zone_shapes",
]

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
RED, ORANGE, BLUE, GREEN, GREY = -65536, -23296, -16776961, -16711936, -8355712
"""ARGB colours as CoT writes them (signed 32-bit)."""
_ACTION_COLOUR = {"forbid": RED, "notify": ORANGE, "advisory": BLUE}
MAX_REMARKS_CHARS = 1000


def iso(t: float) -> str:
    """Epoch seconds as CoT writes a time.

    >>> iso(0.25)
    '1970-01-01T00:00:00.250Z'
    """
    stamp = datetime.fromtimestamp(t, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def parse_time(text: Any, default: float) -> float:
    """An ISO 8601 time of the service as epoch seconds (``default`` when absent or bad)."""
    if isinstance(text, int | float) and math.isfinite(text):
        return float(text)
    if not isinstance(text, str):
        return default
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return default
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def _event(
    uid: str,
    cot_type: str,
    now: float,
    start: float,
    stale: float,
    lat: float,
    lon: float,
    hae: float = 0.0,
    ce: float = UNKNOWN,
    le: float = UNKNOWN,
    how: str = "m-g",
) -> tuple[Element, Element]:
    event = Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": cot_type,
            "how": how,
            "time": iso(now),
            "start": iso(min(start, now)),
            "stale": iso(stale),
        },
    )
    SubElement(
        event,
        "point",
        {
            "lat": f"{lat:.7f}",
            "lon": f"{lon:.7f}",
            "hae": f"{hae:.1f}",
            "ce": f"{ce:.1f}",
            "le": f"{le:.1f}",
        },
    )
    return event, SubElement(event, "detail")


def _motion(detail: Element, gs_mps: float, track_deg: float, vs_mps: float) -> None:
    slope = math.degrees(math.atan2(vs_mps, gs_mps)) if gs_mps or vs_mps else 0.0
    SubElement(
        detail,
        "track",
        {"speed": f"{gs_mps:.2f}", "course": f"{track_deg:.2f}", "slope": f"{slope:.2f}"},
    )


def _aircraft(
    uid: str,
    cot_type: str,
    now: float,
    start: float,
    stale: float,
    state: Mapping[str, Any],
    how: str = "m-g",
) -> tuple[Element, Element]:
    """An air atom (event and its detail) placed and moving as ``state`` (a track object
    of the service: ``lat``, ``lon`` in degrees, ``alt_m``, ``gs_mps``, ``track_deg``,
    ``vs_mps``) says; a missing number counts as 0."""
    event, detail = _event(
        uid,
        cot_type,
        now,
        start,
        stale,
        _num(state.get("lat")),
        _num(state.get("lon")),
        hae=_num(state.get("alt_m")),
        how=how,
    )
    _motion(
        detail,
        _num(state.get("gs_mps")),
        _num(state.get("track_deg")),
        _num(state.get("vs_mps")),
    )
    return event, detail


def _text(detail: Element, callsign: str, remarks: str) -> None:
    SubElement(detail, "contact", {"callsign": callsign[:64]})
    if remarks:
        SubElement(detail, "remarks").text = remarks[:MAX_REMARKS_CHARS]


def own_track(track: Mapping[str, Any], now: float, stale_s: float) -> Element:
    """One of the party's own tracks (``GET /v1/tracks``) as a friendly air atom."""
    tid = str(track["id"])
    fix = parse_time(track.get("time"), now)
    event, detail = _aircraft(tid, "a-f-A", now, fix, now + stale_s, track)
    _text(detail, tid, "")
    return event


def _summary(alert: Mapping[str, Any]) -> str:
    kind = str(alert.get("kind", "alert"))
    summary = str(alert.get("summary") or kind)
    return f"{summary} [alert {alert.get('id')}, {alert.get('state')}]"


def other_aircraft(
    alert: Mapping[str, Any], track_id: str, state: Mapping[str, Any], now: float, stale: float
) -> Element:
    """Another party's aircraft as an alert shows it (its state at the alert) as an
    unknown air atom: never friendly, whatever the party."""
    party = str(state.get("party", "?"))
    at = parse_time(alert.get("updated_at"), now)
    uid = f"{alert['id']}.{party}.{track_id}"
    event, detail = _aircraft(uid, "a-u-A", now, at, stale, state, how="m-r")
    _text(detail, f"{party} {track_id}", f"{_summary(alert)}; its state at {iso(at)}")
    return event


def alert_event(alert: Mapping[str, Any], now: float, stale: float) -> Element:
    """An alert as a red spot marker at its place, ``uid`` the alert id."""
    raised = parse_time(alert.get("raised_at"), now)
    event, detail = _event(
        str(alert["id"]),
        "b-m-p-s-m",
        now,
        raised,
        stale,
        _num(alert.get("lat")),
        _num(alert.get("lon")),
        how="h-g-i-g-o",
    )
    SubElement(detail, "color", {"argb": str(RED)})
    subjects = ", ".join(str(s) for s in alert.get("subjects") or ())[:200]
    _text(detail, f"{alert.get('kind', 'alert')}: {subjects}", _summary(alert))
    return event


def _ring_centre(ring: Sequence[Sequence[float]]) -> tuple[float, float]:
    lons = [float(p[0]) for p in ring]
    lats = [float(p[1]) for p in ring]
    return sum(lats) / len(lats), sum(lons) / len(lons)


def _colour(props: Mapping[str, Any]) -> int:
    actions = {r.get("action") for r in props.get("rules") or () if isinstance(r, Mapping)}
    for action in ("forbid", "notify", "advisory"):
        if action in actions:
            return _ACTION_COLOUR[action]
    return GREY


def _style(detail: Element, colour: int) -> None:
    SubElement(detail, "strokeColor", {"value": str(colour)})
    SubElement(detail, "strokeWeight", {"value": "3.0"})
    SubElement(detail, "fillColor", {"value": str((colour & 0x00FFFFFF) | 0x40000000)})
    SubElement(detail, "labels_on", {"value": "true"})


def _circle(
    uid: str, centre: Sequence[float], radius_m: float, now: float, stale: float
) -> tuple[Element, Element]:
    event, detail = _event(uid, "u-d-c-c", now, now, stale, float(centre[1]), float(centre[0]))
    shape = SubElement(detail, "shape")
    r = f"{radius_m:.1f}"
    SubElement(shape, "ellipse", {"major": r, "minor": r, "angle": "360"})
    return event, detail


def _polygon(
    uid: str, ring: Sequence[Sequence[float]], now: float, stale: float
) -> tuple[Element, Element]:
    lat, lon = _ring_centre(ring)
    event, detail = _event(uid, "u-d-f", now, now, stale, lat, lon)
    for p in ring:
        SubElement(detail, "link", {"point": f"{float(p[1]):.7f},{float(p[0]):.7f}"})
    return event, detail


def _shapes(
    prefix: str, feature: Mapping[str, Any], now: float, stale: float
) -> list[tuple[Element, Element]]:
    geom = feature.get("geometry") or {}
    props = feature.get("properties") or {}
    kind = geom.get("type")
    coords: Any = geom.get("coordinates")
    fid = str(props.get("id", feature.get("id", "?")))
    uid = f"{prefix}.{fid}"
    try:
        if kind == "Point" and isinstance(props.get("radius_m"), int | float):
            return [_circle(uid, coords, float(props["radius_m"]), now, stale)]
        if kind == "Polygon":
            return [_polygon(uid, coords[0], now, stale)]
        if kind == "MultiPolygon":
            return [_polygon(f"{uid}.{k}", p[0], now, stale) for k, p in enumerate(coords)]
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        pass  # not a shape this link draws
    return []


def zone_shapes(feature: Mapping[str, Any], now: float, stale: float) -> list[Element]:
    """A zone (a GeoJSON Feature of ``GET /v1/zones``) as drawing shapes: each polygon's
    outer ring as ``u-d-f``, a circle as ``u-d-c-c``; coloured by its strictest rule
    (forbid red, notify orange, advisory blue); other geometries give none."""
    props = feature.get("properties") or {}
    out = []
    for event, detail in _shapes("zone", feature, now, stale):
        _style(detail, _colour(props))
        name = str(props.get("name") or props.get("id", ""))
        status = props.get("status", "")
        rules = "; ".join(
            f"{r.get('party')}: {r.get('action')}"
            for r in props.get("rules") or ()
            if isinstance(r, Mapping)
        )
        _text(detail, name, f"zone {props.get('id')} ({status}); {rules}")
        out.append(event)
    return out


def position_shapes(feature: Mapping[str, Any], now: float, stale: float) -> list[Element]:
    """A declared position (``GET /v1/positions``) as a circle of its radius: protected
    sites green, forces blue."""
    props = feature.get("properties") or {}
    out = []
    for event, detail in _shapes("position", feature, now, stale):
        _style(detail, GREEN if props.get("kind") == "protected" else BLUE)
        _text(
            detail,
            str(props.get("name") or props.get("id", "")),
            f"{props.get('kind', 'position')} {props.get('id')}",
        )
        out.append(event)
    return out


def restamp(event: Element, now: float, stale: float) -> Element:
    """A copy of ``event`` sent again at ``now``, stale at ``stale``."""
    again = copy.deepcopy(event)
    again.set("time", iso(now))
    again.set("stale", iso(stale))
    start = again.get("start")
    if start is not None and start > iso(now):
        again.set("start", iso(now))
    return again


def staled(event: Element, now: float) -> Element:
    """``event`` made stale now: its object is gone (a closed alert, a dropped track)."""
    return restamp(event, now, now)


def serialize(event: Element, protocol: str = "xml", *, mesh: bool = False) -> bytes:
    """``event`` on the wire: XML with its declaration, or TAK protocol v1 (``proto``:
    a stream frame, or with ``mesh`` a mesh datagram), encoded by ``takproto``."""
    xml = XML_DECLARATION + tostring(event)
    if protocol == "xml":
        return xml
    import takproto

    version = takproto.TAKProtoVer.MESH if mesh else takproto.TAKProtoVer.STREAM
    return bytes(takproto.xml2proto(xml, version))
