"""What the SQLite and PostgreSQL backends share: transactions, reads, error translation,
and the ledger's queries.

Transactions (:meth:`SQLDatabase.write`) are re-entrant per thread: the outermost
``write()`` of a thread begins a transaction on one connection and commits it (or rolls
it back) when it ends; a ``write()`` opened inside it, by the same thread, joins that
transaction on the same connection, as a savepoint: if the inner block raises, only its
own statements are undone, and nothing is committed before the outermost block ends.
:meth:`SQLDatabase.read` inside a write of the same thread reads through the write's
connection, so it sees what the transaction wrote; other threads never do.

So the service writes its records and the ledger entries for them in one transaction::

    with db.write() as conn:
        conn.execute(f"INSERT INTO t (id) VALUES ({db.placeholder})", ("x",))
        log.append([{"kind": "x", "party": "blue"}])   # joins; commits with the insert

The backends differ in the parameter marker (:attr:`SQLDatabase.placeholder`: ``?`` or
``%s``), the driver's error class, how connections are held and transactions begin and
end (:meth:`SQLDatabase._outer_transaction`, :meth:`SQLDatabase._savepoint`,
:meth:`SQLDatabase._read_connection`), how tables are created, and how an append locks
out other writers, reads subtrees and writes its rows
(:meth:`SQLLedgerStore._lock_for_append`, :meth:`SQLLedgerStore.read_nodes`,
:meth:`SQLLedgerStore._insert_rows`). The rest is written once here.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from ..errors import StoreError
from ..ledger.signing import SignedTreeHead
from ..ledger.storage import NodeRow, check_append_start
from ..ledger.tree import NodeKey

__all__ = [
    "LeafRow",
    "SQLConnection",
    "SQLCursor",
    "SQLDatabase",
    "SQLLedgerStore",
    "one_line",
    "split_rows",
]

LeafRow = tuple[int, bytes, bytes]
"""``(index, leaf, leaf hash)`` of one stored leaf."""


class SQLCursor(Protocol):
    """The part of a DB-API cursor the stores use."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class SQLConnection(Protocol):
    """The part of a ``sqlite3`` or ``psycopg`` connection the stores use."""

    def execute(self, query: str, params: Sequence[Any] = ..., /) -> SQLCursor: ...

    def close(self) -> None: ...


ConnT = TypeVar("ConnT", bound=SQLConnection)


class _ThreadState(threading.local):
    """What one thread holds of a database: its write transaction, its current read."""

    def __init__(self) -> None:
        self.write_conn: Any = None
        self.depth = 0
        self.read_conn: Any = None


class SQLDatabase(ABC, Generic[ConnT]):
    """A database shared by every concern's store and by the threads of a process.

    Subclasses name their driver's error class, label and parameter marker, and
    implement how connections are held (:meth:`_outer_transaction`, :meth:`_savepoint`,
    :meth:`_read_connection`, :meth:`_close`) and :meth:`_open_ledger`.
    """

    driver_error: ClassVar[type[Exception]]
    """The driver's root error class, translated to :class:`~deconflict.errors.StoreError`."""
    label: ClassVar[str]
    """The backend's name in error messages."""
    placeholder: ClassVar[str]
    """The driver's parameter marker: ``?`` (sqlite3) or ``%s`` (psycopg)."""

    def __init__(self, target: str, *, create: bool = True) -> None:
        self.target = target
        self.create = create
        self._state = _ThreadState()
        self._ledger: SQLLedgerStore[ConnT] | None = None
        self._ledger_lock = threading.Lock()

    @property
    def ledger(self) -> SQLLedgerStore[ConnT]:
        """The log's store (tables created on first use when the database was opened to create)."""
        store = self._ledger
        if store is None:
            # Opened outside the lock (opening takes the connection, which another thread
            # may hold while it waits for this property); two threads may both open it.
            opened = self._open_ledger()
            with self._ledger_lock:
                if self._ledger is None:
                    self._ledger = opened
                store = self._ledger
        return store

    @abstractmethod
    def _open_ledger(self) -> SQLLedgerStore[ConnT]:
        """This backend's ledger store over this database."""

    def error(self, exc: Exception, doing: str | None = None) -> StoreError:
        """A driver error as a :class:`~deconflict.errors.StoreError` naming the backend."""
        what = f"{self.label}: {doing}: " if doing else f"{self.label}: "
        return StoreError(what + one_line(exc))

    # -- transactions ----------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[ConnT]:
        """One write transaction; re-entrant per thread (see the module docstring).

        The outermost block commits when it ends and rolls back on any error; a nested
        block of the same thread joins it as a savepoint. Driver errors come out as
        :class:`~deconflict.errors.StoreError`.
        """
        state = self._state
        if state.write_conn is not None:
            conn: ConnT = state.write_conn
            state.depth += 1
            try:
                with self._translated(), self._savepoint(conn, state.depth):
                    yield conn
            finally:
                state.depth -= 1
            return
        with self._translated(), self._outer_transaction() as conn:
            state.write_conn, state.depth = conn, 1
            try:
                yield conn
            finally:
                state.write_conn, state.depth = None, 0

    @contextmanager
    def read(self) -> Iterator[ConnT]:
        """A connection to read with: this thread's write transaction if one is open."""
        state = self._state
        current = state.write_conn if state.write_conn is not None else state.read_conn
        if current is not None:
            with self._translated():
                yield current
            return
        with self._translated(), self._read_connection() as conn:
            state.read_conn = conn
            try:
                yield conn
            finally:
                state.read_conn = None

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self.driver_error as exc:
            raise self.error(exc) from exc

    @abstractmethod
    def _outer_transaction(self) -> AbstractContextManager[ConnT]:
        """Begin a transaction on a connection held for it; commit or roll back at the end."""

    @abstractmethod
    def _savepoint(self, conn: ConnT, depth: int) -> AbstractContextManager[None]:
        """A savepoint inside the open transaction; rolled back to if the block raises."""

    @abstractmethod
    def _read_connection(self) -> AbstractContextManager[ConnT]:
        """A connection to read with, outside any transaction of this thread."""

    # -- closing ---------------------------------------------------------------------

    @abstractmethod
    def _close(self) -> None:
        """Release the connections."""

    def close(self) -> None:
        """Close the database; later calls raise :class:`~deconflict.errors.StoreError`."""
        try:
            self._close()
        except self.driver_error as exc:
            raise self.error(exc, "cannot close") from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def one_line(exc: BaseException) -> str:
    """A driver's message on one line (they span several; a CLI error is one line).

    >>> one_line(Exception("connection failed\\n\\tIs the server running?"))
    'connection failed Is the server running?'
    """
    return " ".join(str(exc).split())


