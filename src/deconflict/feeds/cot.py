"""Cursor-on-Target in: CoT events from a TAK server or mesh read as a party's aircraft.

A TAK stream carries CoT events as XML documents (``<event>…</event>``, one after another,
each optionally after an XML declaration) or as TAK protocol version 1 messages
(``0xbf``, a varint length, a protobuf ``TakMessage``); a UDP mesh datagram holds one XML
event or one mesh message (``0xbf 0x01 0xbf``, then the protobuf). XML is parsed with
``defusedxml`` (no DTD, so no entity expansion and no outside resource), protobuf with
``takproto``'s message classes.

Only atoms that are aircraft (type ``a-<affiliation>-A…``) become tracks, keyed by the
event's ``uid``; every other event, and an aircraft event already stale when it arrives,
is counted in ``skipped``. An event that cannot be read (not well-formed, over
:data:`MAX_EVENT_BYTES`, a DTD, a bad number or time, a uid that is not 1 to 64
printable characters) is counted in ``bad``; nothing is fatal.

Units at this edge: ``point`` lat/lon in degrees WGS84 and ``hae`` in metres above the
WGS84 ellipsoid; ``track`` ``speed`` in m/s, ``course`` in degrees true and the optional
``slope`` in degrees above the horizontal (vertical rate = speed × tan(slope)). The height
kept as ``alt_m`` is the HAE itself, entered as a GNSS height (no geoid model: the geoid
lies within about -106 to +85 m of the ellipsoid). ``hae`` 9999999 (CoT's "unknown") is
no height: such an aircraft has no complete track until a height comes. A report is
stamped with the time it arrived, as for every live feed.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from google.protobuf.message import DecodeError
from takproto.proto import TakMessage

from .state import AircraftTable

__all__ = [
    "MAX_EVENT_BYTES",
    "UNKNOWN",
    "CotDecoder",
    "CotError",
    "CotEvent",
    "CotStream",
    "is_aircraft",
    "parse_datagram",
    "parse_proto",
    "parse_xml",
]

MAX_EVENT_BYTES = 64 * 1024
"""The largest event read (an aircraft atom is under 2 KiB); a larger one is bad."""
UNKNOWN = 9_999_999.0
"""CoT's value for an unknown ``hae``, ``ce`` or ``le``."""
MAX_TIME_CHARS = 40
MESH_HEADER = b"\xbf\x01\xbf"
_END = b"</event>"
_AIRCRAFT = re.compile(r"a-[^-]+-A(-|$)")


class CotError(ValueError):
    """An event that cannot be read (the message says why)."""


class CotEvent(NamedTuple):
    """What a CoT event says of one object (times in epoch seconds, SI units; NaN: absent)."""

    uid: str
    type: str
    time_s: float
    stale_s: float
    lat_deg: float
    lon_deg: float
    hae_m: float
    speed_mps: float
    course_deg: float
    slope_deg: float
    callsign: str


def is_aircraft(cot_type: str) -> bool:
    """Whether a CoT type is an aircraft atom (``a-?-A``, any affiliation, any subtype).

    >>> is_aircraft("a-f-A-M-F"), is_aircraft("a-h-A"), is_aircraft("a-f-G-U-C")
    (True, True, False)
    """
    return _AIRCRAFT.match(cot_type) is not None


def _number(text: str | None, what: str, *, required: bool = True) -> float:
    if text is None:
        if required:
            raise CotError(f"no {what}")
        return math.nan
    if len(text) > 40:
        raise CotError(f"{what}: not a number")
    try:
        return float(text)
    except ValueError:
        raise CotError(f"{what}: not a number: {text[:40]!r}") from None


def _time(text: str | None, what: str) -> float:
    if text is None:
        raise CotError(f"no {what}")
    if len(text) > MAX_TIME_CHARS:
        raise CotError(f"{what}: not an ISO 8601 time")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise CotError(f"{what}: not an ISO 8601 time: {text!r}") from None
    if stamp.tzinfo is None:
        raise CotError(f"{what}: no time zone (CoT times are UTC, ending in Z)")
    return stamp.timestamp()


def _uid(uid: str | None) -> str:
    if uid is None or not 1 <= len(uid) <= 64 or not uid.isprintable():
        raise CotError("uid: 1 to 64 printable characters")
    return uid


