"""Appends under real concurrency (threads, processes) and inside an outer transaction.

Every test runs on SQLite and on PostgreSQL. Afterwards the log verifies end to end and
holds exactly the entries appended, each at its own index.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from deconflict.errors import StoreError
from deconflict.ledger import Log, Signer, verify_store
from deconflict.store import Database

if TYPE_CHECKING:
    from store.conftest import Backend

THREADS = 16
PER_THREAD = 100
BATCH = 4
PROCESSES = 4
PER_PROCESS = 25


def note(party: str, n: int) -> dict[str, Any]:
    return {"kind": "note", "party": party, "n": n}


def run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` in ``count`` threads released together; the errors they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, inside the library's calls too
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads)
    return errors


def check_log(db: Database, expected: set[tuple[str, int]]) -> None:
    """The log verifies and holds exactly ``expected`` (party, n), entry i at index i."""
    log = Log(db.ledger, Signer.generate())
    assert log.size == len(expected)
    seen = set()
    for index, leaf in log.entries():
        entry = json.loads(leaf)
        assert entry["index"] == index
        seen.add((entry["party"], entry["n"]))
    assert seen == expected
    log.sign_head()
    assert verify_store(db.ledger).tree_size == len(expected)


def test_threads_sharing_one_log_all_append(backend: Backend) -> None:
    db = backend.open()
    log = Log(db.ledger)

    def work(t: int) -> None:
        for i in range(PER_THREAD):
            log.append([note(f"t{t}", BATCH * i + k) for k in range(BATCH)])

    assert run_threads(THREADS, work) == []
    check_log(db, {(f"t{t}", i) for t in range(THREADS) for i in range(BATCH * PER_THREAD)})


def test_threads_with_a_connection_and_a_log_each_all_append(backend: Backend) -> None:
    dbs = [backend.open() for _ in range(4)]

    def work(t: int) -> None:
        log = Log(dbs[t].ledger)
        for i in range(PER_THREAD):
            log.append([note(f"t{t}", 2 * i), note(f"t{t}", 2 * i + 1)])

    assert run_threads(len(dbs), work) == []
    check_log(dbs[0], {(f"t{t}", i) for t in range(len(dbs)) for i in range(2 * PER_THREAD)})


def test_processes_opening_the_same_database_all_append(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    import append_worker

    db = backend.open()  # creates the tables before the workers start
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        jobs = [
            pool.apply_async(
                append_worker.append_entries, (backend.target, backend.schema, f"p{p}", PER_PROCESS)
            )
            for p in range(PROCESSES)
        ]
        indices = [i for job in jobs for i in job.get(timeout=300)]
    assert sorted(indices) == list(range(PROCESSES * PER_PROCESS))
    check_log(db, {(f"p{p}", i) for p in range(PROCESSES) for i in range(PER_PROCESS)})


def test_an_append_inside_an_outer_write_rolls_back_with_it(backend: Backend) -> None:
    db = backend.open()
    log = Log(db.ledger)
    log.append([note("a", 0), note("a", 1)])
    with pytest.raises(RuntimeError, match="abandon"), db.write():
        (appended,) = log.append([note("a", 99)])
        assert appended.index == 2
        assert log.size == 3  # the transaction sees its own append
        raise RuntimeError("abandon")
    assert log.size == 2
    (appended,) = log.append([note("a", 2)])
    assert appended.index == 2
    check_log(db, {("a", 0), ("a", 1), ("a", 2)})


def test_a_rolled_back_append_leaves_no_stale_state_behind(backend: Backend) -> None:
    """Another writer fills the indices of a rolled-back append before this log goes on."""
    db, other = backend.open(), backend.open()
    log, other_log = Log(db.ledger), Log(other.ledger)
    log.append([note("a", 0)])
    with pytest.raises(RuntimeError), db.write():
        log.append([note("a", 98), note("a", 99)])
        raise RuntimeError("abandon")
    other_log.append([note("b", 0), note("b", 1)])
    (appended,) = log.append([note("a", 1)])
    assert appended.index == 3
    check_log(db, {("a", 0), ("b", 0), ("b", 1), ("a", 1)})


def test_records_and_ledger_entries_commit_or_roll_back_together(backend: Backend) -> None:
    db = backend.open()
    p = db.placeholder
    with db.write() as conn:
        conn.execute("CREATE TABLE records (id TEXT PRIMARY KEY)")
    log = Log(db.ledger)

    def count_records() -> int:
        with db.read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    with db.write() as conn:
        conn.execute(f"INSERT INTO records (id) VALUES ({p})", ("r1",))
        log.append([note("a", 0)])
    assert (count_records(), log.size) == (1, 1)
    with pytest.raises(StoreError), db.write() as conn:
        conn.execute(f"INSERT INTO records (id) VALUES ({p})", ("r2",))
        log.append([note("a", 1)])
        conn.execute(f"INSERT INTO records (id) VALUES ({p})", ("r1",))  # duplicate key
    assert (count_records(), log.size) == (1, 1)
    check_log(db, {("a", 0)})


def test_nested_writes_commit_only_at_the_outermost_level(backend: Backend) -> None:
    db, observer = backend.open(), backend.open()
    log = Log(db.ledger)
    with db.write() as outer:
        with db.write() as inner:
            assert inner is outer
            log.append([note("a", 0)])
        assert db.ledger.ledger_size() == 1  # reads of this thread see the transaction
        assert observer.ledger.ledger_size() == 0  # nothing committed yet
    assert observer.ledger.ledger_size() == 1


def test_a_failing_nested_write_undoes_only_its_own_part(backend: Backend) -> None:
    db = backend.open()
    log = Log(db.ledger)
    with db.write():
        log.append([note("a", 0)])
        with pytest.raises(RuntimeError), db.write():
            log.append([note("a", 1)])
            raise RuntimeError("inner")
        log.append([note("a", 2)])
    check_log(db, {("a", 0), ("a", 2)})


def test_other_threads_never_see_an_uncommitted_append(backend: Backend) -> None:
    db = backend.open()
    log = Log(db.ledger)
    log.append([note("a", 0)])
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(db.ledger.ledger_size()))
    with pytest.raises(RuntimeError), db.write():
        log.append([note("a", 1)])
        reader.start()
        reader.join(timeout=0.5)  # SQLite: waits for the writer; PostgreSQL: reads
        raise RuntimeError("abandon")
    reader.join(timeout=30)
    assert seen == [1]
