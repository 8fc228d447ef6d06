"""A withheld entry of a redacted export cannot be confirmed by guessing its contents.

A third party (``green``) reads the log through ``GET /v1/log/export``: the entries of an
alert between ``blue`` and ``red`` and blue's private message to red appear only as their
leaf hash. Green knows the entries' format (ledger.md), every index and ``prev_hash``
(from the hashes around them), the times (from its own entries: the service runs on a
simulated clock, so green knows them exactly) and the alert's key (its kind and the
track ids, which an attacker may well know). It rebuilds every candidate ack and message
entry — ids derived from key and time, the four answers, a six-word dictionary for the
text — and compares leaf hashes. Every entry the service writes carries a random salt and
every id it assigns is random, so none of the candidates matches; without them, the
same search confirmed both answers and the text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.kinds import RESPONSES
from deconflict.ledger.hashing import leaf_hash
from deconflict.ledger.log import PUBLIC_KEY_META, Log
from deconflict.ledger.proofs import verify_consistency
from deconflict.ledger.receipt import Receipt
from deconflict.ledger.signing import Signer, b64encode
from deconflict.service.clock import SimClock, iso, to_datetime
from deconflict.service.config import ServiceConfig
from deconflict.service.core import Service
from deconflict.store import open_database
from deconflict.timefmt import parse_time
from servicekit import StoreTarget, Stream, add_party, alert_event, cli, client, track

T0 = 1_700_000_000.0
WORDS = ("hold", "bridge", "north", "south", "convoy", "strike")
"""The attacker's dictionary; blue's message is one of them."""
ZEROS = "0" * 64


def salt_bits(value: Any) -> int:
    """Bits of a ``salt`` value, read as hex or as base64url (0 if it is neither)."""
    if not isinstance(value, str) or not value:
        return 0
    try:
        return 8 * len(bytes.fromhex(value))
    except ValueError:
        pass
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return 0
    return 8 * len(raw)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _hash(obj: dict[str, Any]) -> str:
    return leaf_hash(_canonical(obj).encode("utf-8")).hex()


@contextmanager
def _service(
    tmp: Path, config: ServiceConfig | None = None
) -> Iterator[tuple[Service, TestClient, SimClock]]:
    """The service on a simulated clock, over a log opened bare (no salt of its own):
    the service must salt what it writes whatever log it is given."""
    clock = SimClock(T0)
    db = open_database(str(tmp / "service.db"), create=True)
    signer = Signer.generate()
    with db:
        db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
        service = Service(db, log, config=config or ServiceConfig(), clock=clock)
        with TestClient(create_app(service, run_detection=False)) as http:
            yield service, http, clock


def _track(id: str, lat: float, lon: float, heading: float, now: float) -> dict[str, Any]:
    return {
        "id": id,
        "time": iso(now),
        "lat": lat,
        "lon": lon,
        "alt_m": 9000.0,
        "gs_mps": 250.0,
        "track_deg": heading,
        "vs_mps": 0.0,
    }


def _derived_alert_ids(key: str, times: list[float]) -> set[str]:
    """What an alert's id was made of: its key and the millisecond it was raised."""
    out = set()
    for t in times:
        text = f"{key}@{t:.3f}"
        out.add("al-" + hashlib.sha256(text.encode()).hexdigest()[:16])
    return out


def _derived_message_ids(sender: str, to: list[str], text: str, times: list[float]) -> set[str]:
    """What a message's id was made of: sender, recipients, text, time and a count."""
    out = set()
    for t in times:
        for count in range(8):
            digest = hashlib.sha256(_canonical([sender, to, text, t, count]).encode()).hexdigest()
            out.add("msg-" + digest[:16])
    return out


