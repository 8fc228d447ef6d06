"""Parties changed by another process (``deconflict party ...`` while serving) take effect
in the running service within seconds: a revoked party leaves the channel and is no
longer awaited; a new one is reachable before it has made a request of its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from servicekit import StoreTarget, add_party, cli, client

pytestmark = pytest.mark.slow


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds until ``check()`` holds (fails after ``timeout``)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - start


def _site(id: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.1, 35.1]},
        "properties": {"id": id, "kind": "protected", "radius_m": 300},
    }


def test_revoked_and_added_parties_are_seen_while_serving(
    store: StoreTarget, server_factory: Any
) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red", "green")}
    server = server_factory()
    blue = client(server, tokens["blue"])
    try:
        assert "green" in blue.get("/v1/channel").json()["parties"]
        cli(store, "party", "revoke", "green")
        took = _eventually(lambda: "green" not in blue.get("/v1/channel").json()["parties"])
        print(f"\nrevoked party left the channel after {took:.2f} s")
        declared = blue.post("/v1/positions", json=_site("camp-1")).json()
        (alert_id,) = declared["alerts"]
        alert = blue.get(f"/v1/alerts/{alert_id}").json()["alert"]
        assert alert["parties"] == ["blue", "red"]
        assert "green" not in alert["acks"]

        # a party added now is reachable before it has made a request
        white_token = add_party(store, "white")
        sent = blue.post("/v1/messages", json={"to": ["white"], "text": "welcome"})
        assert sent.status_code == 200, sent.text
        took = _eventually(lambda: "white" in blue.get("/v1/channel").json()["parties"])
        print(f"added party joined the channel after {took:.2f} s")
        (alert_id,) = blue.post("/v1/positions", json=_site("camp-2")).json()["alerts"]
        with client(server, white_token) as white:
            mine = white.get("/v1/alerts").json()["alerts"]
            assert alert_id in [a["id"] for a in mine]
            texts = [m["text"] for m in white.get("/v1/messages").json()["messages"]]
            assert texts == ["welcome"]
        # and a revoked one cannot be written to
        refused = blue.post("/v1/messages", json={"to": ["green"], "text": "still there?"})
        assert refused.status_code == 400 and "green" in refused.json()["error"]["message"]
    finally:
        blue.close()
