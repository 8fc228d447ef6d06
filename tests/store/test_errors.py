"""Only deconflict's own errors come out of a store: never sqlite3, psycopg or OS errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from deconflict.errors import DeconflictError, InvalidInput, StoreError
from deconflict.ledger import Frontier, Log, Signer, leaf_hash, verify_store
from deconflict.store import Database, open_database
from deconflict.store.keys import KEY_DIR_ENV, open_log
from deconflict.store.sqlite import SQLiteDatabase

if TYPE_CHECKING:
    from store.conftest import Backend


@pytest.fixture(autouse=True)
def _no_key_dir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_DIR_ENV, raising=False)


def enter(cm: Callable[[], AbstractContextManager[Any]]) -> Callable[[], None]:
    def run() -> None:
        with cm() as conn:
            if conn is not None:
                conn.execute("SELECT 1")

    return run


def every_call(db: Database) -> dict[str, Callable[[], object]]:
    """Each public way into the database and its ledger store."""
    store = db.ledger
    log = Log(store, Signer.generate())
    frontier = Frontier()
    row = frontier.append(leaf_hash(b"x"))
    return {
        "read": enter(db.read),
        "write": enter(db.write),
        "transaction": enter(store.transaction),
        "ledger_size": store.ledger_size,
        "read_leaves": lambda: store.read_leaves(0, 5),
        "read_nodes": lambda: store.read_nodes([(0, 0)]),
        "append_leaves": lambda: store.append_leaves(0, [b"x"], row, {}),
        "read_heads": store.read_heads,
        "latest_head": store.latest_head,
        "get_meta": lambda: store.get_meta("k"),
        "set_meta": lambda: store.set_meta("k", "v"),
        "log.append": lambda: log.append([{"kind": "k", "party": "p"}]),
        "log.sign_head": log.sign_head,
        "log.export": lambda: list(log.export_lines()),
        "verify_store": lambda: verify_store(store),
    }


def only_ours(name: str, call: Callable[[], object]) -> DeconflictError | None:
    """Run ``call``; fail the test if anything but a DeconflictError comes out."""
    try:
        call()
    except DeconflictError as exc:
        return exc
    except BaseException as exc:  # the point of these tests
        pytest.fail(f"{name}: {type(exc).__module__}.{type(exc).__name__} escaped: {exc}")
    return None


def test_a_closed_database_gives_store_errors(backend: Backend) -> None:
    db = backend.open()
    Log(db.ledger, Signer.generate()).append([{"kind": "k", "party": "p"}])
    calls = every_call(db)
    db.close()
    for name, call in calls.items():
        assert isinstance(only_ours(name, call), StoreError), name


def test_a_database_that_refuses_writes_gives_store_errors(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "a.db")
    calls = every_call(db)
    with db.read() as conn:
        conn.execute("PRAGMA query_only = ON")
    for name in ("write", "transaction", "append_leaves", "set_meta", "log.append"):
        assert isinstance(only_ours(name, calls[name]), StoreError), name
    db.close()


@pytest.mark.parametrize(
    "content",
    [b"not a database\n" * 100, b"SQLite format 3\x00" + bytes(range(256)) * 64],
    ids=["text", "garbage-after-header"],
)
def test_a_file_that_is_not_a_database_gives_store_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    for create in (True, False):
        exc = only_ours("open", lambda create=create: open_database(str(path), create=create))  # type: ignore[misc]
        assert isinstance(exc, StoreError)


def test_a_truncated_database_gives_only_our_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with open_database(str(path)) as db:
        log = Log(db.ledger, Signer.generate())
        log.append([{"kind": "k", "party": "p", "text": "x" * 300} for _ in range(2000)])
        log.sign_head()
        with db.read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    try:
        db = open_database(str(path), create=False)
    except StoreError:
        return
    for name, call in every_call(db).items():
        only_ours(name, call)
    only_ours("close", db.close)


def test_a_failed_rollback_is_a_store_error(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "a.db")
    with pytest.raises(StoreError, match="cannot roll back"), db.write() as conn:
        conn.close()  # the rollback after the error below cannot run
        raise RuntimeError("fails inside the transaction")


def test_a_damaged_key_file_is_a_store_error(tmp_path: Path) -> None:
    with open_database(str(tmp_path / "a.db")) as db:
        open_log(db)
        key = tmp_path / "a.db.key"
        for content in (b"", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"):
            key.write_bytes(content)
            with pytest.raises(StoreError, match="damaged"):
                open_log(db)


def test_a_key_directory_that_cannot_be_used_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with open_database(str(tmp_path / "a.db")) as db:
        with pytest.raises(StoreError):
            open_log(db, tmp_path / "file")  # a file, not a directory
        with pytest.raises(StoreError):
            open_log(db, tmp_path / "file" / "sub")


def test_reading_a_missing_database_names_it_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "mistyped.db"
    with pytest.raises(InvalidInput, match=r"mistyped\.db"):
        open_database(str(path), create=False)
    assert not path.exists()
    assert os.listdir(tmp_path) == []