def parse_xml(data: bytes) -> CotEvent:
    """One CoT event from its XML (bytes, at most :data:`MAX_EVENT_BYTES`).

    Raises :class:`CotError` for anything unreadable, including a DTD or an entity.

    >>> e = parse_xml(b'<event version="2.0" uid="A1" type="a-f-A" time="2026-01-01T00:00:00Z" '
    ...   b'start="2026-01-01T00:00:00Z" stale="2026-01-01T00:01:00Z" how="m-g">'
    ...   b'<point lat="35.0" lon="40.0" hae="9000" ce="10" le="10"/>'
    ...   b'<detail><track speed="250" course="90"/></detail></event>')
    >>> e.uid, e.hae_m, e.speed_mps, e.stale_s - e.time_s
    ('A1', 9000.0, 250.0, 60.0)
    """
    if len(data) > MAX_EVENT_BYTES:
        raise CotError(f"event over {MAX_EVENT_BYTES} bytes")
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise CotError(f"not a CoT event: {type(exc).__name__}") from None
    if root.tag != "event":
        raise CotError(f"root element {root.tag[:40]!r}, not event")
    point = root.find("point")
    if point is None:
        raise CotError("no point")
    detail = root.find("detail")
    track = detail.find("track") if detail is not None else None
    contact = detail.find("contact") if detail is not None else None
    return CotEvent(
        uid=_uid(root.get("uid")),
        type=_type(root.get("type")),
        time_s=_time(root.get("time"), "time"),
        stale_s=_time(root.get("stale"), "stale"),
        lat_deg=_number(point.get("lat"), "point lat"),
        lon_deg=_number(point.get("lon"), "point lon"),
        hae_m=_number(point.get("hae"), "point hae"),
        speed_mps=_attr(track, "speed"),
        course_deg=_attr(track, "course"),
        slope_deg=_attr(track, "slope"),
        callsign=(contact.get("callsign") or "")[:64] if contact is not None else "",
    )


def _type(cot_type: str | None) -> str:
    if cot_type is None or not 1 <= len(cot_type) <= 100:
        raise CotError("type: 1 to 100 characters")
    return cot_type


def _attr(element: Element | None, name: str) -> float:
    if element is None:
        return math.nan
    return _number(element.get(name), f"track {name}", required=False)


def parse_proto(payload: bytes) -> CotEvent:
    """One CoT event from a TAK protocol v1 ``TakMessage`` (the protobuf, no header).

    Raises :class:`CotError` when it does not decode or holds no event.
    """
    if len(payload) > MAX_EVENT_BYTES:
        raise CotError(f"event over {MAX_EVENT_BYTES} bytes")
    msg = TakMessage()
    try:
        msg.ParseFromString(payload)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise CotError(f"not a TAK protocol message: {type(exc).__name__}") from None
    if not msg.HasField("cotEvent"):
        raise CotError("a TAK protocol message without an event")
    ev = msg.cotEvent
    track = ev.detail.track if ev.detail.HasField("track") else None
    return CotEvent(
        uid=_uid(ev.uid),
        type=_type(ev.type),
        time_s=ev.sendTime / 1000.0,
        stale_s=ev.staleTime / 1000.0,
        lat_deg=ev.lat,
        lon_deg=ev.lon,
        hae_m=ev.hae,
        speed_mps=track.speed if track is not None else math.nan,
        course_deg=track.course if track is not None else math.nan,
        slope_deg=math.nan,
        callsign=ev.detail.contact.callsign[:64],
    )


def parse_datagram(data: bytes) -> CotEvent:
    """One UDP datagram: a mesh message (``0xbf 0x01 0xbf`` + protobuf) or an XML event."""
    if data[:3] == MESH_HEADER:
        return parse_proto(data[3:])
    return parse_xml(data.strip(b" \t\r\n\x00"))


def _varint(buf: bytearray | bytes, at: int) -> tuple[int, int] | None:
    """A protobuf varint at ``at``: (value, index after it), None if incomplete."""
    value = shift = 0
    for k in range(at, min(len(buf), at + 10)):
        value |= (buf[k] & 0x7F) << shift
        if not buf[k] & 0x80:
            return value, k + 1
        shift += 7
    if len(buf) - at >= 10:
        raise CotError("bad TAK protocol length")
    return None


