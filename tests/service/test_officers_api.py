"""Officers over the real service on both stores: the CLI's contract, viewers refused
writes, answers with the officer, revocation from another process within 1 s, the
ladder on the stream, and an officer of one party against another's data."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from servicekit import Server, StoreTarget, Stream, add_party, cli, client

SITE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.14, 35.33]},
    "properties": {"id": "hospital-1", "kind": "protected", "radius_m": 500},
}


def add_officer(store: StoreTarget, party: str, name: str, role: str) -> str:
    out = cli(store, "officer", "add", party, name, "--role", role)
    return out.stdout.strip().splitlines()[-1]


def declaration(event: dict[str, Any]) -> bool:
    return event.get("type") == "alert" and event["alert"]["kind"] == "declaration"


def test_officers_over_the_api(store: StoreTarget, tmp_path: Path) -> None:
    blue, red = add_party(store, "blue"), add_party(store, "red")
    duty = add_officer(store, "red", "Capt. Orlov", "duty")
    sup = add_officer(store, "red", "Col. Petrov", "supervisor")
    viewer = add_officer(store, "red", "Lt. Sokolov", "viewer")
    blue_duty = add_officer(store, "blue", "Maj. Hale", "duty")
    listed = cli(store, "officer", "list", "red").stdout.splitlines()
    assert listed == [
        "red\tCapt. Orlov\tduty\tactive",
        "red\tCol. Petrov\tsupervisor\tactive",
        "red\tLt. Sokolov\tviewer\tactive",
    ]
    assert cli(store, "officer", "add", "nobody", "x", check=False).returncode == 2
    server = Server(store, tmp_path / "server.log", args=("--ladder", "declaration=2,4"))
    server.start()
    try:
        drive(server, store, blue=blue, red=red, duty=duty, sup=sup, viewer=viewer, b=blue_duty)
    finally:
        server.stop()


def drive(server: Server, store: StoreTarget, **tokens: str) -> None:
    """The watch: blue declares, red's duty officer is slow, the ladder climbs."""
    duty, sup, viewer, red = tokens["duty"], tokens["sup"], tokens["viewer"], tokens["red"]
    blue_duty = tokens["b"]
    s_duty, s_sup = Stream(server.url, duty), Stream(server.url, sup)
    s_party = Stream(server.url, red)
    hello = s_sup.wait_for(lambda e: e["type"] == "hello")
    assert (hello["party"], hello["officer"], hello["role"]) == ("red", "Col. Petrov", "supervisor")
    with client(server, blue_duty) as b, client(server, duty) as rd, client(server, viewer) as rv:
        assert b.post("/v1/positions", json=SITE).status_code == 200
        raised = s_duty.wait_for(declaration)["alert"]
        assert raised["details"]["officer"] == "Maj. Hale" and raised["reach"] == ["duty"]
        s_party.wait_for(declaration)  # the party's own token: every alert at once
        # the supervisor gets it only once the first step passed, with red's silence
        t0 = time.monotonic()
        climbed = s_sup.wait_for(declaration, timeout=10)["alert"]
        assert time.monotonic() - t0 > 1.0
        assert climbed["reach"] == ["duty", "supervisor"]
        assert [u["party"] for u in climbed["unanswered"]] == ["red"]
        # a viewer reads and never writes
        assert rv.get("/v1/alerts").status_code == 200
        for path, body in (
            (f"/v1/alerts/{raised['id']}/ack", {"response": "roger"}),
            ("/v1/messages", {"to": ["blue"], "text": "x"}),
            ("/v1/positions", SITE),
            ("/v1/channel/suspend", {"reason": "x"}),
        ):
            r = rv.post(path, json=body)
            assert r.status_code == 403, (path, r.text)
            assert r.json()["error"]["code"] == "forbidden"
        ack = rd.post(f"/v1/alerts/{raised['id']}/ack", json={"response": "wilco"})
        assert ack.status_code == 200, ack.text
        assert ack.json()["alert"]["acks"]["red"]["officer"] == "Capt. Orlov"
        seen = b.get(f"/v1/alerts/{raised['id']}").json()["alert"]
        assert seen["acks"]["red"]["officer"] == "Capt. Orlov" and seen["unanswered"] == []
        # blue reads red's duty roster (present) and nothing else of red's officers
        roster = b.get("/v1/officers").json()
        assert roster["me"] == {"party": "blue", "officer": "Maj. Hale", "role": "duty"}
        red_roster = next(r for r in roster["roster"] if r["party"] == "red")
        assert red_roster["officers"] == [{"name": "Capt. Orlov", "present": True}]
        assert "Petrov" not in str(roster) and "Sokolov" not in str(roster)
        # and red's officers read blue's duty officer, nothing of red's own beyond its party
        red_view = rd.get("/v1/officers").json()["roster"]
        blue_for_red = next(r for r in red_view if r["party"] == "blue")
        assert blue_for_red["officers"] == [{"name": "Maj. Hale", "present": False}]
        # an officer of red answers for red only: blue's answer to red's declaration stays
        # blue's to give
        made = rd.post(
            "/v1/positions", json={**SITE, "properties": {**SITE["properties"], "id": "r-1"}}
        )
        (red_made,) = made.json()["alerts"]
        assert made.json()["alerts"] and red_made
        rd.post(f"/v1/alerts/{red_made}/ack", json={"response": "wilco"})
        theirs = b.get(f"/v1/alerts/{red_made}").json()["alert"]
        assert theirs["acks"]["blue"] is None and theirs["awaiting"] == ["blue"]
        assert theirs["details"]["officer"] == "Capt. Orlov"
        # a viewer of red cannot answer for blue either, nor read an alert of blue's alone
        assert rv.post(f"/v1/alerts/{red_made}/ack", json={"response": "roger"}).status_code == 403
        # revoked from another process: refused within 1 s, its stream closed
        cli(store, "officer", "revoke", "red", "Capt. Orlov")
        assert rd.get("/v1/alerts").status_code == 401
        deadline = time.monotonic() + 3.0
        while s_duty.closed is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert s_duty.closed is not None
        assert any(e.get("type") == "closed" for e in s_duty.events)
        # the party's witness key is bound by its own token only, never by one officer
        cosign = {"sth": "{}", "public_key": "AAAA", "signature": "AAAA"}
        with client(server, sup) as rs:
            refused = rs.post("/v1/log/cosign", json=cosign)
        assert refused.status_code == 403 and "officer" in refused.json()["error"]["message"]
        # the party's own token keeps working for machine clients, officer null
        with client(server, red) as machine:
            alerts = machine.get("/v1/alerts").json()["alerts"]
            other = next(a for a in alerts if a["subjects"] == ["hospital-1"])
            assert other["acks"]["red"]["officer"] == "Capt. Orlov"
    for s in (s_sup, s_party):
        s.close()
