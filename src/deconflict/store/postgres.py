"""PostgreSQL backend through psycopg 3 and a pool of connections.

Connections come from a :class:`psycopg_pool.ConnectionPool` (``pool_size`` at most): a
connection is checked before it is handed out, so one the server dropped (a restart,
``pg_terminate_backend``) is replaced instead of failing the next call. When no
connection can be had (the server is down), calls fail at once with a
:class:`~deconflict.errors.StoreError` saying so, instead of each waiting for the pool;
the server is probed at most every ``PROBE_INTERVAL_S`` and, once it answers, a fresh pool
takes over (the old one would only retry on its growing back-off). A write
transaction (:meth:`~deconflict.store.sql.SQLDatabase.write`, re-entrant per thread)
holds one pooled connection until it ends; reads take any. Every connection runs with a
``lock_timeout`` and a ``statement_timeout``: a lock held too long by someone else gives
a :class:`~deconflict.errors.StoreError` saying so, never a hang.

Appends take a transaction-scoped advisory lock, one per ledger table, at the start of
their transaction, so that appenders from every process queue; in ``READ COMMITTED`` (the
default, which the stores assume) each statement after the lock sees every append
committed before it. Tables live in the connection's ``search_path`` schema, or in
``schema`` when given. The tables are those of the SQLite backend and, as there,
triggers refuse ``UPDATE`` and ``DELETE`` on leaves, subtree hashes and signed heads.

Opening with ``create=True`` creates what is missing only (the catalog is read first; a
missing schema, table, function or trigger is created under an advisory lock), so a role
that may read and insert but owns nothing opens an existing database. ``create=False``
never creates anything: a role with ``SELECT`` rights alone can open and verify the log.
The signing key is not kept in the database: give a key directory (``--key-dir`` or
``DECONFLICT_KEY_DIR``, see :mod:`deconflict.store.keys`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import DiskFull, InvalidInput, StoreError
from ..ledger.storage import NodeRow, nodes_in_order
from ..ledger.tree import NodeKey
from .sql import LeafRow, SQLDatabase, SQLLedgerStore, one_line

__all__ = ["PostgresDatabase", "PostgresLedgerStore"]

_TABLES = {
    "ledger_leaves": """CREATE TABLE IF NOT EXISTS ledger_leaves (
        idx  BIGINT PRIMARY KEY,
        leaf BYTEA NOT NULL,
        hash BYTEA NOT NULL
    )""",
    "ledger_nodes": """CREATE TABLE IF NOT EXISTS ledger_nodes (
        level SMALLINT NOT NULL,
        idx   BIGINT NOT NULL,
        hash  BYTEA NOT NULL,
        PRIMARY KEY (level, idx)
    )""",
    "ledger_heads": """CREATE TABLE IF NOT EXISTS ledger_heads (
        id         BIGSERIAL PRIMARY KEY,
        tree_size  BIGINT NOT NULL,
        sth        TEXT NOT NULL,
        signature  BYTEA NOT NULL,
        public_key BYTEA NOT NULL
    )""",
    "ledger_meta": """CREATE TABLE IF NOT EXISTS ledger_meta (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
}
_FUNCTION = "ledger_append_only"
_FUNCTION_DDL = f"""CREATE FUNCTION {_FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the ledger is append-only'; END $$"""
_TRIGGERS = {
    f"{table}_append_only": f"""CREATE TRIGGER {table}_append_only
        BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()"""
    for table in ("ledger_leaves", "ledger_nodes", "ledger_heads")
}
_PRESENT = """
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
   AND c.relname = ANY(%(tables)s)
UNION ALL
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = %(function)s
UNION ALL
SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname = ANY(%(triggers)s)
"""
_SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('deconflict.ledger.schema'))"
_APPEND_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtextextended("
    "'deconflict.ledger.append:' || 'ledger_leaves'::regclass::oid::text, 0))"
)
"""Held by an appending transaction until it ends: one appender per ledger at a time."""
PROBE_INTERVAL_S = 0.5
"""While the server is unreachable, how often a call may try to reach it."""


