"""Faults under load: the server killed with SIGKILL, again and again; the PostgreSQL
server going down and coming back mid-stream; the disk filling up under SQLite; clocks
that disagree. No acknowledged write is ever lost, a refused one leaves nothing behind,
and every failure answers a JSON error that says what happened."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from reliability.relkit import (
    Serve,
    SmallDisk,
    ThrowawayPostgres,
    Writers,
    export_and_check,
    run_cli,
)
from servicekit import StoreTarget, Stream, add_party, iso_now, track

pytestmark = pytest.mark.slow

FAST = {"DECONFLICT_RATE_PER_S": "100000", "DECONFLICT_BURST": "100000"}


def test_kill_9_under_load_three_times(store: StoreTarget, serve: Any, tmp_path: Path) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red", "green")}
    receipts: list[dict[str, Any]] = []
    size = 0
    for _ in range(3):
        server = serve(**FAST)
        with server.client(tokens["blue"]) as c:
            # what the previous rounds acknowledged is there after the restart
            assert c.get("/v1/log/head").json()["tree_size"] >= size
        writers = Writers(server.url, tokens).start()
        writers.wait_for_receipts(30)
        server.kill()
        writers.stop()
        assert 500 not in writers.refused, writers.errors
        receipts += writers.receipts
        size = export_and_check(store, receipts, tmp_path)
        assert size >= len(receipts) + len(tokens)
        print(
            f"\nkill -9 ({store.kind}): {len(writers.receipts)} receipts this round, "
            f"{len(receipts)} in all, every one verified; log of {size} entries verified"
        )


def test_postgres_down_and_back_mid_stream(own_postgres: ThrowawayPostgres, tmp_path: Path) -> None:
    store = StoreTarget("postgres", own_postgres.url, tmp_path / "keys")
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = Serve(store, tmp_path / "server.log", (), FAST).start()
    try:
        writers = Writers(server.url, tokens).start()
        writers.wait_for_receipts(20)
        own_postgres.stop("immediate")  # a crash of the database server
        stopped = time.monotonic()
        with server.client(tokens["blue"], timeout=60.0) as c:
            # while it is down: 503 with a JSON error that says so, and quickly
            answers = []
            while time.monotonic() - stopped < 8.0:
                t0 = time.monotonic()
                r = c.post("/v1/tracks", json=[track("probe", 1.0, 1.0, 0.0)])
                answers.append((r.status_code, r.json(), time.monotonic() - t0))
            codes = {status for status, _, _ in answers}
            assert codes == {503}, answers[:3]
            assert all(body["error"]["code"] == "store_error" for _, body, _ in answers)
            assert "PostgreSQL" in answers[-1][1]["error"]["message"]
            assert "unreachable" in answers[-1][1]["error"]["message"]
            print(
                f"\nPostgreSQL down: first refusal after {answers[0][2]:.2f} s, then "
                f"{len(answers) - 1} in {8.0 - answers[0][2]:.1f} s, slowest "
                f"{max(t for _, _, t in answers[1:]) * 1000:.1f} ms"
            )
            assert answers[0][2] < 10.0, "the first refusal waits at most for the pool"
            assert max(t for _, _, t in answers[1:]) < 3.0, "later refusals are quick"
            receipts_down = len(writers.receipts)
            own_postgres.start()
            restarted = time.monotonic()
            while True:
                r = c.post("/v1/tracks", json=[track("probe", 1.0, 1.0, 0.0)])
                if r.status_code == 200:
                    break
                assert r.status_code == 503, r.text
                assert time.monotonic() - restarted < 10.0, f"reconnected within 10 s: {r.text}"
                time.sleep(0.1)
            print(
                f"\nPostgreSQL back: service writing again {time.monotonic() - restarted:.2f} s "
                f"after the server restarted; {len(answers)} refusals while down"
            )
        writers.wait_for_receipts(receipts_down + 20)
        writers.stop()
        assert set(writers.refused) <= {503}, writers.errors
    finally:
        server.stop()
    export_and_check(store, writers.receipts, tmp_path)


def test_full_disk_refuses_writes_whole_and_recovers(tmp_path: Path) -> None:
    disk = SmallDisk(tmp_path / "disk", size=4 << 20)
    try:
        store = StoreTarget("sqlite", str(disk.path / "service.db"), tmp_path / "keys")
        keys = ["--key-dir", str(store.key_dir)]
        tokens = {
            p: run_cli("party", "add", p, "--db", store.target, *keys, prefix=disk.enter)
            .stdout.strip()
            .splitlines()[-1]
            for p in ("blue", "red")
        }
        server = Serve(store, tmp_path / "server.log", (), FAST, prefix=disk.enter).start()
        receipts = []
        with server.client(tokens["blue"]) as c:
            for k in range(5):
                r = c.post(
                    "/v1/tracks",
                    json=[track(f"ok{k}-{j}", 30, 20 + j * 0.01, 0) for j in range(50)],
                )
                assert r.status_code == 200, r.text
                receipts.append(r.json()["receipt"])
            disk.fill(keep=32 << 10)
            refused = None
            for k in range(300):
                batch = [track(f"refused{k}-{j}", 31, 20 + j * 0.01, 0) for j in range(50)]
                r = c.post("/v1/tracks", json=batch)
                if r.status_code != 200:
                    refused = r
                    break
                receipts.append(r.json()["receipt"])
            assert refused is not None, "the disk filled up"
            assert refused.status_code == 507, refused.text
            error = refused.json()["error"]
            assert error["code"] == "disk_full" and "disk is full" in error["message"]
            # other writes are refused the same way (once the space a refused transaction
            # left in the write-ahead log is used up); reads still answer
            disk.fill(keep=0)
            for _ in range(100):
                r = c.post("/v1/messages", json={"to": ["red"], "text": "x" * 3000})
                if r.status_code != 200:
                    break
                receipts.append(r.json()["receipt"])
            assert r.status_code == 507, r.text
            assert c.get("/v1/tracks").status_code == 200
            assert c.get("/v1/log/head").status_code == 200
            disk.free()
            r = c.post("/v1/tracks", json=[track("after", 30, 20, 0)])
            assert r.status_code == 200, r.text
            receipts.append(r.json()["receipt"])
        server.stop()
        # nothing of a refused request was kept: not its tracks, not a ledger entry
        again = Serve(store, tmp_path / "server2.log", (), FAST, prefix=disk.enter).start()
        with again.client(tokens["blue"]) as c:
            ids = {t["id"] for t in c.get("/v1/tracks").json()["tracks"]}
        again.stop()
        assert "after" in ids and not any(i.startswith(f"refused{k}-") for i in ids)
        size = export_and_check(store, receipts, tmp_path, prefix=disk.enter)
        assert size == len(receipts) + len(tokens)  # the parties and the acknowledged writes
    finally:
        disk.close()


def test_clock_skew_is_refused_naming_the_rule(store: StoreTarget, serve: Any) -> None:
    token = add_party(store, "blue")
    server = serve(DECONFLICT_MAX_FUTURE_S="5", DECONFLICT_TRACK_MAX_AGE_S="60")
    with server.client(token) as c:
        size = c.get("/v1/log/head").json()["tree_size"]
        for offset, words in (
            (30.0, ("ahead of the service clock", "at most 5 s")),
            (86400.0 * 365 * 100, ("ahead of the service clock", "at most 5 s")),
            (-120.0, ("old", "older than 60 s")),
            (-86400.0 * 365 * 50, ("old", "older than 60 s")),
        ):
            batch = [
                track("ok", 35.0, 40.0, 90.0),
                track("skewed", 35.0, 40.1, 90.0, time=iso_now(offset)),
            ]
            r = c.post("/v1/tracks", json=batch)
            assert r.status_code == 400, r.text
            message = r.json()["error"]["message"]
            assert message.startswith("tracks[1].time: "), message
            assert all(w in message for w in words), message
        assert c.get("/v1/log/head").json()["tree_size"] == size, "a refused batch writes nothing"
        assert c.get("/v1/tracks").json()["tracks"] == []
        for offset in (4.0, -50.0):
            r = c.post("/v1/tracks", json=[track("fine", 35.0, 40.0, 90.0, time=iso_now(offset))])
            assert r.status_code == 200, r.text
    # the same rule on the stream
    s = Stream(server.url, token)
    s.send({"type": "tracks", "ref": 7, "tracks": [track("ws", 1.0, 1.0, 0.0, time=iso_now(600))]})
    reply = s.wait_for(lambda e: e["type"] == "error" and e.get("ref") == 7)
    assert reply["status"] == 400 and "ahead of the service clock" in reply["error"]["message"]
    s.close()