def test_a_third_party_cannot_confirm_withheld_answers_or_messages_by_guessing(
    tmp_path: Path,
) -> None:
    with _service(tmp_path) as (service, http, clock):
        tokens = {p: service.add_party(p) for p in ("blue", "red", "green")}

        def call(party: str, method: str, path: str, body: Any = None) -> Any:
            r = http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {tokens[party]}"}
            )
            assert r.status_code == 200, r.text
            return r.json() if path != "/v1/log/export" else r.text

        def green_marks_the_time() -> None:
            call("green", "POST", "/v1/tracks", [_track("g1", 10.0, 10.0, 0.0, clock.now())])

        clock.set(T0 + 1.0)
        green_marks_the_time()
        call("blue", "POST", "/v1/tracks", [_track("b1", 35.0, 40.0, 90.0, clock.now())])
        call("red", "POST", "/v1/tracks", [_track("r1", 35.0, 40.3, 270.0, clock.now())])
        clock.set(T0 + 2.0)
        service.step()
        (alert,) = call("blue", "GET", "/v1/alerts")["alerts"]
        assert alert["kind"] == "separation" and alert["parties"] == ["blue", "red"]
        green_marks_the_time()
        clock.set(T0 + 3.0)
        call("blue", "POST", f"/v1/alerts/{alert['id']}/ack", {"response": "roger"})
        call("red", "POST", f"/v1/alerts/{alert['id']}/ack", {"response": "wilco"})
        green_marks_the_time()
        clock.set(T0 + 4.0)
        sent = call("blue", "POST", "/v1/messages", {"to": ["red"], "text": "bridge"})["message"]
        green_marks_the_time()
        export = call("green", "GET", "/v1/log/export").splitlines()
        key = service.alerts[alert["id"]].key  # kind, track ids and parties: guessable
        full = [json.loads(leaf) for _, leaf in service.log.entries()]

    lines = [json.loads(x) for x in export[:-1]]
    hashes = [
        x["leaf_hash"] if "leaf_hash" in x else leaf_hash(x["leaf"].encode()).hex() for x in lines
    ]
    withheld = [i for i, x in enumerate(lines) if "leaf_hash" in x]
    own = [json.loads(x["leaf"]) for x in lines if "leaf" in x]
    assert withheld and any(e["party"] == "green" for e in own)
    # green's clock readings: the times of the entries it may read
    stamps = sorted({e["time"] for e in own})
    times = sorted({parse_time(s) for s in stamps})

    # the alert's id, rebuilt from its key and time, or even granted outright
    alert_ids = _derived_alert_ids(key, times) | {alert["id"]}
    confirmed = []
    for i in withheld:
        prev = hashes[i - 1] if i else ZEROS
        for party in ("blue", "red"):
            for response in RESPONSES:
                for aid in alert_ids:
                    for stamp in stamps:
                        guess = {
                            "alert": aid,
                            "index": i,
                            "kind": "ack",
                            "officer": None,
                            "party": party,
                            "prev_hash": prev,
                            "response": response,
                            "time": stamp,
                        }
                        if _hash(guess) == hashes[i]:
                            confirmed.append((i, party, response))
    # the message's text, from the dictionary, with its id rebuilt or granted
    for i in withheld:
        prev = hashes[i - 1] if i else ZEROS
        for word in WORDS:
            ids = _derived_message_ids("blue", ["red"], word, times) | {sent["id"]}
            for mid in ids:
                for stamp in stamps:
                    message = {
                        "at": stamp,
                        "from": "blue",
                        "id": mid,
                        "officer": None,
                        "text": word,
                        "to": ["red"],
                    }
                    guess = {
                        "index": i,
                        "kind": "message",
                        "message": message,
                        "party": "blue",
                        "prev_hash": prev,
                        "time": stamp,
                    }
                    if _hash(guess) == hashes[i]:
                        confirmed.append((i, "blue", word))
    assert confirmed == [], f"green confirmed withheld entries: {confirmed}"

    # ids the service assigns are not made of what they identify
    assert alert["id"] not in _derived_alert_ids(key, times)
    assert sent["id"] not in _derived_message_ids("blue", ["red"], "bridge", times)
    # the guesses were right in everything but the salt: with it, they match
    acks = [(k, e) for k, e in enumerate(full) if e["kind"] == "ack"]
    assert {(e["party"], e["response"]) for _, e in acks} == {("blue", "roger"), ("red", "wilco")}
    for k, e in acks:
        known = ("alert", "index", "kind", "officer", "party", "prev_hash", "response")
        guess = {f: e[f] for f in known}
        assert _hash({**guess, "time": e["time"], "salt": e["salt"]}) == hashes[k]
    # every entry the service wrote is salted, each with its own salt
    assert all(salt_bits(e.get("salt")) >= 128 for e in full), [e for e in full if "salt" not in e]
    assert len({e["salt"] for e in full}) == len(full)


