"""Need-to-know and acting as oneself: every object kind × every party, over a real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servicekit import StoreTarget, Stream, add_party, alert_event, cli, client, run_cli, track

pytestmark = pytest.mark.slow

PARTIES = ("blue", "red", "green")


MISSING = "al-0000000000000000"


def _same_error(a: Any, b: Any, existing: str) -> None:
    """Two refusals that must not tell an existing object from a missing one."""
    assert a.status_code == b.status_code == 404
    ea, eb = a.json()["error"], b.json()["error"]
    assert ea["code"] == eb["code"] == "not_found"
    assert ea["message"].replace(existing, "ID") == eb["message"].replace(MISSING, "ID")


def test_authorization_matrix(store: StoreTarget, server_factory: Any, tmp_path: Path) -> None:
    tokens = {p: add_party(store, p) for p in PARTIES}
    server = server_factory()
    c = {p: client(server, tokens[p]) for p in PARTIES}
    s_blue = Stream(server.url, tokens["blue"])

    # objects owned by blue and red
    assert c["blue"].post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
    assert c["red"].post("/v1/tracks", json=[track("r1", 35.0, 40.5, 270.0)]).status_code == 200
    alert = s_blue.wait_for(alert_event("separation"))["alert"]
    s_blue.close()
    msg = c["blue"].post("/v1/messages", json={"to": ["red"], "text": "private"}).json()
    zone = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.2, 35.2]},
        "properties": {
            "id": "z-east",
            "status": "claimed",
            "parties": ["blue", "red"],
            "radius_m": 20000,
            "rules": [{"party": "*", "action": "forbid"}],
        },
    }
    assert c["blue"].post("/v1/zones", json=zone).status_code == 200
    site = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.1, 35.1]},
        "properties": {"id": "camp", "kind": "protected", "radius_m": 300},
    }
    assert c["blue"].post("/v1/positions", json=site).status_code == 200

    involved = {"blue", "red"}
    for p in PARTIES:
        cl = c[p]
        # alerts: involved parties read and answer; the other learns nothing
        got = cl.get(f"/v1/alerts/{alert['id']}")
        missing = cl.get(f"/v1/alerts/{MISSING}")
        if p in involved:
            assert got.status_code == 200
            assert got.json()["alert"]["parties"] == ["blue", "red"]
        else:
            _same_error(got, missing, alert["id"])
            ack = cl.post(f"/v1/alerts/{alert['id']}/ack", json={"response": "roger"})
            ack_missing = cl.post(f"/v1/alerts/{MISSING}/ack", json={"response": "roger"})
            _same_error(ack, ack_missing, alert["id"])
            assert all(a["id"] != alert["id"] for a in cl.get("/v1/alerts").json()["alerts"])
        # tracks: own only, never another party's history
        own = {t["id"] for t in cl.get("/v1/tracks").json()["tracks"]}
        assert own == {"blue": {"b1"}, "red": {"r1"}, "green": set()}[p]
        # messages: sender and addressees only
        texts = [m["text"] for m in cl.get("/v1/messages").json()["messages"]]
        assert texts == (["private"] if p in involved else [])
        # positions: own only; zones: everyone, with consent state
        ids = [f["properties"]["id"] for f in cl.get("/v1/positions").json()["features"]]
        assert ids == (["camp"] if p == "blue" else [])
        zones = cl.get("/v1/zones").json()["features"]
        assert [z["properties"]["id"] for z in zones] == ["z-east"]
        assert zones[0]["properties"]["awaiting_consent"] == ["red"]
        # nobody acts as another
        other = next(q for q in PARTIES if q != p)
        forged = cl.post("/v1/tracks", json=[track("x", 1.0, 1.0, 0.0, party=other)])
        assert forged.status_code == 400
        forged_site = {**site, "properties": {**site["properties"], "id": "x", "party": other}}
        assert cl.post("/v1/positions", json=forged_site).status_code == 400
        forged_zone = {
            **zone,
            "properties": {**zone["properties"], "id": f"z-{p}", "consents": [other]},
        }
        assert cl.post("/v1/zones", json=forged_zone).status_code == 400
        # the export: entries the party may not read are hashes only
        lines = [json.loads(x) for x in cl.get("/v1/log/export").text.splitlines()]
        readable = [json.loads(x["leaf"]) for x in lines if "leaf" in x]
        hidden = [x for x in lines if "leaf_hash" in x]
        assert hidden, "some entries are another party's"
        assert "sth" in lines[-1]
        for e in readable:
            if e["kind"] == "tracks":
                assert e["party"] == p
            if e["kind"] == "message":
                assert p in (e["message"]["to"] + [e["party"]])
            if e["kind"] in ("alert", "notification", "ack") and p == "green":
                ref = e.get("alert")
                aid = ref["id"] if isinstance(ref, dict) else ref
                assert aid != alert["id"]

    # consent: only a named party, once
    assert c["green"].post("/v1/zones/z-east/consent").status_code == 403
    assert c["blue"].post("/v1/zones/z-east/consent").status_code == 409
    ok = c["red"].post("/v1/zones/z-east/consent")
    assert ok.status_code == 200 and ok.json()["zone"]["properties"]["status"] == "agreed"
    assert c["red"].post("/v1/zones/nope/consent").status_code == 404
    # the channel is each party's own to suspend
    assert c["green"].post("/v1/channel/resume", json={}).status_code == 409
    # a redacted export still verifies end to end, and holds the party's own receipts
    receipt = msg["receipt"]
    key = cli(store, "log", "key").stdout.strip()  # as the operator publishes it
    for p in PARTIES:
        path = tmp_path / f"export-{p}.jsonl"
        path.write_text(c[p].get("/v1/log/export").text)
        assert run_cli("verify", str(path), "--public-key", key).returncode == 0
        rpath = tmp_path / "receipt.json"
        rpath.write_text(json.dumps(receipt))
        if p in involved:
            out = run_cli("verify-receipt", str(rpath), "--against", str(path))
            assert out.returncode == 0, out.stderr
    lines = (tmp_path / "export-green.jsonl").read_text().splitlines()
    k = next(i for i, x in enumerate(lines) if '"leaf":' in x and "camp" in x)
    lines[k] = lines[k].replace("camp", "cAmp")
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    bad = run_cli("verify", str(tmp_path / "bad.jsonl"), "--public-key", key)
    assert bad.returncode == 1 and f"entry {k}" in bad.stderr
    for cl in c.values():
        cl.close()
