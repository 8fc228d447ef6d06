"""Three parties over a real server: report, be warned, answer, talk, suspend, prove."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.ledger.receipt import Receipt
from deconflict.ledger.signing import b64decode
from servicekit import (
    Server,
    StoreTarget,
    Stream,
    add_party,
    alert_event,
    cli,
    client,
    run_cli,
    track,
)

pytestmark = pytest.mark.slow


def head_on(prefix_b: str = "b1", prefix_r: str = "r1", lat: float = 35.0) -> tuple[Any, Any]:
    """Blue eastbound and red westbound at the same level, 45 km apart: loss of separation
    in about 73 s."""
    return track(prefix_b, lat, 40.0, 90.0), track(prefix_r, lat, 40.5, 270.0)


def error_of(r: httpx.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    return dict(body["error"])


def tree_size(c: httpx.Client) -> int:
    return int(c.get("/v1/log/head").json()["tree_size"])


def test_three_parties_full_flow(store: StoreTarget, server_factory: Any, tmp_path: Path) -> None:
    tokens = {
        p: add_party(store, p, lang) for p, lang in (("blue", "en"), ("red", "ru"), ("green", "ar"))
    }
    server: Server = server_factory()
    blue, red, green = (client(server, tokens[p]) for p in ("blue", "red", "green"))
    receipts: list[dict[str, Any]] = []

    # every request is authenticated
    r = httpx.get(server.url + "/v1/alerts")
    assert r.status_code == 401 and error_of(r)["code"] == "unauthenticated"
    r = httpx.get(server.url + "/v1/alerts", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401

    s_blue = Stream(server.url, tokens["blue"])
    s_red = Stream(server.url, tokens["red"], header=False)
    s_green = Stream(server.url, tokens["green"])
    for s in (s_blue, s_red, s_green):
        s.wait_for(lambda e: e["type"] == "hello")

    # a conflict between blue and red reaches both, and only them
    b1, r1 = head_on()
    rb = blue.post("/v1/tracks", json=[b1])
    assert rb.status_code == 200, rb.text
    assert rb.json()["accepted"] == 1
    receipts.append(rb.json()["receipt"])
    rr = red.post("/v1/tracks", json=[r1])
    assert rr.status_code == 200, rr.text
    receipts.append(rr.json()["receipt"])
    ev_b = s_blue.wait_for(alert_event("separation"))["alert"]
    ev_r = s_red.wait_for(alert_event("separation"))["alert"]
    assert ev_b["id"] == ev_r["id"]
    alert_id = ev_b["id"]
    assert ev_b["parties"] == ["blue", "red"]
    assert sorted(ev_b["subjects"]) == ["b1", "r1"]
    assert 50 < ev_b["t"] < 90
    assert ev_b["acks"] == {"blue": None, "red": None}
    assert ev_b["deadline"] is not None and ev_b["state"] == "notified"
    # the summary is in each party's language, the facts the same
    assert ev_b["summary"].startswith("Separation: ")
    assert ev_r["summary"].startswith("Опасное сближение")
    assert {k: v for k, v in ev_b.items() if k not in ("summary", "language")} == {
        k: v for k, v in ev_r.items() if k not in ("summary", "language")
    }
    listed = blue.get("/v1/alerts").json()["alerts"]
    assert [a["id"] for a in listed if a["kind"] == "separation"] == [alert_id]
    assert all(a["id"] != alert_id for a in green.get("/v1/alerts").json()["alerts"]), (
        "an uninvolved party sees nothing of the alert"
    )
    assert green.get(f"/v1/alerts/{alert_id}").status_code == 404
    assert green.post(f"/v1/alerts/{alert_id}/ack", json={"response": "roger"}).status_code == 404

    # answers: red wilco, blue roger; each sees the other's
    bad = blue.post(f"/v1/alerts/{alert_id}/ack", json={"response": "maybe"})
    assert bad.status_code == 400 and error_of(bad)["code"] == "invalid_input"
    ra = red.post(f"/v1/alerts/{alert_id}/ack", json={"response": "wilco", "text": "turning"})
    assert ra.status_code == 200, ra.text
    receipts.append(ra.json()["receipt"])
    seen = s_blue.wait_for(
        lambda e: (
            e["type"] == "alert"
            and e["alert"]["id"] == alert_id
            and (e["alert"]["acks"]["red"] or {}).get("response") == "wilco"
        )
    )
    assert seen["alert"]["acks"]["red"]["text"] == "turning"
    ba = blue.post(f"/v1/alerts/{alert_id}/ack", json={"response": "roger"})
    assert ba.status_code == 200
    receipts.append(ba.json()["receipt"])
    assert ba.json()["alert"]["state"] == "answered"

    # a party acts only as itself; a rejected request writes nothing
    before = tree_size(blue)
    forged = blue.post("/v1/tracks", json=[track("x1", 35.0, 41.0, 0.0, party="red")])
    assert forged.status_code == 400 and "party" in error_of(forged)["message"]
    half = blue.post(
        "/v1/tracks", json=[track("x2", 35.0, 41.0, 0.0), track("x3", 95.0, 41.0, 0.0)]
    )
    assert half.status_code == 400 and "lat" in error_of(half)["message"]
    assert tree_size(blue) == before
    assert all(t["id"] != "x2" for t in blue.get("/v1/tracks").json()["tracks"])
    # a party reads its own tracks only
    assert {t["id"] for t in blue.get("/v1/tracks").json()["tracks"]} == {"b1"}
    assert {t["id"] for t in red.get("/v1/tracks").json()["tracks"]} == {"r1"}

    # messages reach who they are addressed to
    m = blue.post("/v1/messages", json={"to": ["red"], "text": "hold west of the river"})
    assert m.status_code == 200, m.text
    receipts.append(m.json()["receipt"])
    s_red.wait_for(lambda e: e["type"] == "message" and e["message"]["from"] == "blue")
    assert [x["text"] for x in red.get("/v1/messages").json()["messages"]] == [
        "hold west of the river"
    ]
    assert green.get("/v1/messages").json()["messages"] == []

    # the channel: red walks away; alerts still reach blue, marked
    sus = red.post("/v1/channel/suspend", json={"reason": "strike on our airfield"})
    assert sus.status_code == 200, sus.text
    receipts.append(sus.json()["receipt"])
    for s in (s_blue, s_green):
        ch = s.wait_for(lambda e: e["type"] == "channel")["channel"]
        assert ch["state"] == "suspended" and ch["suspended"] == ["red"]
        assert ch["parties"]["red"]["reason"] == "strike on our airfield"
    assert red.post("/v1/channel/suspend", json={"reason": "again"}).status_code == 409
    b2, r2 = head_on("b2", "r2", lat=36.0)
    assert blue.post("/v1/tracks", json=[b2]).status_code == 200
    assert red.post("/v1/tracks", json=[r2]).status_code == 200
    marked = s_blue.wait_for(lambda e: e["type"] == "alert" and "b2" in e["alert"]["subjects"])[
        "alert"
    ]
    assert marked["suspended"] == ["red"]
    res = red.post("/v1/channel/resume", json={"reason": "line restored"})
    assert res.status_code == 200
    receipts.append(res.json()["receipt"])
    assert green.get("/v1/channel").json()["state"] == "open"
    history = green.get("/v1/channel").json()["history"]
    assert [h["action"] for h in history] == ["suspend", "resume"]

    # a declaration must be answered by every other party
    site = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.14, 35.33]},
        "properties": {
            "id": "hospital-1",
            "kind": "protected",
            "radius_m": 500,
            "name": "Al-Assad hospital",
        },
    }
    d = blue.post("/v1/positions", json=site)
    assert d.status_code == 200, d.text
    receipts.append(d.json()["receipt"])
    for s in (s_red, s_green):
        dec = s.wait_for(alert_event("declaration"))["alert"]
        assert dec["subjects"] == ["hospital-1"]
        assert dec["awaiting"] == ["green", "red"]
    assert [f["properties"]["id"] for f in blue.get("/v1/positions").json()["features"]] == [
        "hospital-1"
    ]
    assert red.get("/v1/positions").json()["features"] == []
    not_mine = dict(site, properties={**site["properties"], "party": "red", "id": "h2"})
    assert blue.post("/v1/positions", json=not_mine).status_code == 400

    # idempotent retries
    batch = [track("b9", 10.0, 10.0, 0.0)]
    one = blue.post("/v1/tracks", json=batch, headers={"Idempotency-Key": "k-1"})
    size = tree_size(blue)
    two = blue.post("/v1/tracks", json=batch, headers={"Idempotency-Key": "k-1"})
    assert one.json() == two.json() and tree_size(blue) == size
    other = blue.post(
        "/v1/tracks", json=[track("b8", 10.0, 10.0, 0.0)], headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 409

    # the record: every receipt verifies against the published key and the export
    head = blue.get("/v1/log/head").json()
    key = b64decode(head["public_key"], "public key")
    for rec in receipts:
        Receipt.from_dict(rec).verify(key)
    for s in (s_blue, s_red, s_green):
        s.close()
    for c in (blue, red, green):
        c.close()
    server.stop()
    export = tmp_path / "export.jsonl"
    out = cli(store, "log", "export")
    export.write_text(out.stdout)
    for i, rec in enumerate(receipts):
        path = tmp_path / f"r{i}.json"
        path.write_text(json.dumps(rec))
        check = run_cli("verify-receipt", str(path), "--against", str(export))
        assert check.returncode == 0, check.stderr
    key = cli(store, "log", "key").stdout.strip()
    final = run_cli("verify", str(export), "--public-key", key)
    assert final.returncode == 0, final.stderr
