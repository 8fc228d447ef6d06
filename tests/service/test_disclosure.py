"""The disclosure rule against a real server: a party cannot watch another party's
aircraft by drawing a zone, nor relay them to a third party by naming it; a zone the
track's party has consented to tells its owner, and the track's party always learns
what of its own was shown."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit import StoreTarget, Stream, add_party, alert_event, client, track

pytestmark = pytest.mark.slow


def _zone(id: str, parties: list[str], **props: Any) -> dict[str, Any]:
    """A 50 km circle around (35.0, 40.0), forbidden to everyone."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.0, 35.0]},
        "properties": {
            "id": id,
            "name": id,
            "status": "claimed",
            "parties": parties,
            "radius_m": 50_000,
            "rules": [{"party": "*", "action": "forbid"}],
            **props,
        },
    }


def _sees_blue(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alert events (or views) that show anything of blue's tracks."""
    out = []
    for e in events:
        a = e.get("alert", e)
        if a.get("kind") in (None, "declaration"):
            continue
        if "blue" in a.get("parties", []) or "b1" in a.get("subjects", []):
            out.append(a)
    return out


def _after_sentinel(stream: Stream, c_from: Any, to: str) -> None:
    """Wait until ``stream`` has everything published before now: a message sent now
    arrives after every earlier event."""
    text = "sentinel"
    assert c_from.post("/v1/messages", json={"to": [to], "text": text}).status_code == 200
    stream.wait_for(lambda e: e.get("type") == "message" and e["message"]["text"] == text)


def test_a_zone_does_not_watch_or_relay_other_parties_tracks(
    store: StoreTarget, server_factory: Any
) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red", "green")}
    server = server_factory()
    c = {p: client(server, t) for p, t in tokens.items()}
    red_stream, green_stream = (
        Stream(server.url, tokens["red"]),
        Stream(server.url, tokens["green"]),
    )
    blue_stream = Stream(server.url, tokens["blue"])
    try:
        # red names only itself ("agreed" at once) and a zone naming green, which never
        # consents; blue's aircraft flies inside both
        assert c["red"].post("/v1/zones", json=_zone("watch", ["red"])).status_code == 200
        assert c["red"].post("/v1/zones", json=_zone("relay", ["red", "green"])).status_code == 200
        for k in range(3):
            body = [track("b1", 35.0, 40.0 + 0.01 * k, 90.0)]
            assert c["blue"].post("/v1/tracks", json=body).status_code == 200
            # blue itself is warned of each zone
            for zone in ("watch", "relay"):
                warned = blue_stream.wait_for(
                    lambda e, z=zone: alert_event("zone-entry")(e) and z in e["alert"]["subjects"]
                )["alert"]
                assert warned["parties"] == ["blue"]
                assert list(warned["acks"]) == ["blue"]
        _after_sentinel(red_stream, c["blue"], "red")
        _after_sentinel(green_stream, c["blue"], "green")
        assert _sees_blue(red_stream.events) == []
        assert _sees_blue(green_stream.events) == []
        for p in ("red", "green"):
            assert _sees_blue(c[p].get("/v1/alerts").json()["alerts"]) == []
            export = c[p].get("/v1/log/export").text
            assert '"b1"' not in export and "blue/b1" not in export
    finally:
        for s in (red_stream, green_stream, blue_stream):
            s.close()
        for cl in c.values():
            cl.close()


def test_a_zone_consented_to_tells_its_parties_and_the_track_party(
    store: StoreTarget, server_factory: Any
) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = server_factory()
    c = {p: client(server, t) for p, t in tokens.items()}
    red_stream = Stream(server.url, tokens["red"])
    try:
        assert c["red"].post("/v1/zones", json=_zone("shared", ["red", "blue"])).status_code == 200
        assert (
            c["blue"].post("/v1/zones/shared/consent").json()["zone"]["properties"]["status"]
            == "agreed"
        )
        assert c["blue"].post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
        seen = red_stream.wait_for(alert_event("zone-entry"))["alert"]
        assert seen["parties"] == ["blue", "red"]
        assert set(seen["details"]["states"]) == {"b1"}
        # the track's party receives the very alert that showed its aircraft
        mine = c["blue"].get(f"/v1/alerts/{seen['id']}").json()["alert"]
        assert mine["details"]["states"] == seen["details"]["states"]
    finally:
        red_stream.close()
        for cl in c.values():
            cl.close()
