"""The line to TAK and back, end to end: a real ``deconflict serve`` with two parties, each
with its own TAK server (a real ``taky`` on loopback). Blue runs ``deconflict cot`` into
its taky; a device subscribed there sees blue's own track as ``a-f-A``, red's aircraft
in the separation alert as ``a-u-A`` (never friendly), the alert (uid: its id) and, once
blue answers, both made stale. Red's aircraft come from its own TAK server: published
into red's taky, read by ``deconflict feed cot://`` as red's tracks on the service."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deconflict.feeds.cotout import iso
from servicekit import Server, StoreTarget, add_party, client, track

from .takkit import TakClient, Taky


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Server, str, str]]:
    store = StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")
    blue = add_party(store, "blue")
    red = add_party(store, "red")
    server = Server(store, tmp_path / "serve.log").start()
    try:
        yield server, blue, red
    finally:
        server.stop()


@pytest.fixture
def takys(tmp_path: Path) -> Iterator[tuple[Taky, Taky]]:
    a = Taky(tmp_path / "taky-blue").start()
    try:
        b = Taky(tmp_path / "taky-red").start()
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def start(args: list[str], token: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "deconflict.cli", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "DECONFLICT_TOKEN": token},
        )


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.terminate()
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def red_cot(now: float) -> bytes:
    """Red's aircraft as red's own TAK device reports it: friendly to red, heading west
    at blue's level, 0.3 degrees of longitude east of blue's."""
    return (
        f'<?xml version="1.0"?><event version="2.0" uid="r1" type="a-f-A-M-F" how="m-g" '
        f'time="{iso(now)}" start="{iso(now)}" stale="{iso(now + 30)}">'
        '<point lat="35.0" lon="40.3" hae="9000.0" ce="5.0" le="5.0"/>'
        '<detail><track speed="250.0" course="270.0"/><contact callsign="RED 1"/></detail>'
        "</event>"
    ).encode()


def test_the_line_on_tak_devices_and_back(
    line: tuple[Server, str, str], takys: tuple[Taky, Taky], tmp_path: Path
) -> None:
    server, blue, red = line
    taky_blue, taky_red = takys
    device = TakClient(taky_blue.port)  # a blue duty officer's device
    publisher = TakClient(taky_red.port)  # red's own TAK device
    link = start(
        ["cot", server.url, "--to", taky_blue.url, "--poll", "0.5", "--stale", "60", "--json"],
        blue,
        tmp_path / "cot.log",
    )
    feed = start(
        ["feed", f"cot://127.0.0.1:{taky_red.port}", "--service", server.url, "--json"],
        red,
        tmp_path / "feed.log",
    )
    try:
        with client(server, blue) as c:
            assert c.post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
        # red's aircraft reaches the service only through red's TAK server
        deadline = time.monotonic() + 60
        red_tracks: dict[str, Any] = {}
        while time.monotonic() < deadline and "r1" not in red_tracks:
            publisher.publish(red_cot(time.time()))
            time.sleep(0.5)
            with client(server, red) as c:
                red_tracks = {t["id"]: t for t in c.get("/v1/tracks").json()["tracks"]}
        assert "r1" in red_tracks, (tmp_path / "feed.log").read_text()[-2000:]
        r1 = red_tracks["r1"]
        assert (r1["lat"], r1["lon"], r1["alt_m"]) == (35.0, 40.3, 9000.0)
        assert (r1["gs_mps"], r1["track_deg"], r1["party"]) == (250.0, 270.0, "red")

        own = device.wait_for(lambda e: e.uid == "b1")
        assert own.type == "a-f-A" and (own.lat_deg, own.lon_deg, own.hae_m) == (35.0, 40.0, 9000.0)
        assert (own.speed_mps, own.course_deg) == (250.0, 90.0)

        with client(server, blue) as c:
            deadline = time.monotonic() + 30
            alerts: list[dict[str, Any]] = []
            while time.monotonic() < deadline and not alerts:
                got = c.get("/v1/alerts").json()["alerts"]
                alerts = [a for a in got if a["kind"] == "separation"]
                time.sleep(0.2)
        (alert,) = alerts
        shown = device.wait_for(lambda e: e.uid == alert["id"])
        assert shown.stale_s > time.time()
        assert (shown.lat_deg, shown.lon_deg) == pytest.approx(
            (alert["lat"], alert["lon"]), abs=1e-6
        )
        other = device.wait_for(lambda e: e.type.startswith("a-") and "r1" in e.uid)
        assert other.type == "a-u-A" and other.uid == f"{alert['id']}.red.r1"
        state = alert["details"]["states"]["r1"]  # as the alert shows it, dead-reckoned
        assert state["party"] == "red"
        assert (other.lat_deg, other.lon_deg, other.hae_m) == pytest.approx(
            (state["lat"], state["lon"], state["alt_m"]), abs=1e-6
        )
        assert (other.speed_mps, other.course_deg) == pytest.approx((250.0, 270.0), abs=0.01)
        remarks = next(
            raw for ev, raw in zip(device.events, device.raw, strict=True) if ev.uid == other.uid
        )
        assert alert["id"].encode() in remarks and b"<remarks>" in remarks
        # red's aircraft is never shown to blue as friendly, under any uid
        assert not [e for e in device.events if "r1" in e.uid and not e.type.startswith("a-u-")]
        assert all(e.uid == "b1" for e in device.events if e.type.startswith("a-f-"))
        for ev in device.events:
            assert ev.stale_s >= ev.time_s and ev.hae_m == ev.hae_m

        with client(server, blue) as c:
            r = c.post(f"/v1/alerts/{alert['id']}/ack", json={"response": "wilco"})
            assert r.status_code == 200, r.text
        closed = device.wait_for(lambda e: e.uid == alert["id"] and e.stale_s <= e.time_s)
        assert closed.stale_s == closed.time_s
        gone = device.wait_for(lambda e: e.uid == other.uid and e.stale_s <= e.time_s)
        assert gone.type == "a-u-A"
    finally:
        assert stop(link) == 0, (tmp_path / "cot.log").read_text()[-2000:]
        assert stop(feed) == 0, (tmp_path / "feed.log").read_text()[-2000:]
        device.close()
        publisher.close()
