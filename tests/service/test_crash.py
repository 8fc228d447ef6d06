"""kill -9 during a stream of writes: every receipt handed out survives and verifies;
a changed byte in the store is named by ``verify``."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from deconflict.ledger.receipt import Receipt, verify_receipt_against
from servicekit import StoreTarget, add_party, cli, client, run_cli, track

pytestmark = pytest.mark.slow


def _writer(
    base: str, token: str, prefix: str, out: list[dict[str, Any]], stop: threading.Event
) -> None:
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    ) as c:
        k = 0
        while not stop.is_set():
            k += 1
            batch = [
                track(f"{prefix}{k % 50}-{j}", 30.0 + j * 0.01, 20.0 + k * 1e-4, 45.0)
                for j in range(20)
            ]
            try:
                r = c.post("/v1/tracks", json=batch)
            except httpx.TimeoutException:
                continue
            except httpx.HTTPError:
                return
            if r.status_code == 200:
                out.append(r.json()["receipt"])


def test_kill_9_loses_no_acknowledged_write(
    store: StoreTarget, server_factory: Any, tmp_path: Path
) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = server_factory()
    receipts: list[dict[str, Any]] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=_writer, args=(server.url, tokens[p], p, receipts, stop))
        for p in tokens
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60.0
    while len(receipts) < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    server.kill()
    stop.set()
    for t in threads:
        t.join(10)
    assert len(receipts) > 5, "the writers got some receipts before the kill"

    # the service comes back on the same store and carries on
    again = server_factory()
    with client(again, tokens["blue"]) as c:
        assert c.post("/v1/tracks", json=[track("after", 1.0, 1.0, 0.0)]).status_code == 200
    again.stop()

    export = tmp_path / "export.jsonl"
    export.write_text(cli(store, "log", "export").stdout)
    for rec in receipts:
        verify_receipt_against(Receipt.from_dict(rec), export.read_bytes().splitlines())
    plain = run_cli("verify", store.target)
    assert plain.returncode == 0, plain.stderr


def _change_one_byte(store: StoreTarget, index: int) -> None:
    """Flip one character of entry ``index``'s stored bytes, past the append-only guard."""
    if store.kind == "sqlite":
        with sqlite3.connect(store.target) as conn:
            conn.execute("DROP TRIGGER IF EXISTS ledger_leaves_no_update")
            (leaf,) = conn.execute(
                "SELECT leaf FROM ledger_leaves WHERE idx = ?", (index,)
            ).fetchone()
            changed = bytes(leaf).replace(b'"blue"', b'"blve"', 1)
            assert changed != bytes(leaf)
            conn.execute("UPDATE ledger_leaves SET leaf = ? WHERE idx = ?", (changed, index))
        return
    with psycopg.connect(store.target, autocommit=True) as conn:
        conn.execute("ALTER TABLE ledger_leaves DISABLE TRIGGER USER")
        (leaf,) = conn.execute("SELECT leaf FROM ledger_leaves WHERE idx = %s", (index,)).fetchone()
        changed = bytes(leaf).replace(b'"blue"', b'"blve"', 1)
        assert changed != bytes(leaf)
        conn.execute("UPDATE ledger_leaves SET leaf = %s WHERE idx = %s", (changed, index))


def test_one_changed_byte_is_named(store: StoreTarget, server_factory: Any) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = server_factory()
    with client(server, tokens["blue"]) as c:
        r = c.post("/v1/tracks", json=[track("b1", 1.0, 1.0, 0.0)])
        index = r.json()["receipt"]["index"]
        assert c.post("/v1/tracks", json=[track("b2", 1.0, 2.0, 0.0)]).status_code == 200
    server.stop()
    assert run_cli("verify", store.target).returncode == 0
    _change_one_byte(store, index)
    out = run_cli("verify", store.target)
    assert out.returncode == 1
    assert f"entry {index}" in out.stderr