def _entries(export: str) -> list[dict[str, Any]]:
    return [json.loads(json.loads(x)["leaf"]) for x in export.splitlines()[:-1]]


@pytest.mark.slow
def test_every_entry_the_service_and_its_commands_write_is_salted(
    store: StoreTarget, server_factory: Any
) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    cli(store, "log", "append", "--party", "blue", "--kind", "phone-call", "--text", "hold")
    server = server_factory()
    c = {p: client(server, t) for p, t in tokens.items()}
    red_stream = Stream(server.url, tokens["red"])
    try:
        site = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [20.0, 20.0]},
            "properties": {"id": "camp", "kind": "protected", "radius_m": 500},
        }
        assert c["blue"].post("/v1/positions", json=site).status_code == 200
        zone = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [30.0, 30.0]},
            "properties": {
                "id": "z1",
                "name": "z1",
                "status": "claimed",
                "parties": ["blue", "red"],
                "radius_m": 5_000,
                "rules": [{"party": "*", "action": "advisory"}],
            },
        }
        assert c["red"].post("/v1/zones", json=zone).status_code == 200
        assert c["blue"].post("/v1/zones/z1/consent").status_code == 200
        assert c["blue"].post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
        written = c["red"].post("/v1/tracks", json=[track("r1", 35.0, 40.3, 270.0)]).json()
        # no head interval: the head follows every write
        assert (
            c["blue"].get("/v1/log/head").json()["tree_size"]
            >= json.loads(written["receipt"]["sth"])["tree_size"]
        )
        alert = red_stream.wait_for(alert_event("separation"))["alert"]
        for p, response in (("blue", "roger"), ("red", "wilco")):
            ack = c[p].post(f"/v1/alerts/{alert['id']}/ack", json={"response": response})
            assert ack.status_code == 200
        sent = c["blue"].post("/v1/messages", json={"to": ["red"], "text": "bridge"}).json()
        assert c["red"].post("/v1/channel/suspend", json={"reason": "drill"}).status_code == 200
        assert c["red"].post("/v1/channel/resume").status_code == 200
        cli(store, "party", "add", "green")
        cli(store, "party", "rotate-token", "green")
        cli(store, "party", "revoke", "green")
    finally:
        red_stream.close()
        for cl in c.values():
            cl.close()
    server.stop()
    cli(store, "log", "rotate-key")
    entries = _entries(cli(store, "log", "export").stdout)
    kinds = {e["kind"] for e in entries}
    assert kinds >= {
        "party", "phone-call", "declaration", "alert", "notification", "consent", "tracks",
        "ack", "message", "channel", "key-rotation",
    }  # fmt: skip
    unsalted = [e for e in entries if salt_bits(e.get("salt")) < 128]
    assert unsalted == []
    assert len({e["salt"] for e in entries}) == len(entries)
    # the ids the service assigned: 128 random bits each, none alike
    ids = [alert["id"], sent["message"]["id"]] + [
        e["alert"]["id"] for e in entries if e["kind"] == "alert" and e["event"] == "raised"
    ]
    for i in ids:
        assert salt_bits(i.split("-", 1)[1]) >= 128, i
    assert len(set(ids)) == len(ids) - 1  # the separation alert appears twice


