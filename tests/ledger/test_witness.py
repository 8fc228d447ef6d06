"""Witnesses against real processes: a ``deconflict serve`` and ``deconflict witness``
subprocesses. A witness cosigns each head it checked and the service shows the
cosignatures; an operator that forks the log (a stand-in server in front of the service
serves one party another head of the same size) or rewrites history (the SQLite store
rebuilt with a changed entry and re-signed with the real key) is caught: the witness
prints ``inconsistent head`` and exits 3. ``POST /v1/log/cosign`` takes only the
caller's own cosignature of a head the service signed, with the party's one witness key."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.ledger.log import Log
from deconflict.ledger.signing import Signer, TreeHead, b64encode
from deconflict.store import open_database
from deconflict.store.keys import load_signer
from servicekit import Server, StoreTarget, add_party, cli, client, run_cli


@pytest.fixture
def serve(store: StoreTarget, tmp_path: Path) -> Iterator[Any]:
    started: list[Server] = []

    def make() -> Server:
        s = Server(store, tmp_path / f"server{len(started)}.log")
        started.append(s)
        return s.start()

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> StoreTarget:
    return StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")


def service_key(store: StoreTarget) -> str:
    return cli(store, "log", "key").stdout.strip()


def service_signer(store: StoreTarget) -> Signer:
    (path,) = store.key_dir.glob("*.key")
    return load_signer(path)


def witness_cmd(url: str, state: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "deconflict.cli", "witness", url, "--state", str(state), *args]


def witness_once(url: str, token: str, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        witness_cmd(url, state, "--once", *args),
        env={**os.environ, "DECONFLICT_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cosigners(server_url: str, token: str) -> list[str]:
    with httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {token}"}) as c:
        return [x["party"] for x in c.get("/v1/log/head").json()["cosignatures"]]


def wait_until(check: Any, timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


class Standin:
    """A small HTTP server in front of the service: passes every request on (``pass``),
    answers 502 (``down``), or serves a forged head of the service's current size with
    another root, signed with the service's own key (``fork``)."""

    def __init__(self, upstream: str, signer: Signer) -> None:
        self.mode = "pass"
        self.upstream = httpx.Client(base_url=upstream, timeout=30.0)
        self.signer = signer
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if standin.mode == "down":
                    self._send(502, b'{"error": {"code": "down", "message": "down"}}')
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type")
                }
                r = standin.upstream.request(self.command, self.path, content=body, headers=headers)
                content = r.content
                if standin.mode == "fork" and self.path == "/v1/log/head" and r.status_code == 200:
                    content = json.dumps(standin.forge(r.json())).encode()
                self._send(r.status_code, content)

            def _send(self, status: int, content: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = _relay
            do_POST = _relay

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def forge(self, head: dict[str, Any]) -> dict[str, Any]:
        root = hashlib.sha256(b"another history for one party").digest()
        forged = self.signer.sign_head(TreeHead(head["tree_size"], root, head["timestamp"]))
        return {**head, **json.loads(forged.sth), **forged.to_dict(), "cosignatures": []}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.upstream.close()


def test_a_running_witness_cosigns_each_head_and_follows_the_log(
    store: StoreTarget, serve: Any, tmp_path: Path
) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red", "green")}
    key = service_key(store)
    (tmp_path / "service.pub").write_text(key + "\n")
    server = serve()
    state = tmp_path / "blue-witness"
    proc = subprocess.Popen(
        witness_cmd(
            server.url, state, "--public-key", str(tmp_path / "service.pub"), "--interval", "0.2"
        ),
        env={**os.environ, "DECONFLICT_TOKEN": tokens["blue"]},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with client(server, tokens["red"]) as red:
            # the first cosignature puts blue's witness key on the record, for every party
            head = wait_until(
                lambda: (h := red.get("/v1/log/head").json())["cosignatures"] and h,
                what="blue's cosignature of the latest head",
            )
            (cos,) = head["cosignatures"]
            assert cos["party"] == "blue" and set(cos) == {"party", "public_key", "signature"}
            assert head["parties"] == 3 and head["cosigned"]["sth"] == head["sth"]
            own = load_signer(state / "witness.key")
            assert cos["public_key"] == b64encode(own.public_key)
            assert (state / "witness.key").stat().st_mode & 0o777 == 0o600
            entries = [json.loads(x) for x in red.get("/v1/log/export").text.splitlines()]
            registered = [
                json.loads(e["leaf"]) for e in entries if "leaf" in e and "witness-key" in e["leaf"]
            ]
            assert [(r["kind"], r["party"], r["action"], r["public_key"]) for r in registered] == [
                ("party", "blue", "witness-key", cos["public_key"])
            ]
            # the log grows: the witness checks and cosigns the new head too
            r = red.post("/v1/messages", json={"to": ["blue"], "text": "hold north"})
            assert r.status_code == 200, r.text
            grown = json.loads(r.json()["receipt"]["sth"])["tree_size"]
            later = wait_until(
                lambda: (
                    (h := red.get("/v1/log/head").json())["cosigned"]
                    and h["cosigned"]["tree_size"] >= grown
                    and h
                ),
                what="the grown head cosigned",
            )
            assert [c["party"] for c in later["cosigned"]["cosignatures"]] == ["blue"]
        kept = json.loads((state / "state.json").read_text())
        assert kept["public_key"] == key
        assert json.loads(kept["head"]["sth"])["tree_size"] >= grown
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert "pinned key " + key in lines[0] and "cosigned" in lines[0]
    assert any("consistent with" in line for line in lines), out
    # its copy of the party's export verifies against the key it pinned
    checked = run_cli("verify", str(state / "export.jsonl"), "--state", str(state))
    assert checked.returncode == 0, checked.stderr


def test_a_forked_head_served_to_one_party_is_caught(
    sqlite_store: StoreTarget, tmp_path: Path
) -> None:
    store = sqlite_store
    blue = add_party(store, "blue")
    add_party(store, "red")
    key = service_key(store)
    server = Server(store, tmp_path / "server.log").start()
    standin = Standin(server.url, service_signer(store))
    state = tmp_path / "blue-witness"
    try:
        ok = witness_once(standin.url, blue, state, "--public-key", key)
        assert ok.returncode == 0, ok.stderr
        kept_before = (state / "state.json").read_text()
        # the service unreachable: --once says so (exit 4), the state is untouched
        standin.mode = "down"
        down = witness_once(standin.url, blue, state)
        assert down.returncode == 4, down.stderr
        assert "service unreachable" in down.stdout
        # the operator serves blue a head of the same size with another root, signed
        standin.mode = "fork"
        forked = witness_once(standin.url, blue, state)
        assert forked.returncode == 3, (forked.stdout, forked.stderr)
        assert forked.stdout.startswith("inconsistent head"), forked.stdout
        (evidence,) = state.glob("inconsistent-*.json")
        doc = json.loads(evidence.read_text())
        assert doc["kept"]["sth"] == json.loads(kept_before)["head"]["sth"]
        assert (
            json.loads(doc["received"]["sth"])["root_hash"]
            != json.loads(doc["kept"]["sth"])["root_hash"]
        )
        assert (state / "state.json").read_text() == kept_before  # the fork was not kept
        # the real log, straight from the service, is still consistent with what blue kept
        direct = witness_once(server.url, blue, state)
        assert direct.returncode == 0, direct.stderr
        assert "consistent with" in direct.stdout
    finally:
        standin.close()
        server.stop()


def _rewrite_history(store: StoreTarget, old: str, new: str, keep: int | None = None) -> None:
    """What an operator holding the database and the key can do: rebuild the log with one
    entry changed (or only its first ``keep`` entries), every later entry re-chained, and
    a new head signed with the real key."""
    path = store.target
    conn = sqlite3.connect(path)
    try:
        leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf FROM ledger_leaves ORDER BY idx")]
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for (name,) in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        for table in ("ledger_leaves", "ledger_nodes", "ledger_heads"):
            conn.execute(f"DELETE FROM {table}")
        conn.commit()
    finally:
        conn.close()
    entries = []
    for leaf in leaves[:keep]:
        entry = json.loads(leaf.decode().replace(old, new))
        del entry["index"], entry["prev_hash"]
        entries.append(entry)
    assert keep is not None or any(new in json.dumps(e) for e in entries)
    with open_database(path) as db:
        log = Log(db.ledger, service_signer(store))
        log.append(entries)
        log.sign_head()


@pytest.mark.parametrize("how", ["changed", "cut back"])
def test_rewritten_history_re_signed_with_the_real_key_is_caught(
    sqlite_store: StoreTarget, tmp_path: Path, how: str
) -> None:
    store = sqlite_store
    blue, red = add_party(store, "blue"), add_party(store, "red")
    key = service_key(store)
    server = Server(store, tmp_path / "server.log").start()
    state = tmp_path / "red-witness"
    try:
        with client(server, blue) as c:
            r = c.post("/v1/messages", json={"to": ["red"], "text": "hold fire until 07:00"})
            assert r.status_code == 200, r.text
        ok = witness_once(server.url, red, state, "--public-key", key)
        assert ok.returncode == 0, ok.stderr
        server.stop()
        # changed: the message says 08:00; cut back: the log ends before the message
        _rewrite_history(store, "until 07:00", "until 08:00", 2 if how == "cut back" else None)
        # the store verifies on its own: the rewrite is consistent with itself
        assert run_cli("verify", store.target).returncode == 0
        server.start()
        with client(server, blue) as c:
            exported = c.get("/v1/log/export").text
        (tmp_path / "rewritten.jsonl").write_text(exported)
        caught = witness_once(server.url, red, state)
        assert caught.returncode == 3, (caught.stdout, caught.stderr)
        assert caught.stdout.startswith("inconsistent head"), caught.stdout
        if how == "cut back":
            assert "smaller than the head kept" in caught.stdout
            assert len(list(state.glob("inconsistent-*.json"))) == 1
            return
        # and verify, given the witness's state, refuses the rewritten export
        refused = run_cli("verify", str(tmp_path / "rewritten.jsonl"), "--state", str(state))
        assert refused.returncode == 1, refused.stderr
        assert "does not extend the head" in refused.stderr
        kept = run_cli("verify", str(state / "export.jsonl"), "--state", str(state))
        assert kept.returncode == 0, kept.stderr
    finally:
        server.stop()


def test_a_later_run_with_another_key_is_refused(sqlite_store: StoreTarget, tmp_path: Path) -> None:
    store = sqlite_store
    blue = add_party(store, "blue")
    key = service_key(store)
    server = Server(store, tmp_path / "server.log").start()
    state = tmp_path / "w"
    try:
        nothing = witness_once(server.url, blue, state)
        assert nothing.returncode == 2 and "--public-key" in nothing.stderr
        wrong = b64encode(Signer.generate().public_key)
        refused_first = witness_once(server.url, blue, state, "--public-key", wrong)
        assert refused_first.returncode == 1 and "refused head" in refused_first.stderr
        assert not (state / "state.json").exists()
        assert witness_once(server.url, blue, state, "--public-key", key).returncode == 0
        again = witness_once(server.url, blue, state, "--public-key", wrong)
        assert again.returncode == 2 and "refused" in again.stderr
        bad_token = witness_once(server.url, "dcf_nope", state)
        assert bad_token.returncode == 2 and "token" in bad_token.stderr
    finally:
        server.stop()


def test_cosign_takes_only_the_callers_own_cosignature_of_a_head_it_signed(
    store: StoreTarget, serve: Any
) -> None:
    blue, red = add_party(store, "blue"), add_party(store, "red")
    server = serve()
    mine, theirs = Signer.generate(), Signer.generate()

    def body(signer: Signer, sth: str, **extra: Any) -> dict[str, Any]:
        sig = b64encode(signer.sign(sth.encode()))
        return {"sth": sth, "public_key": b64encode(signer.public_key), "signature": sig, **extra}

    with client(server, blue) as b, client(server, red) as r:
        head = b.get("/v1/log/head").json()
        assert head["cosignatures"] == [] and head["cosigned"] is None
        sth = head["sth"]
        bad = {**body(mine, sth), "signature": b64encode(theirs.sign(sth.encode()))}
        assert b.post("/v1/log/cosign", json=bad).status_code == 400
        assert b.post("/v1/log/cosign", json=body(mine, sth, party="red")).status_code == 400
        made_up = sth.replace('"timestamp":', '"timestamp":1')
        assert b.post("/v1/log/cosign", json=body(mine, made_up)).status_code == 409
        ok = b.post("/v1/log/cosign", json=body(mine, sth))
        assert ok.status_code == 200, ok.text
        answer = ok.json()
        assert [c["party"] for c in answer["cosignatures"]] == ["blue"]
        assert answer["witness_key"]["public_key"] == b64encode(mine.public_key)
        registered = json.loads(answer["receipt"]["leaf"])
        assert (registered["kind"], registered["action"]) == ("party", "witness-key")
        assert (
            b.post("/v1/log/cosign", json=body(mine, sth)).json()["witness_key"]
            == answer["witness_key"]
        )  # again: the same, nothing new on the record
        # red may not use blue's key, even replaying blue's own cosignature
        assert r.post("/v1/log/cosign", json=body(mine, sth)).status_code == 409
        # blue's key is on the record for red too
        assert b64encode(mine.public_key) in r.get("/v1/log/export").text
        # another key for blue only after its token is rotated
        assert b.post("/v1/log/cosign", json=body(theirs, sth)).status_code == 409
    new_blue = cli(store, "party", "rotate-token", "blue").stdout.strip().splitlines()[-1]
    with client(server, new_blue) as b:
        sth = b.get("/v1/log/head").json()["sth"]
        moved = b.post("/v1/log/cosign", json=body(theirs, sth))
        assert moved.status_code == 200, moved.text
        entry = json.loads(moved.json()["receipt"]["leaf"])
        assert entry["replaces"] == b64encode(mine.public_key)
        now = b.get("/v1/log/head").json()
        assert now["cosigned"]["cosignatures"][0]["public_key"] == b64encode(theirs.public_key)
