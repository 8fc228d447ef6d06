"""``POST /v1/stop``: a party asks the owner of a track, strike or movement to stop it."""

from __future__ import annotations

import json
import time
from typing import Any

from deconflict.service.clock import SimClock, iso
from deconflict.timefmt import parse_time

T0 = float(int(time.time()))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def strike(sid: str, lat: float = 35.0, lon: float = 40.0) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": sid, "kind": "strike", "radius_m": 300,
                       "start": iso(T0 + 3600), "end": iso(T0 + 4200)},
    }  # fmt: skip


def track(tid: str, lat: float, lon: float, heading: float) -> dict[str, Any]:
    return {"id": tid, "time": iso(T0), "lat": lat, "lon": lon, "alt_m": 3000.0,
            "gs_mps": 200.0, "track_deg": heading, "vs_mps": 0.0}  # fmt: skip


def setup(make_app: Any) -> tuple[Any, Any, dict[str, dict[str, str]]]:
    service, http = make_app()
    service.clock = SimClock(T0)
    tokens = {p: bearer(service.add_party(p)) for p in ("blue", "red", "green")}
    return service, http, tokens


def test_a_declared_strike_can_be_stopped_and_both_see_it(make_app: Any) -> None:
    _, http, h = setup(make_app)
    r = http.post("/v1/intents", json=strike("s1"), headers=h["red"])
    assert r.status_code == 200, r.text
    r = http.post("/v1/stop", json={"subject": "s1", "text": "stop now"}, headers=h["blue"])
    assert r.status_code == 200, r.text
    alert = r.json()["alert"]
    assert alert["kind"] == "stop-request" and alert["parties"] == ["blue", "red"]
    assert alert["subjects"] == ["s1"] and r.json()["repeat"] is False
    raised = parse_time(alert["raised_at"]) if "raised_at" in alert else T0
    assert parse_time(alert["deadline"]) - raised <= 60.0
    # the owner sees it, with who asked, and must answer it
    seen = {a["id"]: a for a in http.get("/v1/alerts", headers=h["red"]).json()["alerts"]}
    mine = seen[alert["id"]]
    assert mine["details"]["requester"] == "blue" and mine["awaiting"] == ["red"]
    # a bystander sees nothing of it
    other = http.get("/v1/alerts", headers=h["green"]).json()["alerts"]
    assert alert["id"] not in {a["id"] for a in other}
    # a repeat while it is open returns the same alert, no second one
    again = http.post("/v1/stop", json={"subject": "s1"}, headers=h["blue"])
    assert again.status_code == 200 and again.json()["alert"]["id"] == alert["id"]
    assert again.json()["repeat"] is True
    stops = [a for a in http.get("/v1/alerts", headers=h["red"]).json()["alerts"]
             if a["kind"] == "stop-request"]  # fmt: skip
    assert len(stops) == 1
    # the owner answers wilco; the requester sees the answer
    r = http.post(f"/v1/alerts/{alert['id']}/ack", json={"response": "wilco"}, headers=h["red"])
    assert r.status_code == 200, r.text
    back = http.get(f"/v1/alerts/{alert['id']}", headers=h["blue"]).json()["alert"]
    assert back["acks"]["red"]["response"] == "wilco" and back["state"] == "answered"
    # recorded in the ledger like other alerts
    lines = [json.loads(x) for x in http.get("/v1/log/export", headers=h["red"]).text.splitlines()]
    entries = [json.loads(x["leaf"]) for x in lines if "leaf" in x]
    raised = [e for e in entries if e["kind"] == "alert" and e["alert"]["id"] == alert["id"]]
    assert raised and raised[0]["alert"]["kind"] == "stop-request"
    assert any(e["kind"] == "ack" and e["alert"] == alert["id"] for e in entries)


def test_a_missed_stop_request_is_escalated_at_once(make_app: Any) -> None:
    service, http, h = setup(make_app)
    http.post("/v1/intents", json=strike("s2"), headers=h["red"])
    alert = http.post("/v1/stop", json={"subject": "s2"}, headers=h["blue"]).json()["alert"]
    service.clock.advance(59.0)
    service.step(full=True)
    a = http.get(f"/v1/alerts/{alert['id']}", headers=h["blue"]).json()["alert"]
    assert not a["escalated"]
    service.clock.advance(1.5)
    service.step(full=True)
    a = http.get(f"/v1/alerts/{alert['id']}", headers=h["blue"]).json()["alert"]
    assert a["escalated"] and a["overdue"] == ["red"]


