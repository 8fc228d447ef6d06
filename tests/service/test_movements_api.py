"""Ground movements over a real server on each store: declared, acknowledged by every
other party, flagged when short of notice, and a strike near the route told to both."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit import Server, StoreTarget, Stream, add_party, alert_event, client, iso_now

pytestmark = pytest.mark.slow

ROUTE = [[40.0, 35.0], [40.2, 35.0], [40.2, 35.2]]


def movement(start_s: float, end_s: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": ROUTE},
        "properties": {"id": "convoy-7", "kind": "movement", "width_m": 400,
                       "start": iso_now(start_s), "end": iso_now(end_s), **props},
    }  # fmt: skip


def strike(sid: str, lon: float, lat: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": sid, "kind": "strike", "radius_m": 300,
                       "start": iso_now(3600), "end": iso_now(4200)},
    }  # fmt: skip


def test_movement_declared_acknowledged_and_protected(
    store: StoreTarget, server_factory: Any
) -> None:
    tokens = {p: add_party(store, p) for p in ("ngo", "blue", "red")}
    server: Server = server_factory()
    ngo, blue, red = (client(server, tokens[p]) for p in ("ngo", "blue", "red"))
    streams = {p: Stream(server.url, tokens[p]) for p in tokens}
    for s in streams.values():
        s.wait_for(lambda e: e["type"] == "hello")

    # bad input: 400 naming the field
    r = ngo.post("/v1/intents", json=movement(7200, 3600))
    assert r.status_code == 400 and "'end'" in r.json()["error"]["message"], r.text
    bad = movement(600, 7200)
    bad["properties"]["width_m"] = -5
    r = ngo.post("/v1/intents", json=bad)
    assert r.status_code == 400 and "width_m" in r.json()["error"]["message"], r.text
    r = ngo.post("/v1/positions", json=movement(600, 7200))
    assert r.status_code == 400 and "does not belong in /v1/positions" in r.text
    r = ngo.post("/v1/intents", json=movement(600, 7200, party="blue"))
    assert r.status_code == 400 and "declares only its own" in r.text

    # declared with 10 min notice, under the default 48 h: accepted and flagged
    r = ngo.post("/v1/intents", json=movement(600, 7200))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == ["convoy-7"]
    notice = body["short_notice"]["convoy-7"]
    assert notice["required_s"] == 48 * 3600 and 500 < notice["notice_s"] <= 600
    own = ngo.get("/v1/intents").json()["features"]
    assert [f["properties"]["id"] for f in own] == ["convoy-7"]

    # every other party must acknowledge it, and sees the flag
    for p in ("blue", "red"):
        a = streams[p].wait_for(alert_event("declaration"))["alert"]
        assert a["subjects"] == ["convoy-7"]
        assert a["details"]["feature_kind"] == "movement"
        assert a["details"]["short_notice"]["required_s"] == 48 * 3600
        assert a["details"]["feature"]["geometry"]["coordinates"] == ROUTE
    decl = streams["blue"].wait_for(alert_event("declaration"))["alert"]
    r = blue.post(f"/v1/alerts/{decl['id']}/ack", json={"response": "roger"})
    assert r.status_code == 200, r.text

    # a strike 700 m off the route's second leg (inside radius + half width + margin),
    # in the movement's window: told to blue and ngo, not to red
    r = blue.post("/v1/intents", json=strike("s-near", 40.2 + 0.0077, 35.1))
    assert r.status_code == 200, r.text
    # and one 20 km away: nothing
    r = blue.post("/v1/intents", json=strike("s-far", 40.5, 35.1))
    assert r.status_code == 200, r.text
    near = alert_event("strike-proximity", subjects=["s-near", "convoy-7"])
    got = {p: streams[p].wait_for(near)["alert"] for p in ("ngo", "blue")}
    assert got["ngo"]["id"] == got["blue"]["id"]
    a = got["ngo"]
    assert a["parties"] == ["blue", "ngo"]
    assert a["details"]["position_kind"] == "movement"
    assert a["details"]["position_radius_m"] == 200
    assert a["details"]["distance_m"] == pytest.approx(700, abs=10)
    alerts = ngo.get("/v1/alerts").json()
    listed = alerts["alerts"] if isinstance(alerts, dict) else alerts
    assert not any(x["kind"] == "strike-proximity" and "s-far" in x["subjects"] for x in listed)
    assert not any(near(e) for e in streams["red"].events)
    red_alerts = red.get("/v1/alerts").json()
    red_listed = red_alerts["alerts"] if isinstance(red_alerts, dict) else red_alerts
    assert not any(x["kind"] == "strike-proximity" for x in red_listed)

    # blue's zone forbidding everyone across the first leg: a zone-entry for the movement,
    # told to ngo and blue; red's drone volume over the route: an intent-overlap
    ring = [[40.09, 34.95], [40.11, 34.95], [40.11, 35.05], [40.09, 35.05], [40.09, 34.95]]
    r = blue.post("/v1/zones", json={
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"id": "no-go", "parties": ["blue"],
                       "rules": [{"party": "*", "action": "forbid"}]}})  # fmt: skip
    assert r.status_code == 200, r.text
    entry = streams["ngo"].wait_for(alert_event("zone-entry", subjects=["convoy-7", "no-go"]))
    assert entry["alert"]["parties"] == ["blue", "ngo"]
    assert entry["alert"]["details"]["rule"] == "forbid"
    streams["blue"].wait_for(alert_event("zone-entry", subjects=["convoy-7", "no-go"]))
    r = red.post("/v1/intents", json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [40.2, 35.1]},
        "properties": {"id": "drones", "kind": "volume", "radius_m": 1000,
                       "start": iso_now(1800), "end": iso_now(5400)}})  # fmt: skip
    assert r.status_code == 200, r.text
    over = streams["red"].wait_for(alert_event("intent-overlap"))["alert"]
    assert sorted(over["subjects"]) == ["convoy-7", "drones"] and over["parties"] == ["ngo", "red"]
    streams["ngo"].wait_for(alert_event("intent-overlap"))
    assert not any(alert_event("intent-overlap")(e) for e in streams["blue"].events)
    for s in streams.values():
        s.close()
    for c in (ngo, blue, red):
        c.close()


def test_operator_sets_the_notice(store: StoreTarget, server_factory: Any) -> None:
    token = add_party(store, "ngo")
    add_party(store, "blue")
    server: Server = server_factory(DECONFLICT_MOVEMENT_NOTICE_S="300")
    with client(server, token) as ngo:
        r = ngo.post("/v1/intents", json=movement(600, 7200))
    assert r.status_code == 200, r.text
    assert "short_notice" not in r.json()
