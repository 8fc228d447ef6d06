"""SQLite backend: one file, WAL journal with ``synchronous=FULL``, one writer at a time
with ``BEGIN IMMEDIATE``.

Every write is one transaction (:meth:`SQLiteDatabase.write`, re-entrant per thread: see
:mod:`deconflict.store.sql`); on any error it rolls back, so nothing is half-written.
Leaves are kept with their leaf hashes (``ledger_leaves``: ``idx``, ``leaf``, ``hash``),
larger complete subtrees in ``ledger_nodes`` (``level`` ≥ 1, ``idx``, ``hash``). Leaves,
subtree hashes and signed heads refuse ``UPDATE`` and ``DELETE`` by trigger: the log is
append-only even for someone holding the file, short of changing the schema (which
``deconflict verify`` then catches).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import DiskFull, InvalidInput, StoreError
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
""" + "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op} BEFORE {op.upper()} ON {table}\n"
    "BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;\n"
    for table in ("ledger_leaves", "ledger_nodes", "ledger_heads")
    for op in ("update", "delete")
)

_SCHEMA_OBJECTS = _LEDGER_SCHEMA.count("CREATE ")
"""Tables and triggers the schema holds (all present: nothing to create)."""
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
    """A SQLite file shared by every concern's store.

    One connection, used by one thread at a time: a write transaction holds it (and the
    file's write lock, ``BEGIN IMMEDIATE``) until it ends, so other threads' reads wait
    rather than see uncommitted rows. Other processes wait for the file's write lock up
    to ``busy_timeout_s``. WAL journal with ``synchronous=FULL``: a commit that returned
    survives a power cut.
    """

    driver_error = sqlite3.Error
    label = "SQLite"
    placeholder = "?"

    def __init__(
        self, path: str | Path, *, create: bool = True, busy_timeout_s: float = 30.0
    ) -> None:
        super().__init__(str(path), create=create)
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise InvalidInput(f"--db: no database file {self.target!r}")
        self._lock = threading.RLock()
        try:
            self.conn = sqlite3.connect(
                self.target,
                isolation_level=None,
                check_same_thread=False,
                timeout=busy_timeout_s,
            )
        except sqlite3.Error as exc:
            raise self.error(exc, f"cannot open {self.target!r}") from exc
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA cache_size=-65536")
            self.conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        except sqlite3.Error as exc:
            self.conn.close()
            raise self.error(exc, f"cannot open {self.target!r}") from exc

    def __repr__(self) -> str:
        return f"SQLiteDatabase({self.target!r})"

    def error(self, exc: Exception, doing: str | None = None) -> StoreError:
        """A sqlite3 error as a :class:`StoreError`; :class:`DiskFull` when the disk is."""
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return DiskFull(f"SQLite: the disk is full, nothing was written: {self.target}")
        return super().error(exc, doing)

    def _open_ledger(self) -> SQLiteLedgerStore:
        return SQLiteLedgerStore(self)

    def default_key_dir(self) -> Path | None:
        """The directory of the database file."""
        return self.path.resolve().parent

    def key_file_stem(self) -> str:
        """The database file's name."""
        return self.path.name

    @contextmanager
    def _outer_transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, holding the connection; rolled back on any error."""
        with self._lock:
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.error(exc, "cannot begin a write") from exc
            try:
                yield conn
            except BaseException:
                self._rollback(conn, "ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback(conn, "ROLLBACK")
                raise self.error(exc, "cannot commit") from exc

    @contextmanager
    def _savepoint(self, conn: sqlite3.Connection, depth: int) -> Iterator[None]:
        name = f"deconflict_{depth}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._rollback(conn, f"ROLLBACK TO {name}", f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")

    def _rollback(self, conn: sqlite3.Connection, *statements: str) -> None:
        """Undo; a failure to undo is a :class:`StoreError` (the write may not have ended)."""
        try:
            if conn.in_transaction:
                for statement in statements:
                    conn.execute(statement)
        except sqlite3.Error as exc:
            raise self.error(exc, "cannot roll back") from exc

    @contextmanager
    def _read_connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.conn

    def _close(self) -> None:
        with self._lock:
            self.conn.close()

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

    # No _lock_for_append: the BEGIN IMMEDIATE of every write already keeps other
    # writers out until it commits.

    def __init__(self, db: SQLiteDatabase) -> None:
        super().__init__(db)
        present = self._schema_present()
        if not db.create:
            if "ledger_leaves" not in present:
                raise InvalidInput(f"--db: {db.target!r} holds no ledger")
        elif len(present) < _SCHEMA_OBJECTS:
            db.executescript(_LEDGER_SCHEMA)

    def _schema_present(self) -> set[str]:
        """Names of the ledger's tables and triggers in the file."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "
                "AND name LIKE 'ledger\\_%' ESCAPE '\\'"
            ).fetchall()
        return {str(r[0]) for r in rows}

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
