"""PostgreSQL backend through psycopg 3.

Each write is one transaction; appends take a ``SHARE ROW EXCLUSIVE`` lock on the
leaves table so that writers from several processes queue instead of interleaving.
Tables live in the connection's ``search_path`` schema, or in ``schema`` when given
(created if needed). The tables are those of the SQLite backend and, as there, triggers
refuse ``UPDATE`` and ``DELETE`` on leaves, subtree hashes and signed heads.
The signing key is not kept in the database: give a key directory (``--key-dir`` or
``DECONFLICT_KEY_DIR``, see :mod:`deconflict.store.keys`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ..errors import StoreError
from ..ledger.storage import NodeRow, nodes_in_order
from ..ledger.tree import NodeKey
from .sql import LeafRow, SQLDatabase, SQLLedgerStore

__all__ = ["PostgresDatabase", "PostgresLedgerStore"]

_LEDGER_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS ledger_leaves (
        idx  BIGINT PRIMARY KEY,
        leaf BYTEA NOT NULL,
        hash BYTEA NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_nodes (
        level SMALLINT NOT NULL,
        idx   BIGINT NOT NULL,
        hash  BYTEA NOT NULL,
        PRIMARY KEY (level, idx)
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_heads (
        id         BIGSERIAL PRIMARY KEY,
        tree_size  BIGINT NOT NULL,
        sth        TEXT NOT NULL,
        signature  BYTEA NOT NULL,
        public_key BYTEA NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_meta (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the ledger is append-only'; END $$""",
    """CREATE OR REPLACE TRIGGER ledger_leaves_append_only
       BEFORE UPDATE OR DELETE ON ledger_leaves
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
    """CREATE OR REPLACE TRIGGER ledger_nodes_append_only
       BEFORE UPDATE OR DELETE ON ledger_nodes
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
    """CREATE OR REPLACE TRIGGER ledger_heads_append_only
       BEFORE UPDATE OR DELETE ON ledger_heads
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
]


class PostgresDatabase(SQLDatabase[psycopg.Connection[Any]]):
    """A PostgreSQL database (or one schema of it) shared by every concern's store."""

    driver_error = psycopg.Error
    label = "PostgreSQL"

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        super().__init__(url)
        self.schema = schema
        try:
            self.conn = psycopg.connect(url, autocommit=True)
            if schema is not None:
                self.conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
                self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        except psycopg.Error as exc:
            raise StoreError(f"cannot open PostgreSQL database: {exc}") from exc

    def __repr__(self) -> str:
        return f"PostgresDatabase(schema={self.schema!r})"

    def _open_ledger(self) -> PostgresLedgerStore:
        return PostgresLedgerStore(self)

    def default_key_dir(self) -> Path | None:
        """None: a server database has no natural place for a key file."""
        return None

    def key_file_stem(self) -> str:
        """``deconflict-ledger`` (plus the schema when one is given)."""
        return "deconflict-ledger" + (f"-{self.schema}" if self.schema else "")

    @contextmanager
    def write(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction; rolled back on any error."""
        with self._lock:
            try:
                with self.conn.transaction():
                    yield self.conn
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL: {exc}") from exc

    def drop_schema(self) -> None:
        """Drop the schema given at open, with everything in it (tests)."""
        if self.schema is None:
            raise StoreError("no schema to drop")
        with self.read() as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )


class PostgresLedgerStore(SQLLedgerStore[psycopg.Connection[Any]]):
    """The :class:`~deconflict.ledger.storage.LedgerStore` of a PostgreSQL database."""

    placeholder = "%s"

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__(db)
        with db.write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('deconflict.ledger.schema'))")
            for statement in _LEDGER_SCHEMA:
                conn.execute(statement)

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
        conn.execute("LOCK TABLE ledger_leaves IN SHARE ROW EXCLUSIVE MODE")

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
