"""Detectors sharing the area, with real processes and one more detector in this process
whose runs are cut into many small pieces: every conflict over a wide area is raised
once, to both its parties, whichever detector's share it falls in."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from deconflict.cluster import detector as detector_module
from deconflict.cluster.bus import NatsBus
from deconflict.cluster.detector import Detector
from deconflict.cluster.members import ALIVE_S, Members
from servicekit import track


def alerts(url: str, token: str) -> list[dict[str, Any]]:
    r = httpx.get(url + "/v1/alerts", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return [a for a in r.json()["alerts"] if a["kind"] == "separation"]


def status(url: str, token: str) -> dict[str, Any]:
    r = httpx.get(url + "/v1/status", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.parametrize("joining", [False, True], ids=["joined", "joining"])
def test_every_conflict_over_a_wide_area_is_raised_once(open_cluster, monkeypatch, joining):
    """``joining``: the tracks come while the third detector is still joining (its share
    moves to it from the others meanwhile): still one alert per conflict, never closed
    and raised again."""
    cluster = open_cluster
    monkeypatch.setattr(detector_module, "PIECE_BYTES", 2_000)  # a few findings a piece
    bus = NatsBus(cluster.nats.urls.split(","), name="test-detector").start()
    stop = threading.Event()
    small = Detector(bus, "det-small")
    thread = threading.Thread(target=small.run, args=(stop,), daemon=True)
    thread.start()
    g0, g1 = (g.url for g in cluster.gateways)
    blue, red = cluster.tokens["blue"], cluster.tokens["red"]
    try:

        def joined() -> None:
            # it says it is alive after its first full run (its detectors compiled first)
            deadline = time.monotonic() + 180
            while "det-small" not in status(g0, blue).get("detectors", {}):
                assert time.monotonic() < deadline and thread.is_alive()
                time.sleep(0.3)

        if not joining:
            joined()
        # head-on pairs 2 degrees apart over 40 x 40 degrees: many cells, every detector
        places = [(lat, lon) for lat in range(10, 50, 4) for lon in range(0, 40, 4)]
        b = [track(f"b{k:03d}", lat, lon, 90.0) for k, (lat, lon) in enumerate(places)]
        r = [track(f"r{k:03d}", lat, lon + 0.3, 270.0) for k, (lat, lon) in enumerate(places)]
        head = {"Authorization": f"Bearer {blue}"}
        assert httpx.post(g0 + "/v1/tracks", json=b, headers=head, timeout=30).status_code == 200
        head = {"Authorization": f"Bearer {red}"}
        assert httpx.post(g1 + "/v1/tracks", json=r, headers=head, timeout=30).status_code == 200
        deadline = time.monotonic() + 30
        while len(alerts(g1, red)) < len(places):
            assert time.monotonic() < deadline, len(alerts(g1, red))
            time.sleep(0.3)
        if joining:
            joined()
            time.sleep(2.0)  # every detector has run on the partition of three
        for url, token in ((g0, blue), (g1, red)):
            got = alerts(url, token)
            subjects = sorted(tuple(a["subjects"]) for a in got)
            assert len(subjects) == len(set(subjects)) == len(places)
        figures = status(g0, blue)
        assert figures["detection"] == "detectors"
        assert set(figures["detectors"]) == {"det0", "det1", "det-small"}
        assert small.found > 0 and small.runs > 0  # it had a share, sent in pieces
    finally:
        stop.set()
        thread.join(30)
        bus.close()
    assert not thread.is_alive()


@pytest.fixture
def bus(open_cluster):
    b = NatsBus(open_cluster.nats.urls.split(","), name="test-members").start()
    yield b
    b.close()


def test_a_detector_is_alive_while_it_beats_and_gone_when_it_stops(bus):
    watcher, beater = Members(bus), Members(bus)
    beater.beat("x")
    deadline = time.monotonic() + 5
    while "x" not in watcher.alive():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    beater.stop()  # it says so: gone at once
    deadline = time.monotonic() + 1
    while "x" in watcher.alive():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # one that falls silent without a word is gone after ALIVE_S
    bus.publish("deconflict.detectors", b'{"name": "y", "up": true}')
    bus.publish("deconflict.detectors", b"not a heartbeat")
    time.sleep(0.3)
    assert "y" in watcher.alive()
    time.sleep(ALIVE_S)
    assert "y" not in watcher.alive()
    watcher.stop()


def test_a_detector_stuck_in_a_run_stops_saying_it_is_alive(open_cluster, monkeypatch):
    """A detector that stops running (a run that never ends) is gone for the others
    within WORKING_S + ALIVE_S, so its cells are detected by them again."""
    cluster = open_cluster
    g0 = cluster.gateways[0].url
    blue = cluster.tokens["blue"]
    bus = NatsBus(cluster.nats.urls.split(","), name="test-stuck").start()
    stop, release = threading.Event(), threading.Event()
    real = detector_module.detect_share

    def stuck_after_a_while(*args: Any, **kwargs: Any) -> Any:
        if stuck.is_set():
            release.wait()
        return real(*args, **kwargs)

    stuck = threading.Event()
    monkeypatch.setattr(detector_module, "detect_share", stuck_after_a_while)
    det = Detector(bus, "det-stuck")
    thread = threading.Thread(target=det.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 180
        while "det-stuck" not in status(g0, blue).get("detectors", {}):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        stuck.set()
        t0 = time.monotonic()
        while "det-stuck" in status(g0, blue).get("detectors", {}):
            assert time.monotonic() - t0 < detector_module.WORKING_S + ALIVE_S + 5
            time.sleep(0.2)
        assert set(status(g0, blue)["detectors"]) == {"det0", "det1"}
    finally:
        stop.set()
        release.set()
        thread.join(30)
        bus.close()
    assert not thread.is_alive()