def _wait_for_new_head(c: Any, seen: dict[str, Any], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = c.get("/v1/log/head").json()
        if head["sth"] != seen["sth"]:
            return dict(head)
        time.sleep(0.05)
    raise AssertionError(f"no new head in {timeout} s")


@pytest.mark.slow
def test_with_a_head_interval_another_partys_writes_show_only_at_the_tick(
    store: StoreTarget, server_factory: Any
) -> None:
    interval = 2.0
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = server_factory(DECONFLICT_HEAD_INTERVAL_S=str(interval))
    blue, red = client(server, tokens["blue"]), client(server, tokens["red"])
    try:
        seen = red.get("/v1/log/head").json()
        for _ in range(5):
            # just after a tick: two writes of blue's, then what red is shown
            before = _wait_for_new_head(red, seen, 3 * interval)
            receipts = []
            for text in ("one", "two"):
                r = blue.post("/v1/messages", json={"to": ["red"], "text": text})
                assert r.status_code == 200
                receipts.append(Receipt.from_dict(r.json()["receipt"]))
            shown = red.get("/v1/log/head").json()
            seen = shown
            if shown["timestamp"] == before["timestamp"]:
                break  # (else a tick came between them: try again after the next one)
        else:
            raise AssertionError("no two writes fell inside one interval")
        assert shown == before
        assert json.loads(red.get("/v1/log/export").text.splitlines()[-1])["sth"] == before["sth"]
        # blue's receipts prove its own entries at once, beyond the head red is shown
        for receipt in receipts:
            assert receipt.verify().tree_size > before["tree_size"]
        assert blue.get("/v1/log/head").json() == before
        # at the tick the head covers them, and extends the one before
        after = _wait_for_new_head(red, before, 3 * interval)
        assert after["tree_size"] >= receipts[-1].verify().tree_size
        proof = red.get(
            "/v1/log/consistency",
            params={"first": before["tree_size"], "second": after["tree_size"]},
        ).json()["proof"]
        verify_consistency(
            before["tree_size"],
            after["tree_size"],
            bytes.fromhex(before["root_hash"]),
            bytes.fromhex(after["root_hash"]),
            [bytes.fromhex(h) for h in proof],
        )
        # heads keep coming on the cadence with nothing written
        assert _wait_for_new_head(red, after, 3 * interval)["tree_size"] == after["tree_size"]
    finally:
        blue.close()
        red.close()


def test_a_head_interval_holds_the_head_the_export_and_the_proofs(tmp_path: Path) -> None:
    with _service(tmp_path, ServiceConfig(head_interval_s=10.0)) as (service, http, clock):
        tokens = {p: service.add_party(p) for p in ("blue", "red")}
        clock.set(T0 + 10.0)  # a tick
        head = service.head()
        for text in ("one", "two"):
            clock.advance(1.0)
            out = service.send_message("blue", ["red"], text)
            assert Receipt.from_dict(out["receipt"]).verify().tree_size > head["tree_size"]
        assert service.head() == head
        auth = {"Authorization": f"Bearer {tokens['red']}"}
        assert http.get("/v1/log/head", headers=auth).json() == head
        lines = http.get("/v1/log/export", headers=auth).text.splitlines()
        assert len(lines) == head["tree_size"] + 1
        assert json.loads(lines[-1])["sth"] == head["sth"]
        beyond = {"index": head["tree_size"], "tree_size": head["tree_size"] + 1}
        assert http.get("/v1/log/inclusion", params=beyond, headers=auth).status_code == 404
        assert (
            http.get(
                "/v1/log/inclusion", params={"index": head["tree_size"]}, headers=auth
            ).status_code
            == 404
        )
        wider = {"first": 1, "second": head["tree_size"] + 1}
        assert http.get("/v1/log/consistency", params=wider, headers=auth).status_code == 404
        clock.set(T0 + 20.0)  # the next tick
        after = service.head()
        assert after["tree_size"] == head["tree_size"] + 2
        assert after["timestamp"] == int((T0 + 20.0) * 1000)
        clock.advance(9.0)
        assert service.head() == after  # nothing signed in between
