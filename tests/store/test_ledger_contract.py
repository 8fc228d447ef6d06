"""One contract for every LedgerStore backend: SQLite and PostgreSQL (real server)."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from deconflict.errors import Conflict, NotFound, StoreError, VerificationError
from deconflict.ledger import (
    Frontier,
    Log,
    Signer,
    leaf_hash,
    verify_consistency,
    verify_export,
    verify_inclusion,
    verify_store,
)
from deconflict.store import Database

FIXED = datetime(2026, 11, 23, 6, 25, tzinfo=UTC)


def mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 root over leaf hashes, written out."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


def entries(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"kind": "note", "party": "blue", "n": start + i} for i in range(n)]


def test_empty_store(db: Database) -> None:
    store = db.ledger
    assert store.ledger_size() == 0
    assert store.read_leaves(0, 10) == []
    assert store.read_heads() == []
    assert store.latest_head() is None
    assert store.get_meta("x") is None
    assert store.read_nodes([]) == []
    with pytest.raises(NotFound):
        store.read_nodes([(0, 0)])


def test_append_and_read_back(db: Database) -> None:
    store = db.ledger
    leaves = [b"a", b"b", b"c"]
    frontier = Frontier()
    nodes = frontier.extend(leaf_hash(x) for x in leaves)
    store.append_leaves(0, leaves, nodes, {"k": "v"})
    assert store.ledger_size() == 3
    assert store.read_leaves(0, 3) == leaves
    assert store.read_leaves(1, 2) == [b"b"]
    assert store.read_nodes([(1, 0), (0, 2), (0, 0)]) == [
        mth([leaf_hash(b"a"), leaf_hash(b"b")]),
        leaf_hash(b"c"),
        leaf_hash(b"a"),
    ]
    assert store.get_meta("k") == "v"
    store.set_meta("k", "w")
    assert store.get_meta("k") == "w"


def test_append_at_the_wrong_size_is_a_conflict_and_writes_nothing(db: Database) -> None:
    store = db.ledger
    store.append_leaves(0, [b"a"], [(0, 0, leaf_hash(b"a"))], {})
    with pytest.raises(Conflict):
        store.append_leaves(0, [b"x"], [(0, 0, leaf_hash(b"x"))], {"m": "1"})
    with pytest.raises(Conflict):
        store.append_leaves(2, [b"x"], [(0, 2, leaf_hash(b"x"))], {})
    assert store.read_leaves(0, 5) == [b"a"]
    assert store.get_meta("m") is None


def test_a_failing_batch_leaves_nothing_half_written(db: Database) -> None:
    store = db.ledger
    frontier = Frontier()
    store.append_leaves(0, [b"a", b"b"], frontier.extend(leaf_hash(x) for x in (b"a", b"b")), {})
    # The last subtree row repeats an existing key: the database refuses the whole batch
    # after the leaves went in.
    nodes = [(0, 2, leaf_hash(b"c")), (0, 3, leaf_hash(b"d")), (1, 0, bytes(32))]
    with pytest.raises(StoreError):
        store.append_leaves(2, [b"c", b"d"], nodes, {"m": "1"})
    assert store.ledger_size() == 2
    assert store.read_leaves(0, 5) == [b"a", b"b"]
    assert store.get_meta("m") is None
    with pytest.raises(NotFound):
        store.read_nodes([(0, 2)])


def test_the_ledger_tables_refuse_update_and_delete(db: Database) -> None:
    store = db.ledger
    frontier = Frontier()
    store.append_leaves(0, [b"a", b"b"], frontier.extend(leaf_hash(x) for x in (b"a", b"b")), {})
    with pytest.raises(StoreError, match="append-only"), db.write() as conn:
        conn.execute("UPDATE ledger_leaves SET leaf = leaf")
    with pytest.raises(StoreError, match="append-only"), db.write() as conn:
        conn.execute("DELETE FROM ledger_nodes")
    with pytest.raises(StoreError, match="append-only"), db.write() as conn:
        conn.execute("DELETE FROM ledger_leaves WHERE idx = 1")
    assert store.read_leaves(0, 2) == [b"a", b"b"]


def test_log_roots_and_proofs_from_the_store(db: Database) -> None:
    log = Log(db.ledger, Signer.generate(), clock=lambda: FIXED)
    hashes: list[bytes] = []
    for batch in (1, 2, 5, 13, 30, 49):
        for appended in log.append(entries(batch, len(hashes))):
            hashes.append(appended.leaf_hash)
    n = len(hashes)
    assert n == 100
    assert log.root() == mth(hashes)
    for m in (1, 2, 3, 7, 8, 9, 64, 99, 100):
        root = log.root(m)
        assert root == mth(hashes[:m])
        for index in {0, m // 2, m - 1}:
            verify_inclusion(hashes[index], index, m, log.inclusion_proof(index, m), root)
        for old in {0, 1, m // 3, m - 1, m}:
            verify_consistency(old, m, log.root(old), root, log.consistency_proof(old, m))


def test_heads_are_kept_in_order(db: Database) -> None:
    log = Log(db.ledger, Signer.generate())
    log.append(entries(2))
    first = log.sign_head()
    log.append(entries(3))
    second = log.sign_head()
    assert db.ledger.read_heads() == [first, second]
    assert db.ledger.latest_head() == second
    assert second.verify().tree_size == 5


def test_reopened_store_continues_the_same_log(backend: Any) -> None:
    signer = Signer.generate()
    db1 = backend.open()
    log1 = Log(db1.ledger, signer)
    log1.append(entries(7))
    root7 = log1.root()
    db1.close()
    db2 = backend.open()
    log2 = Log(db2.ledger, signer)
    assert log2.size == 7
    assert log2.root() == root7
    log2.append(entries(4, 7))
    log2.sign_head()
    assert log2.root(7) == root7
    assert verify_store(db2.ledger, signer.public_key).tree_size == 11


def test_two_writers_on_two_connections_interleave_safely(backend: Any) -> None:
    signer = Signer.generate()
    a = Log(backend.open().ledger, signer)
    b = Log(backend.open().ledger, signer)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(log: Log, party: str) -> None:
        start.wait()
        try:
            for i in range(10):
                log.append([{"kind": "note", "party": party, "n": 3 * i + k} for k in range(3)])
                log.root()  # reads between the other's writes
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(log, p)) for log, p in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert a.size == b.size == 60
    assert a.root() == b.root()
    b.sign_head()
    assert verify_store(a.store).tree_size == 60
    parties = [json.loads(leaf)["party"] for _, leaf in a.entries()]
    assert parties.count("a") == parties.count("b") == 30


def test_export_of_a_stored_log_verifies(db: Database) -> None:
    log = Log(db.ledger, Signer.generate())
    log.append(entries(20))
    lines = [line.encode() for line in log.export_lines()]
    assert verify_export(lines).tree_size == 20
    assert json.loads(lines[-1])["public_key"]


def test_store_verification_names_a_rewritten_entry(backend: Any, db: Database) -> None:
    log = Log(db.ledger, Signer.generate())
    log.append(entries(12))
    log.sign_head()
    assert verify_store(db.ledger).tree_size == 12
    leaf = db.ledger.read_leaves(6, 7)[0]
    forged = leaf.replace(b'"n":6', b'"n":9')
    assert forged != leaf
    hexed = forged.hex()
    backend.tamper(
        db,
        f"UPDATE ledger_leaves SET leaf = X'{hexed}' WHERE idx = 6",
        f"UPDATE ledger_leaves SET leaf = '\\x{hexed}'::bytea WHERE idx = 6",
    )
    with pytest.raises(VerificationError, match=r"^entry 6: "):
        verify_store(db.ledger)


def test_store_verification_catches_a_rewritten_subtree_hash(backend: Any, db: Database) -> None:
    log = Log(db.ledger, Signer.generate())
    log.append(entries(8))
    log.sign_head()
    backend.tamper(
        db,
        f"UPDATE ledger_nodes SET hash = X'{'00' * 32}' WHERE level = 2 AND idx = 1",
        f"UPDATE ledger_nodes SET hash = '\\x{'00' * 32}'::bytea WHERE level = 2 AND idx = 1",
    )
    with pytest.raises(VerificationError, match=r"^entry 4: stored hash of entries 4\.\.7"):
        verify_store(db.ledger)


def test_store_verification_catches_a_dropped_entry(backend: Any, db: Database) -> None:
    log = Log(db.ledger, Signer.generate())
    log.append(entries(5))
    log.sign_head()
    backend.tamper(
        db, "DELETE FROM ledger_leaves WHERE idx = 4", "DELETE FROM ledger_leaves WHERE idx = 4"
    )
    with pytest.raises(VerificationError, match=r"^entry 4: "):
        verify_store(db.ledger)


def test_signed_heads_are_append_only(db: Database) -> None:
    log = Log(db.ledger, Signer.generate())
    log.append(entries(1))
    log.sign_head()
    with pytest.raises(StoreError, match="append-only"), db.write() as conn:
        conn.execute("DELETE FROM ledger_heads")
    assert len(db.ledger.read_heads()) == 1


def test_read_nodes_runs_and_scattered_keys_agree(db: Database) -> None:
    log = Log(db.ledger, Signer.generate())
    log.append(entries(100))
    store = db.ledger
    run = [(0, i) for i in range(10, 60)] + [(1, i) for i in range(5, 30)]
    scattered = [(0, 99), (3, 2), (0, 3), (6, 0), (2, 24)]
    together = store.read_nodes(run + scattered)
    one_by_one = [store.read_nodes([key])[0] for key in run + scattered]
    assert together == one_by_one
    assert together[:50] == [leaf_hash(leaf) for leaf in store.read_leaves(10, 60)]
    with pytest.raises(NotFound, match=r"\(0, 100\)"):
        store.read_nodes([*run, (0, 100)])
    with pytest.raises(NotFound):
        store.read_nodes([(0, i) for i in range(90, 120)])


def test_database_errors_come_out_as_store_errors(backend: Any) -> None:
    db = backend.open()
    store = db.ledger
    db.close()
    with pytest.raises(StoreError):
        store.ledger_size()
    with pytest.raises(StoreError):
        store.append_leaves(0, [b"a"], [(0, 0, leaf_hash(b"a"))], {})