def test_unknown_and_unseen_subjects_get_the_same_404(make_app: Any) -> None:
    _, http, h = setup(make_app)
    # red's track blue was never shown in an alert
    r = http.post("/v1/tracks", json=[track("r7", 10.0, 10.0, 90.0)], headers=h["red"])
    assert r.status_code == 200, r.text
    unseen = http.post("/v1/stop", json={"subject": "r7"}, headers=h["blue"])
    unknown = http.post("/v1/stop", json={"subject": "nope"}, headers=h["blue"])
    assert unseen.status_code == unknown.status_code == 404
    assert unseen.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert "r7" not in unknown.text and "red" not in unseen.text
    # one's own declaration cannot be "stopped" through the line
    http.post("/v1/intents", json=strike("own"), headers=h["blue"])
    assert http.post("/v1/stop", json={"subject": "own"}, headers=h["blue"]).status_code == 404


def test_a_track_shown_in_an_alert_can_be_stopped(make_app: Any) -> None:
    service, http, h = setup(make_app)
    # head-on at the same altitude, 6 km apart: a separation alert between them
    http.post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)], headers=h["blue"])
    http.post("/v1/tracks", json=[track("r1", 35.0, 40.066, 270.0)], headers=h["red"])
    service.step(full=True)
    kinds = [a["kind"] for a in http.get("/v1/alerts", headers=h["blue"]).json()["alerts"]]
    assert "separation" in kinds
    r = http.post("/v1/stop", json={"subject": "r1"}, headers=h["blue"])
    assert r.status_code == 200, r.text
    assert r.json()["alert"]["parties"] == ["blue", "red"]
    # green saw no alert of r1: 404
    assert http.post("/v1/stop", json={"subject": "r1"}, headers=h["green"]).status_code == 404


def test_bad_bodies_are_refused_naming_the_field(make_app: Any) -> None:
    _, http, h = setup(make_app)
    for body, field in (({}, "subject"), ({"subject": ""}, "subject"),
                        ({"subject": "x", "text": "y" * 2001}, "text"),
                        ({"subject": "x", "extra": 1}, "extra")):  # fmt: skip
        r = http.post("/v1/stop", json=body, headers=h["blue"])
        assert r.status_code == 400 and field in r.json()["error"]["message"], (body, r.text)
    assert http.post("/v1/stop", json={"subject": "x"}).status_code == 401


def test_an_id_two_parties_declared_goes_to_the_owner_named_never_to_a_twin(
    make_app: Any,
) -> None:
    """Ids are each party's own: green declaring its own strike under red's id must not
    catch blue's stop request for red's strike."""
    _, http, h = setup(make_app)
    assert http.post("/v1/intents", json=strike("red-s"), headers=h["red"]).status_code == 200
    twin = strike("red-s", lat=30.0)
    assert http.post("/v1/intents", json=twin, headers=h["green"]).status_code == 200
    r = http.post("/v1/stop", json={"subject": "red-s"}, headers=h["blue"])
    assert r.status_code == 409, r.text
    message = r.json()["error"]["message"]
    assert "green, red" in message and "'owner'" in message
    r = http.post("/v1/stop", json={"subject": "red-s", "owner": "red"}, headers=h["blue"])
    assert r.status_code == 200, r.text
    alert = r.json()["alert"]
    assert alert["parties"] == ["blue", "red"] and alert["details"]["owner"] == "red"
    assert alert["id"] not in {
        a["id"] for a in http.get("/v1/alerts", headers=h["green"]).json()["alerts"]
    }
    # an owner that holds no such object: the same 404 as an id nobody holds
    r = http.post("/v1/stop", json={"subject": "red-s", "owner": "blue"}, headers=h["blue"])
    missing = http.post("/v1/stop", json={"subject": "nothing"}, headers=h["blue"])
    assert r.status_code == missing.status_code == 404
    assert r.json()["error"]["message"].replace("red-s", "X") == missing.json()["error"][
        "message"
    ].replace("nothing", "X")