def split_rows(
    start: int, leaves: Sequence[bytes], nodes: Sequence[NodeRow]
) -> tuple[list[LeafRow], list[NodeRow]]:
    """Leaf rows (index, bytes, leaf hash) and the rows of subtrees above the leaves.

    Leaf hashes (level 0) live beside their leaves; ``nodes`` must hold one per leaf.

    >>> split_rows(5, [b"a"], [(0, 5, b"ha"), (1, 2, b"h45")])
    ([(5, b'a', b'ha')], [(1, 2, b'h45')])
    """
    hashes = {idx: h for level, idx, h in nodes if level == 0}
    try:
        leaf_rows = [(start + i, leaf, hashes[start + i]) for i, leaf in enumerate(leaves)]
    except KeyError as exc:
        raise StoreError(f"ledger: no leaf hash given for entry {exc.args[0]}") from exc
    if len(hashes) != len(leaves):
        raise StoreError("ledger: leaf hashes given for entries not being appended")
    return leaf_rows, [n for n in nodes if n[0] > 0]


class SQLLedgerStore(ABC, Generic[ConnT]):
    """The :class:`~deconflict.ledger.storage.LedgerStore` over the ``ledger_*`` tables.

    Leaves with their leaf hashes in ``ledger_leaves`` (``idx``, ``leaf``, ``hash``),
    larger complete subtrees in ``ledger_nodes`` (``level`` ≥ 1, ``idx``, ``hash``),
    signed heads in ``ledger_heads`` and named values in ``ledger_meta``.
    """

    def __init__(self, db: SQLDatabase[ConnT]) -> None:
        self.db = db
        self.placeholder = db.placeholder

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The database's write transaction (joined if open), with other appenders locked out."""
        with self.db.write() as conn:
            self._lock_for_append(conn)
            yield

    def ledger_size(self) -> int:
        with self.db.read() as conn:
            return _size(conn)

    def read_leaves(self, start: int, end: int) -> list[bytes]:
        p = self.placeholder
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT leaf FROM ledger_leaves WHERE idx >= {p} AND idx < {p} ORDER BY idx",
                (start, end),
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    @abstractmethod
    def read_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """Hashes of the given perfect subtrees, in the order asked."""

    def append_leaves(
        self,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[NodeRow],
        meta: Mapping[str, str],
    ) -> None:
        with self.db.write() as conn:
            self._lock_for_append(conn)
            check_append_start(_size(conn), start)
            leaf_rows, node_rows = split_rows(start, leaves, nodes)
            self._insert_rows(conn, leaf_rows, node_rows)
            for name, value in meta.items():
                self._upsert_meta(conn, name, value)

    def _lock_for_append(self, conn: ConnT) -> None:
        """Keep other appenders out until the transaction ends (nothing to do by default)."""

    @abstractmethod
    def _insert_rows(
        self, conn: ConnT, leaves: Iterable[LeafRow], nodes: Iterable[NodeRow]
    ) -> None:
        """Insert leaf rows into ``ledger_leaves`` and node rows into ``ledger_nodes``."""

    def save_head(self, head: SignedTreeHead) -> None:
        p = self.placeholder
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO ledger_heads (tree_size, sth, signature, public_key) "
                f"VALUES ({p}, {p}, {p}, {p})",
                (head.head.tree_size, head.sth, head.signature, head.public_key),
            )

    def read_heads(self) -> list[SignedTreeHead]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT sth, signature, public_key FROM ledger_heads ORDER BY tree_size, id"
            ).fetchall()
        return [SignedTreeHead(r[0], bytes(r[1]), bytes(r[2])) for r in rows]

    def latest_head(self) -> SignedTreeHead | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT sth, signature, public_key FROM ledger_heads ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else SignedTreeHead(row[0], bytes(row[1]), bytes(row[2]))

    def get_meta(self, name: str) -> str | None:
        p = self.placeholder
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT value FROM ledger_meta WHERE name = {p}", (name,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self.db.write() as conn:
            self._upsert_meta(conn, name, value)

    def _upsert_meta(self, conn: SQLConnection, name: str, value: str) -> None:
        p = self.placeholder
        conn.execute(
            f"INSERT INTO ledger_meta (name, value) VALUES ({p}, {p}) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


def _size(conn: SQLConnection) -> int:
    (n,) = conn.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves").fetchone()
    return int(n)
