"""``deconflict cot`` against a real service and stand-in TAK listeners on loopback: UDP
(TAK protocol mesh datagrams), TLS with a client certificate, a TCP server that is not
there yet; shapes for zones and declared positions; what every event carries; bad usage."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reliability.test_transport import issue, make_ca
from servicekit import Server, StoreTarget, add_party, client, free_port, track

from .takkit import StandInTak
from .test_tak import start, stop


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    store = StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")
    blue = add_party(store, "blue")
    server = Server(store, tmp_path / "serve.log").start()
    try:
        yield server, blue
    finally:
        server.stop()


ZONE = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[40.0, 35.0], [40.1, 35.0], [40.1, 35.1], [40.0, 35.1], [40.0, 35.0]]],
    },
    "properties": {
        "id": "z1",
        "name": "Range 7",
        "status": "claimed",
        "parties": ["blue"],
        "rules": [{"party": "*", "action": "forbid", "lead_s": 0}],
        "alt_min_m": 0,
        "alt_max_m": 20000,
    },
}
SITE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.5, 35.5]},
    "properties": {"id": "h1", "party": "blue", "kind": "protected", "radius_m": 500},
}


def wait_until(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_udp_mesh_in_tak_protocol_with_shapes(service: tuple[Server, str], tmp_path: Path) -> None:
    server, blue = service
    with client(server, blue) as c:
        assert c.post("/v1/tracks", json=[track("b1", 35.2, 40.2, 45.0)]).status_code == 200
        assert c.post("/v1/zones", json=ZONE).status_code == 200
        assert c.post("/v1/positions", json=SITE).status_code == 200
    with StandInTak("udp") as tak:
        args = ["cot", server.url, "--to", tak.url(), "--protocol", "proto", "--poll", "0.3"]
        link = start(args, blue, tmp_path / "cot.log")
        try:
            want = {"b1", "zone.z1", "position.h1"}
            wait_until(lambda: want <= {e.uid for e in tak.events()})
        finally:
            assert stop(link) == 0, (tmp_path / "cot.log").read_text()[-2000:]
        assert all(d[:3] == b"\xbf\x01\xbf" for d in tak.datagrams)
        events = {e.uid: e for e in tak.events()}
    assert events["b1"].type == "a-f-A" and events["b1"].course_deg == 45.0
    assert events["zone.z1"].type == "u-d-f"
    assert events["position.h1"].type == "u-d-c-c"
    assert (events["position.h1"].lat_deg, events["position.h1"].lon_deg) == (35.5, 40.5)


EVENT = re.compile(rb"<event [^>]*>")


def test_tls_with_a_client_certificate(service: tuple[Server, str], tmp_path: Path) -> None:
    server, blue = service
    pki = tmp_path / "pki"
    pki.mkdir()
    ca = make_ca(pki, "tak-ca")
    server_cert = issue(pki, "tak-server", ca, server=True)
    device = issue(pki, "blue-link", ca, server=False)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca[0].cert))
    context.load_cert_chain(str(server_cert.cert), str(server_cert.key))
    context.verify_mode = ssl.CERT_REQUIRED
    with client(server, blue) as c:
        assert c.post("/v1/tracks", json=[track("b1", 35.2, 40.2, 45.0)]).status_code == 200
    with StandInTak("tls", context) as tak:
        args = ["cot", server.url, "--to", tak.url(), "--poll", "0.3"]
        args += ["--cert", str(device.cert), "--key", str(device.key), "--ca", str(ca[0].cert)]
        link = start(args, blue, tmp_path / "cot.log")
        try:
            wait_until(lambda: "b1" in {e.uid for e in tak.events()})
        finally:
            assert stop(link) == 0, (tmp_path / "cot.log").read_text()[-2000:]
        raw = bytes(tak.data)
    # every event: time, start, stale, and a point with hae, ce and le
    for head in EVENT.findall(raw):
        for attr in (b"time=", b"start=", b"stale=", b"uid=", b"type="):
            assert attr in head
    for point in re.findall(rb"<point [^>]*>", raw):
        for attr in (b"lat=", b"lon=", b"hae=", b"ce=", b"le="):
            assert attr in point


def test_a_tak_server_that_comes_later(service: tuple[Server, str], tmp_path: Path) -> None:
    server, blue = service
    with client(server, blue) as c:
        assert c.post("/v1/tracks", json=[track("b1", 35.2, 40.2, 45.0)]).status_code == 200
    port = free_port()  # nothing listens there yet
    link = start(
        ["cot", server.url, "--to", f"tcp://127.0.0.1:{port}", "--poll", "0.3", "--json"],
        blue,
        tmp_path / "cot.log",
    )
    try:
        time.sleep(1.5)
        with StandInTak("tcp", port=port) as tak:
            wait_until(lambda: "b1" in {e.uid for e in tak.events()})
    finally:
        assert stop(link) == 0, (tmp_path / "cot.log").read_text()[-2000:]
    assert '"tak_connects": 1' in (tmp_path / "cot.log").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "ftp://127.0.0.1:1"], "expected tcp://HOST:PORT"),
        (["--to", "tcp://127.0.0.1"], "needs HOST:PORT"),
        (["--to", "tls://127.0.0.1:8089"], "needs --cert"),
        (["--to", "tcp://127.0.0.1:8087", "--cert", "/nonexistent.pem"], "no such file"),
        (["--to", "tcp://127.0.0.1:8087", "--stale", "0"], "--stale must be > 0"),
    ],
)
def test_bad_usage_is_refused_naming_it(args: list[str], message: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "deconflict.cli", "cot", "http://127.0.0.1:9", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "DECONFLICT_TOKEN": "some-token"},
    )
    assert out.returncode == 2 and message in out.stderr, out.stderr


def test_no_token_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DECONFLICT_TOKEN"}
    out = subprocess.run(
        [sys.executable, "-m", "deconflict.cli", "cot", "http://127.0.0.1:9", "--to", "tcp://h:1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert out.returncode == 2 and "DECONFLICT_TOKEN" in out.stderr


def test_a_refused_token_stops_the_link(service: tuple[Server, str], tmp_path: Path) -> None:
    server, _ = service
    with StandInTak("tcp") as tak:
        link = start(["cot", server.url, "--to", tak.url()], "not-a-token", tmp_path / "c.log")
        assert link.wait(30) == 2
    assert "refused the token" in (tmp_path / "c.log").read_text()
