"""Cursor-on-Target in: the decoder on its own, and ``cot://`` / ``cotudp://`` feeds end to
end against stand-ins (a TCP server and a UDP sender on loopback, a service recording
batches), hostile input included: every bad event is a count, never a crash or a stall."""

from __future__ import annotations

import math
import socket
import threading
import time
from typing import Any

import pytest
import takproto

from deconflict.feeds.cot import (
    MAX_EVENT_BYTES,
    CotDecoder,
    CotError,
    CotStream,
    is_aircraft,
    parse_datagram,
    parse_proto,
    parse_xml,
)
from deconflict.feeds.cotout import iso, own_track, serialize
from deconflict.feeds.run import FeedOptions
from deconflict.feeds.sources import parse_source
from deconflict.feeds.state import AircraftTable

from .standins import ReceiverStandIn, StandInService, feed_until

FAST = FeedOptions(batch_interval_s=0.1, backoff_initial_s=0.05, backoff_max_s=0.2, drain_s=5.0)


def cot(
    uid: str = "RAVEN1",
    cot_type: str = "a-f-A-M-F-Q",
    lat: Any = 35.0,
    lon: Any = 40.0,
    hae: Any = 9000.0,
    speed: Any = 250.0,
    course: Any = 90.0,
    slope: Any = None,
    stale_s: float = 60.0,
    now: float | None = None,
) -> bytes:
    """A CoT event as a TAK device writes it (attributes as given, text)."""
    t = time.time() if now is None else now
    track = f'<track speed="{speed}" course="{course}"'
    track += f' slope="{slope}"/>' if slope is not None else "/>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<event version="2.0" uid="{uid}" '
        f'type="{cot_type}" how="m-g" time="{iso(t)}" start="{iso(t)}" '
        f'stale="{iso(t + stale_s)}"><point lat="{lat}" lon="{lon}" hae="{hae}" ce="10" '
        f'le="10"/><detail>{track}<contact callsign="{uid}"/></detail></event>'
    ).encode()


def test_aircraft_types() -> None:
    assert is_aircraft("a-f-A") and is_aircraft("a-u-A-C-F") and is_aircraft("a-h-A-M-F-Q")
    for other in ("a-f-G-U-C", "a-f-S", "b-m-p-s-m", "u-d-f", "a-f-AA", "t-x-c-t", "a-f"):
        assert not is_aircraft(other)


def test_xml_event_in_si_units() -> None:
    e = parse_xml(cot(slope=10.0))
    assert (e.uid, e.type, e.lat_deg, e.lon_deg, e.hae_m) == (
        "RAVEN1",
        "a-f-A-M-F-Q",
        35.0,
        40.0,
        9000.0,
    )
    assert (e.speed_mps, e.course_deg, e.slope_deg) == (250.0, 90.0, 10.0)
    assert e.stale_s - e.time_s == pytest.approx(60.0, abs=1e-3)
    table = AircraftTable()
    CotDecoder(table).event(e, time.time())
    (s,) = table.ready()
    assert s.alt_m == 9000.0 and s.gs_mps == 250.0 and s.track_deg == 90.0
    assert s.vs_mps == pytest.approx(250.0 * math.tan(math.radians(10.0)))


def test_what_the_link_sends_reads_back() -> None:
    now = time.time()
    track = {"id": "b1", "time": iso(now), "lat": 35.5, "lon": -0.25, "alt_m": 1200.0}
    track |= {"gs_mps": 80.0, "track_deg": 270.0, "vs_mps": -4.0}
    event = own_track(track, now, 120.0)
    for data in (serialize(event), serialize(event, "proto", mesh=True)):
        e = parse_datagram(data)
        assert (e.uid, e.type, e.lat_deg, e.lon_deg, e.hae_m) == (
            "b1",
            "a-f-A",
            35.5,
            -0.25,
            1200.0,
        )
        assert (e.speed_mps, e.course_deg) == (80.0, 270.0)
    stream = serialize(event, "proto")
    assert stream[0] == 0xBF
    ((kind, payload),) = CotStream().feed(stream)
    assert kind == "proto" and parse_proto(payload).uid == "b1"


