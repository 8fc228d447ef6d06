"""``DELETE /v1/positions/{id}``, ``/v1/intents/{id}``, ``/v1/zones/{id}``: a party
withdraws its own declaration; the others are told; what it raised closes; a restart
keeps it withdrawn. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.ledger.log import PUBLIC_KEY_META, Log
from deconflict.ledger.signing import Signer, b64encode
from deconflict.service.clock import SimClock, iso, to_datetime
from deconflict.service.core import Service
from deconflict.store import open_database
from servicekit import StoreTarget

T0 = float(int(time.time()))
PARTIES = ("blue", "red", "green")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def site(sid: str, lat: float = 35.0, lon: float = 40.0) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": sid, "kind": "forces", "radius_m": 500},
    }


def strike(sid: str, lat: float = 35.0, lon: float = 40.001) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": sid, "kind": "strike", "radius_m": 300,
                       "start": iso(T0 + 3600), "end": iso(T0 + 4200)},
    }  # fmt: skip


def zone(zid: str) -> dict[str, Any]:
    ring = [[41.0, 36.0], [41.1, 36.0], [41.1, 36.1], [41.0, 36.1], [41.0, 36.0]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "id": zid,
            "rules": [{"party": "*", "action": "forbid"}],
            "parties": ["red", "blue"],
        },
    }


class Env:
    """A service over ``store`` with its app, opened again by :meth:`restart`."""

    def __init__(self, store: StoreTarget) -> None:
        self.store = store
        self.signer = Signer(Ed25519PrivateKey.generate())
        self.clock = SimClock(T0)
        self.tokens: dict[str, dict[str, str]] = {}

    @contextmanager
    def opened(self) -> Iterator[tuple[Service, TestClient]]:
        with open_database(self.store.target, create=True) as db:
            if db.ledger.get_meta(PUBLIC_KEY_META) is None:
                db.ledger.set_meta(PUBLIC_KEY_META, b64encode(self.signer.public_key))
            log = Log(db.ledger, self.signer, clock=lambda: to_datetime(self.clock.now()))
            service = Service(db, log, clock=self.clock)
            if not self.tokens:
                self.tokens = {p: bearer(service.add_party(p)) for p in PARTIES}
            try:
                with TestClient(create_app(service, run_detection=False)) as http:
                    yield service, http
            finally:
                service.store.close()


def entries(http: TestClient, h: dict[str, str]) -> list[dict[str, Any]]:
    lines = [json.loads(x) for x in http.get("/v1/log/export", headers=h).text.splitlines()]
    return [json.loads(x["leaf"]) for x in lines if "leaf" in x]


def alerts(http: TestClient, h: dict[str, str]) -> list[dict[str, Any]]:
    r = http.get("/v1/alerts", headers=h)
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()["alerts"]
    return out


def test_a_withdrawal_is_told_to_the_others_recorded_and_survives_a_restart(
    store: StoreTarget,
) -> None:
    env = Env(store)
    with env.opened() as (service, http):
        h = env.tokens
        assert http.post("/v1/positions", json=site("camp"), headers=h["blue"]).status_code == 200
        first = {a["id"] for a in alerts(http, h["red"]) if a["kind"] == "declaration"}
        r = http.delete("/v1/positions/camp", headers=h["blue"])
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["withdrawn"] == "camp" and set(body["receipt"]) >= {"index", "sth"}
        assert http.get("/v1/positions", headers=h["blue"]).json()["features"] == []
        # each other party must answer the withdrawal like any declaration
        for other in ("red", "green"):
            seen = {a["id"]: a for a in alerts(http, h[other])}
            (aid,) = body["alerts"]
            told = seen[aid]
            assert told["kind"] == "declaration" and told["details"]["action"] == "withdrawn"
            assert told["awaiting"] == ["green", "red"] and told["subjects"] == ["camp"]
            assert "withdrawn" in told["summary"]
            # the declaration's own alert closed: the id it announced is gone
            assert first and all(seen[i]["state"] in ("resolved", "expired") for i in first)
        r = http.post(f"/v1/alerts/{aid}/ack", json={"response": "roger"}, headers=h["red"])
        assert r.status_code == 200, r.text
        # recorded: one withdrawal entry, public, with the officer (none: a party token)
        mine = [e for e in entries(http, h["green"]) if e["kind"] == "withdrawal"]
        assert [(e["party"], e["id"], e["officer"]) for e in mine] == [("blue", "camp", None)]
        # withdrawn once: a second withdrawal finds nothing
        assert http.delete("/v1/positions/camp", headers=h["blue"]).status_code == 404
    with env.opened() as (service, http):
        assert ("blue", "camp") not in service.picture.declared
        assert http.get("/v1/positions", headers=env.tokens["blue"]).json()["features"] == []
        assert http.delete("/v1/positions/camp", headers=env.tokens["blue"]).status_code == 404


def test_another_party_cannot_withdraw_mine_nor_learn_of_it(store: StoreTarget) -> None:
    env = Env(store)
    with env.opened() as (service, http):
        h = env.tokens
        assert http.post("/v1/intents", json=strike("s1"), headers=h["blue"]).status_code == 200
        assert http.post("/v1/zones", json=zone("z1"), headers=h["blue"]).status_code == 200
        size = service.log.size
        probes = [
            ("/v1/intents/s1", "red"),  # another party's strike
            ("/v1/zones/z1", "red"),  # another party's zone (one that names red)
            ("/v1/intents/nothing", "red"),  # an id nobody holds
            ("/v1/positions/s1", "blue"),  # my own id, through another kind's route
            ("/v1/zones/s1", "blue"),
        ]
        answers = []
        for path, who in probes:
            r = http.delete(path, headers=h[who])
            assert r.status_code == 404, (path, who, r.text)
            error = r.json()["error"]
            answers.append((error["code"], error["message"].replace(path.split("/")[-1], "X")))
        # one answer for "another's" and "nobody's": nothing to tell them apart
        assert answers[0] == answers[2]
        assert all(a[0] == "not_found" for a in answers)
        assert service.log.size == size  # nothing written
        assert ("blue", "s1") in service.picture.declared
        assert ("blue", "z1") in service.picture.declared


def test_a_viewer_cannot_withdraw_and_an_officer_is_recorded(store: StoreTarget) -> None:
    env = Env(store)
    with env.opened() as (service, http):
        h = env.tokens
        viewer = bearer(service.admin.add_officer("blue", "Lt. Reed", "viewer"))
        duty = bearer(service.admin.add_officer("blue", "Capt. Hale", "duty"))
        service.refresh_parties()
        http.post("/v1/positions", json=site("camp"), headers=h["blue"])
        r = http.delete("/v1/positions/camp", headers=viewer)
        assert r.status_code == 403, r.text
        assert ("blue", "camp") in service.picture.declared
        r = http.delete("/v1/positions/camp", headers=duty)
        assert r.status_code == 200, r.text
        (entry,) = [e for e in entries(http, h["red"]) if e["kind"] == "withdrawal"]
        assert entry["officer"] == "Capt. Hale"


def test_a_retry_with_the_same_key_gets_the_first_answer(store: StoreTarget) -> None:
    env = Env(store)
    with env.opened() as (service, http):
        h = env.tokens
        assert http.post("/v1/zones", json=zone("z1"), headers=h["blue"]).status_code == 200
        key = {**h["blue"], "Idempotency-Key": "withdraw-z1"}
        first = http.delete("/v1/zones/z1", headers=key)
        assert first.status_code == 200, first.text
        size = service.log.size
        again = http.delete("/v1/zones/z1", headers=key)
        assert again.status_code == 200 and again.json() == first.json()
        assert service.log.size == size
        assert http.get("/v1/zones", headers=h["red"]).json()["features"] == []


def test_a_withdrawn_strike_stops_raising_strike_proximity(store: StoreTarget) -> None:
    env = Env(store)
    with env.opened() as (service, http):
        h = env.tokens
        http.post("/v1/positions", json=site("camp"), headers=h["blue"])
        http.post("/v1/intents", json=strike("s1"), headers=h["red"])
        service.step(full=True)
        near = [a for a in alerts(http, h["blue"]) if a["kind"] == "strike-proximity"]
        assert [a["state"] for a in near] == ["notified"], near
        r = http.delete("/v1/intents/s1", headers=h["red"])
        assert r.status_code == 200, r.text
        env.clock.advance(1.0)
        service.step()
        env.clock.advance(1.0)
        service.step(full=True)
        after = [a for a in alerts(http, h["blue"]) if a["kind"] == "strike-proximity"]
        assert [a["id"] for a in after] == [near[0]["id"]]
        assert after[0]["state"] in ("resolved", "expired")


def test_a_replaced_declaration_tells_the_others_it_was_amended(store: StoreTarget) -> None:
    env = Env(store)
    with env.opened() as (_, http):
        h = env.tokens
        http.post("/v1/positions", json=site("camp"), headers=h["blue"])
        r = http.post("/v1/positions", json=site("camp", lat=35.2), headers=h["blue"])
        assert r.status_code == 200, r.text
        seen = {a["id"]: a for a in alerts(http, h["red"])}
        (aid,) = r.json()["alerts"]
        assert seen[aid]["details"]["action"] == "amended"
        assert "amended" in seen[aid]["summary"]
        firsts = [a for a in seen.values() if a["details"].get("action") == "declared"]
        assert len(firsts) == 1 and "amended" not in firsts[0]["summary"]


def _round(ws: Any) -> list[dict[str, Any]]:
    """The events ``ws`` holds before the answer to a ping."""
    ws.send_json({"type": "ping"})
    seen = []
    while (event := ws.receive_json()) != {"type": "pong"}:
        seen.append(event)
    return seen


def _until(ws: Any, match: Any, pings: int = 50) -> list[dict[str, Any]]:
    """Events of ``ws`` until one ``match`` accepts (a ping between reads, so that a
    missing event fails instead of waiting for ever); every event read."""
    seen: list[dict[str, Any]] = []
    for _ in range(pings):
        seen += _round(ws)
        if any(match(e) for e in seen):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"no matching event: {seen[-5:]}")


def test_every_officer_of_the_declaring_party_sees_it_on_the_stream(store: StoreTarget) -> None:
    env = Env(store)
    with env.opened() as (service, http):
        duty = bearer(service.admin.add_officer("blue", "Capt. Hale", "duty"))
        viewer = bearer(service.admin.add_officer("blue", "Lt. Reed", "viewer"))
        sup = bearer(service.admin.add_officer("blue", "Col. Ames", "supervisor"))
        red_viewer = bearer(service.admin.add_officer("red", "Lt. Orlov", "viewer"))
        service.refresh_parties()
        with (
            http.websocket_connect("/v1/stream", headers=viewer) as wv,
            http.websocket_connect("/v1/stream", headers=sup) as ws,
            http.websocket_connect("/v1/stream", headers=red_viewer) as wr,
        ):
            for w in (wv, ws, wr):
                assert w.receive_json()["type"] == "hello"
            assert http.post("/v1/positions", json=site("camp"), headers=duty).status_code == 200

            def declared(e: dict[str, Any]) -> bool:
                return e.get("type") == "alert" and e["alert"]["subjects"] == ["camp"]

            for w in (wv, ws):  # its own declaration: every one of its officers, at once
                (event,) = [e for e in _until(w, declared) if declared(e)]
                assert event["alert"]["reach"] == ["duty", "supervisor", "viewer"]
            # red owes an answer: its viewer waits for the ladder
            assert not [e for e in _round(wr) + _round(wr) if declared(e)]
            assert http.delete("/v1/positions/camp", headers=duty).status_code == 200

            def withdrawn(e: dict[str, Any]) -> bool:
                return declared(e) and e["alert"]["details"]["action"] == "withdrawn"

            gone = {"type": "withdrawn", "party": "blue", "id": "camp", "kind": "position"}
            for w in (wv, ws):
                events = _until(w, withdrawn)
                if gone not in events:
                    events += _until(w, lambda e: e.get("type") == "withdrawn")
                assert gone in events
        for role in ("duty", "supervisor", "viewer"):
            assert {a["details"]["action"] for a in service.alerts_for("blue", role)} == {
                "declared",
                "withdrawn",
            }


def test_a_withdrawn_zone_closes_its_zone_entry_on_the_next_incremental_run(
    store: StoreTarget,
) -> None:
    env = Env(store)
    with env.opened() as (service, http):
        h = env.tokens
        z = zone("z1")
        z["properties"].update(
            {"parties": ["red"], "rules": [{"party": "blue", "action": "forbid"}]}
        )
        assert http.post("/v1/zones", json=z, headers=h["red"]).status_code == 200
        # many standing tracks far away, so that one incremental run re-checks only a
        # small slice of them; the entering track sorts last
        far = [
            {"id": f"a{i:02d}", "time": iso(T0), "lat": -40.0 - i * 0.1, "lon": 0.0,
             "alt_m": 3000.0, "gs_mps": 200.0, "track_deg": 0.0, "vs_mps": 0.0}
            for i in range(40)
        ]  # fmt: skip
        entering = {"id": "zz-in", "time": iso(T0), "lat": 36.05, "lon": 40.95, "alt_m": 3000.0,
                    "gs_mps": 200.0, "track_deg": 90.0, "vs_mps": 0.0}  # fmt: skip
        r = http.post("/v1/tracks", json=[*far, entering], headers=h["blue"])
        assert r.status_code == 200, r.text
        service.step(full=True)
        (entry,) = [a for a in alerts(http, h["blue"]) if a["kind"] == "zone-entry"]
        assert entry["state"] == "notified" and "z1" in entry["subjects"]
        assert http.delete("/v1/zones/z1", headers=h["red"]).status_code == 200
        env.clock.advance(0.1)
        service.step()  # incremental: a slice of the standing tracks, and the marked ones
        (after,) = [a for a in alerts(http, h["blue"]) if a["kind"] == "zone-entry"]
        assert after["id"] == entry["id"] and after["state"] in ("resolved", "expired")