class PostgresDatabase(SQLDatabase[psycopg.Connection[Any]]):
    """A PostgreSQL database (or one schema of it) shared by every concern's store.

    ``pool_size``: connections at most; ``lock_timeout_s`` / ``statement_timeout_s``: how
    long a statement may wait for a lock / run; ``connect_timeout_s``: how long to wait
    for the server when connecting; ``wait_timeout_s``: how long a call waits for a free
    pooled connection before the server is probed (and, if it does not answer, marked
    unreachable).
    """

    driver_error = psycopg.Error
    label = "PostgreSQL"
    placeholder = "%s"

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        create: bool = True,
        pool_size: int = 8,
        lock_timeout_s: float = 30.0,
        statement_timeout_s: float = 300.0,
        connect_timeout_s: float = 30.0,
        wait_timeout_s: float = 5.0,
    ) -> None:
        super().__init__(url, create=create)
        self.schema = schema
        self.pool_size = max(1, pool_size)
        self.connect_timeout_s = connect_timeout_s
        self.wait_timeout_s = wait_timeout_s
        self._health = threading.Lock()
        self._down_since: float | None = None
        self._probed_at = 0.0
        self.lock_timeout_s = lock_timeout_s
        self.statement_timeout_s = statement_timeout_s
        self.name = "PostgreSQL database"
        connect: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(1, round(connect_timeout_s)),
        }
        self._connect_kwargs = connect
        try:
            # One plain connection first: its errors say what is wrong (the pool's do not).
            with psycopg.connect(url, **connect) as probe:
                self.name = f"PostgreSQL database {probe.info.dbname!r}" + (
                    f" (schema {schema!r})" if schema else ""
                )
                if schema is not None and create:
                    _create_schema(probe, schema)
        except psycopg.Error as exc:
            raise self.error(exc, "cannot open the database") from exc
        self.pool = self._new_pool()
        try:
            self.pool.open(wait=True, timeout=connect_timeout_s)
        except psycopg.Error as exc:
            self.pool.close()
            raise self.error(exc, "cannot open the database") from exc

    def __repr__(self) -> str:
        return f"PostgresDatabase(schema={self.schema!r})"

    def _new_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        return ConnectionPool(
            self.target,
            kwargs=self._connect_kwargs,
            min_size=1,
            max_size=self.pool_size,
            configure=self._configure,
            check=ConnectionPool.check_connection,
            timeout=self.wait_timeout_s,
            name="deconflict",
            open=False,
        )

    def _reachable(self) -> bool:
        """Whether a fresh connection to the server can be made now (a short wait)."""
        kwargs = {**self._connect_kwargs, "connect_timeout": 2}
        try:
            psycopg.connect(self.target, **kwargs).close()
        except psycopg.Error:
            return False
        return True

    def _check_server(self) -> None:
        """Fail at once while the server is known to be down; probe it now and then, and
        once it answers put a fresh pool in place."""
        if self._down_since is None:
            return
        with self._health:
            since = self._down_since
            if since is None:
                return
            now = time.monotonic()
            probe = now - self._probed_at >= PROBE_INTERVAL_S
            if probe:
                self._probed_at = now
            if not probe or not self._reachable():
                raise StoreError(
                    f"PostgreSQL: the server is unreachable (for {now - since:.1f} s); "
                    "nothing was written, try again"
                )
            old, self.pool = self.pool, self._new_pool()
            self.pool.open(wait=False)
            self._down_since = None
        old.close(timeout=0)

    def _lost(self) -> None:
        """A call could not get or keep a connection: mark the server down if it is."""
        with self._health:
            if self._down_since is None and not self._reachable():
                self._down_since = self._probed_at = time.monotonic()

    @contextmanager
    def _pooled(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, or a :class:`StoreError` at once if the server is down."""
        self._check_server()
        try:
            with self.pool.connection() as conn:
                try:
                    yield conn
                except psycopg.OperationalError:
                    if conn.broken:
                        self._lost()
                    raise
        except PoolTimeout:
            self._lost()
            raise

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        """Session settings of every pooled connection: schema and timeouts."""
        if self.schema is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        conn.execute(
            "SELECT set_config('lock_timeout', %s, false), "
            "set_config('statement_timeout', %s, false)",
            (_ms(self.lock_timeout_s), _ms(self.statement_timeout_s)),
        )

    def error(self, exc: Exception, doing: str | None = None) -> StoreError:
        """A psycopg error as a :class:`StoreError`, saying which timeout ran out if one did."""
        if isinstance(exc, pg_errors.LockNotAvailable):
            return StoreError(
                f"PostgreSQL: gave up waiting {self.lock_timeout_s:g} s for a lock another "
                f"transaction holds (lock_timeout): {one_line(exc)}"
            )
        if isinstance(exc, pg_errors.QueryCanceled):
            return StoreError(
                f"PostgreSQL: statement cancelled after {self.statement_timeout_s:g} s "
                f"(statement_timeout) or by the server: {one_line(exc)}"
            )
        if isinstance(exc, pg_errors.DiskFull):
            return DiskFull(f"PostgreSQL: the server's disk is full, nothing was written: "
                            f"{one_line(exc)}")  # fmt: skip
        if isinstance(exc, PoolTimeout):
            if self._down_since is not None:
                return StoreError("PostgreSQL: the server is unreachable; nothing was written")
            return StoreError(f"PostgreSQL: no connection to the server available: {one_line(exc)}")
        return super().error(exc, doing)

    def _open_ledger(self) -> PostgresLedgerStore:
        return PostgresLedgerStore(self)

    def default_key_dir(self) -> Path | None:
        """None: a server database has no natural place for a key file."""
        return None

    def key_file_stem(self) -> str:
        """``deconflict-ledger`` (plus the schema when one is given)."""
        return "deconflict-ledger" + (f"-{self.schema}" if self.schema else "")

    @contextmanager
    def _outer_transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self._pooled() as conn, conn.transaction():
            yield conn

    @contextmanager
    def _savepoint(self, conn: psycopg.Connection[Any], depth: int) -> Iterator[None]:
        with conn.transaction():  # nested: psycopg makes it a savepoint
            yield

    @contextmanager
    def _read_connection(self) -> Iterator[psycopg.Connection[Any]]:
        with self._pooled() as conn:
            yield conn

    def _close(self) -> None:
        self.pool.close()

    def drop_schema(self) -> None:
        """Drop the schema given at open, with everything in it (tests)."""
        if self.schema is None:
            raise StoreError("no schema to drop")
        with self.read() as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )


def _ms(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


def _create_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Create ``schema`` if the catalog lacks it (under the schema lock)."""
    query = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
    if conn.execute(query, (schema,)).fetchone() is not None:
        return
    with conn.transaction():
        conn.execute(_SCHEMA_LOCK)
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


class PostgresLedgerStore(SQLLedgerStore[psycopg.Connection[Any]]):
    """The :class:`~deconflict.ledger.storage.LedgerStore` of a PostgreSQL database."""

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__(db)
        with db.read() as conn:
            present = _present(conn)
        if not db.create:
            if "ledger_leaves" not in present:
                raise InvalidInput(f"--db: the {db.name} holds no ledger")
            return
        if len(present) == len(_TABLES) + 1 + len(_TRIGGERS):
            return
        with db.write() as conn:
            conn.execute(_SCHEMA_LOCK)
            present = _present(conn)
            for name, ddl in [*_TABLES.items(), (_FUNCTION, _FUNCTION_DDL), *_TRIGGERS.items()]:
                if name not in present:
                    conn.execute(ddl)

    def read_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        if not keys:
            return []
        leaf_idx = [idx for level, idx in keys if level == 0]
        upper = [(level, idx) for level, idx in keys if level > 0]
        found: dict[NodeKey, bytes] = {}
        with self.db.read() as conn:
            if leaf_idx:
                rows = conn.execute(
                    "SELECT idx, hash FROM ledger_leaves WHERE idx = ANY(%s::bigint[])",
                    (leaf_idx,),
                ).fetchall()
                found.update(((0, int(idx)), bytes(h)) for idx, h in rows)
            if upper:
                rows = conn.execute(
                    "SELECT n.level, n.idx, n.hash FROM ledger_nodes n "
                    "JOIN unnest(%s::smallint[], %s::bigint[]) AS k(level, idx) "
                    "ON n.level = k.level AND n.idx = k.idx",
                    ([k[0] for k in upper], [k[1] for k in upper]),
                ).fetchall()
                found.update(((int(level), int(idx)), bytes(h)) for level, idx, h in rows)
        return nodes_in_order(found, keys)

    def _lock_for_append(self, conn: psycopg.Connection[Any]) -> None:
        # An advisory lock, not LOCK TABLE: a role that may only insert can take it.
        conn.execute(_APPEND_LOCK)

    def _insert_rows(
        self,
        conn: psycopg.Connection[Any],
        leaves: Iterable[LeafRow],
        nodes: Iterable[NodeRow],
    ) -> None:
        with conn.cursor() as cur:
            with cur.copy("COPY ledger_leaves (idx, leaf, hash) FROM STDIN") as copy:
                for leaf in leaves:
                    copy.write_row(leaf)
            with cur.copy("COPY ledger_nodes (level, idx, hash) FROM STDIN") as copy:
                for node in nodes:
                    copy.write_row(node)


def _present(conn: psycopg.Connection[Any]) -> set[str]:
    """Names of the ledger's tables, function and triggers in the current schema."""
    rows = conn.execute(
        _PRESENT, {"tables": list(_TABLES), "function": _FUNCTION, "triggers": list(_TRIGGERS)}
    ).fetchall()
    return {str(r[0]) for r in rows}
