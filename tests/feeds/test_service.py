"""End to end against the real service: ``deconflict serve`` on SQLite, a party made with
``deconflict party add``, and ``deconflict feed`` posting a receiver's traffic as that
party's tracks, read back with ``GET /v1/tracks``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deconflict.feeds.encode import history_sbs
from deconflict.trackio import History
from servicekit import Server, StoreTarget, add_party, client

from .conftest import EXCERPT
from .standins import ReceiverStandIn
from .test_live import SBS_TOL, matches

Rows = dict[str, tuple[float, list[float]]]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    store = StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")
    token = add_party(store, "radar")
    server = Server(store, tmp_path / "serve.log").start()
    try:
        yield server, token
    finally:
        server.stop()


def feed_command(source: str, server: Server, *args: str) -> list[str]:
    """``deconflict feed SOURCE --service URL --json ARGS`` as a subprocess command."""
    cli = [sys.executable, "-m", "deconflict.cli", "feed", source]
    return [*cli, "--service", server.url, "--json", *args]


def feed(source: str, server: Server, token: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        feed_command(source, server, *args),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DECONFLICT_TOKEN": token},
    )
    assert out.returncode == 0, out.stderr
    stats: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return stats


def own_tracks(server: Server, token: str) -> dict[str, dict[str, object]]:
    with client(server, token) as c:
        r = c.get("/v1/tracks")
    assert r.status_code == 200, r.text
    return {t["id"]: t for t in r.json()["tracks"]}


def test_recorded_history_becomes_the_party_s_tracks(
    service: tuple[Server, str], last_rows: Rows
) -> None:
    server, token = service
    stats = feed(str(EXCERPT), server, token, "--speed", "0")
    assert stats["rejected"] == 0 and stats["unsent"] == 0
    tracks = own_tracks(server, token)
    assert {t["party"] for t in tracks.values()} == {"radar"}
    assert matches(tracks, last_rows, (1e-6, 1e-6, 0.05, 0.005, 0.005, 0.005))


def test_receiver_traffic_becomes_the_party_s_tracks(
    service: tuple[Server, str], history: History, last_rows: Rows
) -> None:
    server, token = service
    data = "".join(line + "\r\n" for _, line in history_sbs(history)).encode()
    with ReceiverStandIn([data]) as receiver:
        stats = feed(
            receiver.url("sbs"), server, token, "--duration", "3", "--batch-interval", "0.2"
        )
    assert stats["rejected"] == 0 and stats["unsent"] == 0 and stats["bad"] == 0
    assert matches(own_tracks(server, token), last_rows, SBS_TOL)


def test_two_feeds_as_two_parties_raise_a_separation_alert(tmp_path: Path) -> None:
    """Two parties' receivers, each a recording of one aircraft; the aircraft are on a
    collision course, so the service warns both parties."""
    store = StoreTarget("sqlite", str(tmp_path / "two.db"), tmp_path / "keys")
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = Server(store, tmp_path / "two.log").start()
    try:
        # head-on at the same level, 45 km apart: loss of separation in about 73 s
        for party, icao, lon, trk in (
            ("blue", "4ca001", 40.0, 90.0),
            ("red", "4ca002", 40.5, 270.0),
        ):
            path = tmp_path / f"{party}.csv"
            rows = ["time,icao24,lat,lon,alt_m,gs_mps,track_deg,vs_mps"]
            for k in range(3):
                moved = lon + (k * 250.0 / 91_000.0) * (1 if trk == 90.0 else -1)
                rows.append(f"2018-08-01T13:45:{k:02d}Z,{icao},35.0,{moved:.6f},9000,250,{trk},0")
            path.write_text("\n".join(rows) + "\n")
            stats = feed(str(path), server, tokens[party], "--speed", "0")
            assert stats["rejected"] == 0 and stats["unsent"] == 0
        deadline = time.monotonic() + 15.0
        seen: dict[str, list[dict[str, object]]] = {}
        while time.monotonic() < deadline:
            for party, token in tokens.items():
                with client(server, token) as c:
                    seen[party] = [
                        a for a in c.get("/v1/alerts").json()["alerts"] if a["kind"] == "separation"
                    ]
            if all(seen.values()):
                break
            time.sleep(0.2)
        for party in tokens:
            (alert,) = seen[party]
            assert alert["parties"] == ["blue", "red"]
            assert sorted(alert["subjects"]) == ["4ca001", "4ca002"]
            assert 0 < alert["t"] < 120
    finally:
        server.stop()
