"""SQLite backend: one file, WAL journal, one writer at a time with ``BEGIN IMMEDIATE``.

Every write is one transaction (:meth:`SQLiteDatabase.write`); on any error it rolls
back, so nothing is half-written. Leaves are kept with their leaf hashes
(``ledger_leaves``: ``idx``, ``leaf``, ``hash``), larger complete subtrees in
``ledger_nodes`` (``level`` ≥ 1, ``idx``, ``hash``). Leaves, subtree hashes and signed
heads refuse ``UPDATE`` and ``DELETE`` by trigger: the log is append-only even for
someone holding the file, short of changing the schema (which ``deconflict verify``
then catches).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import InvalidInput, StoreError
from ..ledger.storage import NodeRow, nodes_in_order
from ..ledger.tree import NodeKey
from .sql import LeafRow, SQLDatabase, SQLLedgerStore

__all__ = ["SQLiteDatabase", "SQLiteLedgerStore"]

_LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_leaves (
    idx  INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_heads (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tree_size  INTEGER NOT NULL,
    sth        TEXT NOT NULL,
    signature  BLOB NOT NULL,
    public_key BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS ledger_leaves_no_update BEFORE UPDATE ON ledger_leaves
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_leaves_no_delete BEFORE DELETE ON ledger_leaves
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_heads_no_update BEFORE UPDATE ON ledger_heads
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_heads_no_delete BEFORE DELETE ON ledger_heads
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
"""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_RANGE_READ_MIN = 16
"""Read this many or more neighbouring subtrees of one level with one range scan."""


def is_sqlite_file(path: str | Path) -> bool:
    """Whether ``path`` is an existing SQLite database file."""
    try:
        with open(path, "rb") as f:
            return f.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


class SQLiteDatabase(SQLDatabase[sqlite3.Connection]):
    """A SQLite file shared by every concern's store."""

    driver_error = sqlite3.Error
    label = "SQLite"

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        super().__init__(str(path))
        self.path = Path(path)
        self.create = create
        if not create and not self.path.is_file():
            raise InvalidInput(f"--db: no database file {self.target!r}")
        try:
            self.conn = sqlite3.connect(
                self.target, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA cache_size=-65536")
            self.conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.target!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"SQLiteDatabase({self.target!r})"

    def _open_ledger(self) -> SQLiteLedgerStore:
        return SQLiteLedgerStore(self)

    def default_key_dir(self) -> Path | None:
        """The directory of the database file."""
        return self.path.resolve().parent

    def key_file_stem(self) -> str:
        """The database file's name."""
        return self.path.name

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction; rolled back on any error."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite: cannot begin a write: {exc}") from exc
            try:
                yield self.conn
            except BaseException as exc:
                self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"SQLite: {exc}") from exc
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    self.conn.execute("ROLLBACK")
                    raise StoreError(f"SQLite: cannot commit: {exc}") from exc

    def executescript(self, script: str) -> None:
        """Run DDL statements in one write transaction."""
        with self.write() as conn:
            for statement in _split_statements(script):
                conn.execute(statement)


def _split_statements(script: str) -> list[str]:
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]


class SQLiteLedgerStore(SQLLedgerStore[sqlite3.Connection]):
    """The :class:`~deconflict.ledger.storage.LedgerStore` of a SQLite database."""

    placeholder = "?"
    # No _lock_for_append: the BEGIN IMMEDIATE of every write already keeps other
    # writers out until it commits.

    def __init__(self, db: SQLiteDatabase) -> None:
        super().__init__(db)
        if db.create:
            db.executescript(_LEDGER_SCHEMA)
        else:
            with db.read() as conn:
                row = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_leaves'"
                ).fetchone()
            if row is None:
                raise InvalidInput(f"--db: {db.target!r} holds no ledger")

    def read_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        # A proof asks for a few scattered subtrees (one indexed lookup each); verifying
        # a whole store asks for runs of neighbours (one range scan per level).
        by_level: dict[int, list[int]] = {}
        for level, idx in keys:
            by_level.setdefault(level, []).append(idx)
        found: dict[NodeKey, bytes] = {}
        with self.db.read() as conn:
            for level, indexes in by_level.items():
                params: tuple[int, ...] = () if level == 0 else (level,)
                if level == 0:
                    table, where = "ledger_leaves", ""
                else:
                    table, where = "ledger_nodes", "level = ? AND "
                lo, hi = min(indexes), max(indexes)
                if len(indexes) >= _RANGE_READ_MIN and hi - lo < 2 * len(indexes):
                    rows = conn.execute(
                        f"SELECT idx, hash FROM {table} WHERE {where}idx BETWEEN ? AND ?",
                        (*params, lo, hi),
                    ).fetchall()
                    found.update(((level, idx), bytes(h)) for idx, h in rows)
                    continue
                query = f"SELECT hash FROM {table} WHERE {where}idx = ?"
                for idx in indexes:
                    row = conn.execute(query, (*params, idx)).fetchone()
                    if row is not None:
                        found[(level, idx)] = bytes(row[0])
        return nodes_in_order(found, keys)

    def _insert_rows(
        self, conn: sqlite3.Connection, leaves: Iterable[LeafRow], nodes: Iterable[NodeRow]
    ) -> None:
        conn.executemany("INSERT INTO ledger_leaves (idx, leaf, hash) VALUES (?, ?, ?)", leaves)
        conn.executemany("INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
