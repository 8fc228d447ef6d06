"""What the SQLite and PostgreSQL backends share: the connection's lock and reads, and the
ledger's queries.

The two backends differ in the parameter marker (``?`` or ``%s``, the
:attr:`SQLLedgerStore.placeholder`), the driver's error class, how a write transaction
begins and ends (:meth:`SQLDatabase.write`), how tables are created, and how an append
reads subtrees and writes its rows (:meth:`SQLLedgerStore.read_nodes`,
:meth:`SQLLedgerStore._lock_for_append`, :meth:`SQLLedgerStore._insert_rows`). The
rest is written once here.
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

__all__ = ["LeafRow", "SQLConnection", "SQLCursor", "SQLDatabase", "SQLLedgerStore", "split_rows"]

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


class SQLDatabase(ABC, Generic[ConnT]):
    """One connection shared by every concern's store, used by one thread at a time.

    Subclasses open ``conn``, name their driver's error class and label (for messages),
    and implement :meth:`write` and :meth:`_open_ledger`.
    """

    driver_error: ClassVar[type[Exception]]
    """The driver's root error class, translated to :class:`~deconflict.errors.StoreError`."""
    label: ClassVar[str]
    """The backend's name in error messages."""

    conn: ConnT

    def __init__(self, target: str) -> None:
        self.target = target
        self._lock = threading.RLock()
        self._ledger: SQLLedgerStore[ConnT] | None = None

    @property
    def ledger(self) -> SQLLedgerStore[ConnT]:
        """The log's store (tables created on first use)."""
        if self._ledger is None:
            self._ledger = self._open_ledger()
        return self._ledger

    @abstractmethod
    def _open_ledger(self) -> SQLLedgerStore[ConnT]:
        """This backend's ledger store over this database."""

    @abstractmethod
    def write(self) -> AbstractContextManager[ConnT]:
        """One write transaction; rolled back on any error, driver errors translated."""

    @contextmanager
    def read(self) -> Iterator[ConnT]:
        """The connection for reads, with driver errors translated."""
        with self._lock:
            try:
                yield self.conn
            except self.driver_error as exc:
                raise StoreError(f"{self.label}: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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

    placeholder: ClassVar[str]
    """The driver's parameter marker: ``?`` (sqlite3) or ``%s`` (psycopg)."""

    def __init__(self, db: SQLDatabase[ConnT]) -> None:
        self.db = db

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
        """Keep other writers out until the append commits (nothing to do by default)."""

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
