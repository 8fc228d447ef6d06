"""Readback over a real server: a wilco carries what was understood; beyond 500 m of what
was declared both parties are told at once, on the alert and the stream, and the ledger
keeps it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from servicekit import Server, StoreTarget, Stream, add_party, alert_event, client, iso_now

pytestmark = pytest.mark.slow

AIM = [40.16, 35.245]
ZONE_RING = [[40.0, 35.0], [40.1, 35.0], [40.1, 35.1], [40.0, 35.1], [40.0, 35.0]]


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def square(dlon: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x + dlon, y] for x, y in ZONE_RING]]}


def ack(c: httpx.Client, alert_id: str, **body: Any) -> httpx.Response:
    return c.post(f"/v1/alerts/{alert_id}/ack", json={"response": "wilco", **body})


def acks_in_ledger(c: httpx.Client, alert_id: str) -> list[dict[str, Any]]:
    lines = [json.loads(x) for x in c.get("/v1/log/export").text.splitlines() if x]
    entries = [json.loads(x["leaf"]) for x in lines if "leaf" in x]
    return [e for e in entries if e.get("kind") == "ack" and e.get("alert") == alert_id]


def test_readback_matched_mismatched_and_refused(store: StoreTarget, server_factory: Any) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red", "green")}
    server: Server = server_factory()
    blue, red, green = (client(server, tokens[p]) for p in ("blue", "red", "green"))
    streams = {p: Stream(server.url, tokens[p]) for p in tokens}
    for s in streams.values():
        s.wait_for(lambda e: e["type"] == "hello")

    r = red.post("/v1/positions", json={
        "type": "Feature", "geometry": point(40.165, 35.245),
        "properties": {"id": "red-camp", "kind": "forces", "radius_m": 500}})  # fmt: skip
    assert r.status_code == 200, r.text
    r = blue.post("/v1/intents", json={
        "type": "Feature", "geometry": point(*AIM),
        "properties": {"id": "s1", "kind": "strike", "radius_m": 300,
                       "start": iso_now(3600), "end": iso_now(4200)}})  # fmt: skip
    assert r.status_code == 200, r.text
    near = streams["red"].wait_for(alert_event("strike-proximity"))["alert"]
    aid = near["id"]

    # bad geometry, a readback on another kind or with another response: 400 naming it
    for body in (
        {"understood": {"type": "LineString", "coordinates": [AIM, [40.2, 35.3]]}},
        {"understood": point(200.0, 35.0)},
        {"understood": {"type": "Polygon", "coordinates": [[[40, 35], [40.1, 35.1],
                                                             [40.1, 35], [40, 35.1], [40, 35]]]}},
        {"understood": "here"},
    ):  # fmt: skip
        r = ack(red, aid, **body)
        assert r.status_code in (400, 422), r.text
        assert "understood" in r.text
    r = red.post(f"/v1/alerts/{aid}/ack", json={"response": "roger", "understood": point(*AIM)})
    assert r.status_code == 400 and "wilco" in r.text
    # a party not in the alert cannot read back on it (nor learn it exists)
    r = ack(green, aid, understood=point(*AIM))
    assert r.status_code == 404, r.text

    # red understood the aim point within 150 m: matched, no event
    r = ack(red, aid, understood=point(AIM[0] + 0.0015, AIM[1]))
    assert r.status_code == 200, r.text
    red_ack = r.json()["alert"]["acks"]["red"]
    assert red_ack["response"] == "wilco" and "officer" in red_ack
    assert red_ack["readback"]["mismatch"] is False
    assert red_ack["readback"]["distance_m"] == pytest.approx(136.2, abs=1)

    # blue reads back a point 9 km off (as the first notice at Deir ez-Zor): both told
    r = ack(blue, aid, understood=point(AIM[0] + 0.099, AIM[1]))
    assert r.status_code == 200, r.text
    for p in ("blue", "red"):
        ev = streams[p].wait_for(lambda e: e["type"] == "readback")
        assert ev["alert"] == aid and ev["party"] == "blue"
        assert ev["readback"]["mismatch"] is True
        assert ev["readback"]["distance_m"] == pytest.approx(9000, rel=0.01)
        assert ev["understood"] == point(AIM[0] + 0.099, AIM[1])
        seen = streams[p].wait_for(
            lambda e: e["type"] == "alert" and e["alert"]["id"] == aid
            and (e["alert"]["acks"].get("blue") or {}).get("readback", {}).get("mismatch")
        )  # fmt: skip
        assert seen["alert"]["acks"]["red"]["readback"]["mismatch"] is False
    assert not any(e["type"] == "readback" for e in streams["green"].events)
    (entry,) = [e for e in acks_in_ledger(red, aid) if e["party"] == "blue"]
    assert entry["readback"]["mismatch"] is True and entry["understood"]["type"] == "Point"
    for s in streams.values():
        s.close()
    for c in (blue, red, green):
        c.close()


def test_readback_of_an_area(store: StoreTarget, server_factory: Any) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server: Server = server_factory()
    blue, red = (client(server, tokens[p]) for p in ("blue", "red"))
    s_red = Stream(server.url, tokens["red"])
    s_blue = Stream(server.url, tokens["blue"])
    for s in (s_red, s_blue):
        s.wait_for(lambda e: e["type"] == "hello")
    r = blue.post("/v1/zones", json={
        "type": "Feature", "geometry": square(0.0),
        "properties": {"id": "box", "parties": ["blue"],
                       "rules": [{"party": "*", "action": "forbid"}]}})  # fmt: skip
    assert r.status_code == 200, r.text
    decl = s_red.wait_for(alert_event("declaration"))["alert"]
    # the same square shifted 0.002 deg (about 180 m): matched
    r = ack(red, decl["id"], understood=square(0.002))
    assert r.status_code == 200, r.text
    assert r.json()["alert"]["acks"]["red"]["readback"]["mismatch"] is False
    assert not any(e["type"] == "readback" for e in s_red.events)
    # a second zone read back 0.02 deg off (about 1.8 km): a mismatch told to both
    r = blue.post("/v1/zones", json={
        "type": "Feature", "geometry": square(0.5),
        "properties": {"id": "box2", "parties": ["blue"],
                       "rules": [{"party": "*", "action": "forbid"}]}})  # fmt: skip
    decl2 = s_red.wait_for(alert_event("declaration", subjects=["box2"]))["alert"]
    r = ack(red, decl2["id"], understood=square(0.52))
    assert r.status_code == 200, r.text
    for s in (s_red, s_blue):
        ev = s.wait_for(lambda e: e["type"] == "readback")
        assert ev["alert"] == decl2["id"] and ev["readback"]["distance_m"] == pytest.approx(
            1822, rel=0.02
        )
    for s in (s_red, s_blue):
        s.close()
    blue.close()
    red.close()