class CotStream:
    """Splits a TAK stream (TCP) into events, in bounded memory.

    :meth:`feed` returns ``("xml", bytes)`` and ``("proto", bytes)`` pieces. What cannot
    start an event is dropped and counted in ``bad`` (once per run of garbage), as is an
    event over ``max_event_bytes`` (the rest of it is skipped up to its ``</event>``).
    """

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.bad = 0
        self._buf = bytearray()
        self._scan = 0
        self._skipping = False

    def reset(self) -> None:
        """Forget a partial event (the connection was lost)."""
        self._buf.clear()
        self._scan = 0
        self._skipping = False

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        buf = self._buf
        buf += chunk
        out: list[tuple[str, bytes]] = []
        while buf:
            if self._skipping:
                end = buf.find(_END)
                if end < 0:
                    del buf[: max(0, len(buf) - len(_END) + 1)]
                    break
                del buf[: end + len(_END)]
                self._skipping = False
                continue
            first = buf[0]
            if first in b" \t\r\n\x00":
                del buf[:1]
                continue
            if first == 0xBF:
                if not self._proto(buf, out):
                    break
                continue
            if first != ord("<"):
                self._garbage(buf)
                continue
            end = buf.find(_END, self._scan)
            if end < 0:
                if len(buf) > self.max_event_bytes:
                    self.bad += 1
                    buf.clear()
                    self._skipping = True
                self._scan = max(0, len(buf) - len(_END) + 1)
                break
            out.append(("xml", bytes(buf[: end + len(_END)])))
            del buf[: end + len(_END)]
            self._scan = 0
        return out

    def _proto(self, buf: bytearray, out: list[tuple[str, bytes]]) -> bool:
        """Take one TAK protocol frame from ``buf``; False when it is not complete yet."""
        try:
            head = _varint(buf, 1)
        except CotError:
            head = (self.max_event_bytes + 1, 1)
        if head is None:
            return False
        size, at = head
        if size > self.max_event_bytes:  # no way to find the next frame: start afresh
            self.bad += 1
            buf.clear()
            return True
        if len(buf) < at + size:
            return False
        out.append(("proto", bytes(buf[at : at + size])))
        del buf[: at + size]
        return True

    def _garbage(self, buf: bytearray) -> None:
        self.bad += 1
        starts = [k for k in (buf.find(b"<"), buf.find(b"\xbf")) if k >= 0]
        del buf[: min(starts) if starts else len(buf)]


class CotDecoder:
    """Feeds CoT events into an aircraft table, counting what it reads, skips and refuses.

    ``messages``: events read (and unreadable pieces); ``bad``: those that could not be
    read; ``skipped``: events that are not aircraft atoms, or are stale on arrival.
    """

    def __init__(self, table: AircraftTable) -> None:
        self.table = table
        self.stream = CotStream()
        self.messages = 0
        self._bad = 0
        self.dropped = 0
        self.skipped = 0

    @property
    def bad(self) -> int:
        """Unreadable events, garbage in the stream, datagrams dropped unread."""
        return self._bad + self.stream.bad + self.dropped

    def feed_stream(self, chunk: bytes, t: float) -> None:
        """Bytes of a TAK stream (TCP) received at ``t`` (epoch seconds)."""
        before = self.stream.bad
        pieces = self.stream.feed(chunk)
        self.messages += self.stream.bad - before
        for kind, piece in pieces:
            self.messages += 1
            try:
                ev = parse_xml(piece) if kind == "xml" else parse_proto(piece)
            except CotError:
                self._bad += 1
                continue
            self.event(ev, t)

    def feed_datagram(self, data: bytes, t: float) -> None:
        """One UDP datagram received at ``t``."""
        self.messages += 1
        try:
            ev = parse_datagram(data)
        except CotError:
            self._bad += 1
            return
        self.event(ev, t)

    def event(self, ev: CotEvent, t: float) -> None:
        """One event read at ``t``: an aircraft atom updates the table, others are skipped."""
        if not is_aircraft(ev.type) or ev.stale_s < t:
            self.skipped += 1
            return
        table = self.table
        table.position(ev.uid, t, ev.lat_deg, ev.lon_deg)
        if math.isfinite(ev.hae_m) and ev.hae_m != UNKNOWN:
            table.altitude(ev.uid, t, ev.hae_m, gnss=True)
        if not (math.isnan(ev.speed_mps) or math.isnan(ev.course_deg)):
            vs = None
            if abs(ev.slope_deg) < 90.0:  # NaN (absent) is not
                vs = ev.speed_mps * math.tan(math.radians(ev.slope_deg))
            table.velocity(ev.uid, t, ev.speed_mps, ev.course_deg, vs)
        if ev.callsign:
            table.callsign(ev.uid, t, ev.callsign)