def test_tak_protocol_stream_and_mesh() -> None:
    xml = cot().decode()
    frame = bytes(takproto.xml2proto(xml, takproto.TAKProtoVer.STREAM))
    mesh = bytes(takproto.xml2proto(xml, takproto.TAKProtoVer.MESH))
    assert parse_datagram(mesh).hae_m == 9000.0
    table = AircraftTable()
    decoder = CotDecoder(table)
    # split anywhere, mixed with XML on the same stream
    data = frame + cot(uid="RAVEN2") + frame
    for k in range(0, len(data), 7):
        decoder.feed_stream(data[k : k + 7], time.time())
    assert decoder.messages == 3 and decoder.bad == 0
    assert {s.id for s in table.ready()} == {"RAVEN1", "RAVEN2"}


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE event [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">'.encode()
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + b']><event uid="&i;" type="a-f-A"></event>'
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<event uid="&x;" type="a-f-A"></event>'
)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("entity bomb", BOMB),
        ("external entity", EXTERNAL),
        ("huge", b'<event uid="x">' + b"x" * (MAX_EVENT_BYTES + 1) + b"</event>"),
        ("deep", b'<event uid="x">' + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</event>"),
        ("not xml", b"<event <<< </event>"),
        ("no point", b'<event uid="x" type="a-f-A" time="2026-01-01T00:00:00Z"></event>'),
        ("bad number", cot(lat="north")),
        ("long number", cot(hae="9" * 5000)),
        ("no time zone", cot().replace(b'Z"', b'"')),
        ("long uid", cot(uid="u" * 65)),
        ("control in uid", cot(uid="a&#10;b")),
    ],
)
def test_hostile_event_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(CotError):
        parse_xml(data)


def test_hostile_stream_is_counted_in_bounded_memory() -> None:
    table = AircraftTable()
    decoder = CotDecoder(table)
    now = time.time()
    good = cot()
    hostile = [
        BOMB,
        EXTERNAL,
        b'<event uid="x">' + b"y" * (3 * MAX_EVENT_BYTES) + b"</event>",  # huge
        b"\x00\xff garbage \xfe" * 100,
        cot(uid="SLOW", lat="nan"),  # a number, not a bound: the feed leaves it out
        cot(cot_type="a-f-G-U-C", uid="TRUCK"),  # not an aircraft
        cot(uid="OLD", now=now - 3600),  # stale on arrival
        b"\xbf\xff\xff\xff\xff\x0f",  # a TAK protocol frame of 4 GiB
    ]
    started = time.monotonic()
    for chunk in (*hostile, good):
        for k in range(0, len(chunk), 4096):
            decoder.feed_stream(chunk[k : k + 4096], now)
            assert len(decoder.stream._buf) <= MAX_EVENT_BYTES + 4096
    assert time.monotonic() - started < 5.0
    assert decoder.skipped == 2
    assert decoder.bad >= 5
    assert "RAVEN1" in {s.id for s in table.ready()}
    assert "TRUCK" not in table and "OLD" not in table


def test_sources() -> None:
    assert parse_source("cot://127.0.0.1:8087").kind == "cot"
    assert parse_source("cotudp://239.2.3.1:6969").kind == "cotudp"


def test_cot_feed_over_tcp_with_hostile_events() -> None:
    now = time.time()
    first = cot(stale_s=3600) + BOMB + cot(uid="FAST", speed=5000.0, stale_s=3600)[:-30]
    second = (
        b"\xff\xfe"
        + cot(uid="FAST", speed=5000.0, stale_s=3600)  # out of the track bounds
        + cot(uid="TRUCK", cot_type="a-f-G-U-C", stale_s=3600)
        + cot(uid="RAVEN2", lat=35.5, hae=3000.0, speed=60.0, course=180.0, stale_s=3600)
    )
    with StandInService() as service, ReceiverStandIn([first, second]) as receiver:
        want = {"RAVEN1", "RAVEN2"}
        url = receiver.url("cot")
        stats = feed_until(url, service, FAST, lambda: want <= set(service.latest()))
        assert receiver.connections == 2
    got = service.latest()
    assert set(got) == {"RAVEN1", "RAVEN2"}
    r2 = got["RAVEN2"]
    assert (r2["lat"], r2["alt_m"], r2["gs_mps"], r2["track_deg"]) == (35.5, 3000.0, 60.0, 180.0)
    assert stats.out_of_bounds >= 1 and stats.skipped == 1 and stats.bad >= 2
    assert now <= time.time()
    assert stats.as_json()["skipped"] == 1


def test_cotudp_feed_reads_datagrams() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = threading.Event()

    def send() -> None:
        xml = cot(uid="RAVEN3", stale_s=3600)
        mesh = bytes(takproto.xml2proto(cot(uid="RAVEN4").decode(), takproto.TAKProtoVer.MESH))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            while not stop.is_set():
                for data in (xml, mesh, BOMB, b"\xbf\x01\xbf\xff\xff", b"x" * 65_000):
                    out.sendto(data, ("127.0.0.1", port))
                time.sleep(0.05)

    sender = threading.Thread(target=send, daemon=True)
    with StandInService() as service:
        sender.start()
        try:
            stats = feed_until(
                f"cotudp://127.0.0.1:{port}",
                service,
                FAST,
                lambda: {"RAVEN3", "RAVEN4"} <= set(service.latest()),
            )
        finally:
            stop.set()
            sender.join(5)
    assert {"RAVEN3", "RAVEN4"} <= set(service.latest())
    assert stats.bad >= 2 and stats.source == "listening"
