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

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

from ..errors import Conflict, StoreError
from ..ledger.signing import SignedTreeHead
from ..ledger.storage import NodeRow
from ..ledger.tree import NodeKey
from .sqlite import split_rows

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


class PostgresDatabase:
    """A PostgreSQL database (or one schema of it) shared by every concern's store."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.target = url
        self.schema = schema
        self._lock = threading.RLock()
        try:
            self.conn = psycopg.connect(url, autocommit=True)
            if schema is not None:
                self.conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
                self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        except psycopg.Error as exc:
            raise StoreError(f"cannot open PostgreSQL database: {exc}") from exc
        self._ledger: PostgresLedgerStore | None = None

    def __repr__(self) -> str:
        return f"PostgresDatabase(schema={self.schema!r})"

    @property
    def ledger(self) -> PostgresLedgerStore:
        """The log's store (tables created on first use)."""
        if self._ledger is None:
            self._ledger = PostgresLedgerStore(self)
        return self._ledger

    def default_key_dir(self) -> Path | None:
        """None: a server database has no natural place for a key file."""
        return None

    def key_file_stem(self) -> str:
        """``deconflict-ledger`` (plus the schema when one is given)."""
        return "deconflict-ledger" + (f"-{self.schema}" if self.schema else "")

    @contextmanager
    def write(self) -> Iterator[psycopg.Connection]:
        """One transaction; rolled back on any error."""
        with self._lock:
            try:
                with self.conn.transaction():
                    yield self.conn
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL: {exc}") from exc

    @contextmanager
    def read(self) -> Iterator[psycopg.Connection]:
        """The connection for reads, with psycopg errors translated."""
        with self._lock:
            try:
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

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self.conn.close()

    def __enter__(self) -> PostgresDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PostgresLedgerStore:
    """The :class:`~deconflict.ledger.storage.LedgerStore` of a PostgreSQL database."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        with db.write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('deconflict.ledger.schema'))")
            for statement in _LEDGER_SCHEMA:
                conn.execute(statement)

    def ledger_size(self) -> int:
        with self.db.read() as conn:
            row = conn.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves").fetchone()
        assert row is not None
        return int(row[0])

    def read_leaves(self, start: int, end: int) -> list[bytes]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT leaf FROM ledger_leaves WHERE idx >= %s AND idx < %s ORDER BY idx",
                (start, end),
            ).fetchall()
        return [bytes(r[0]) for r in rows]

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
        try:
            return [found[key] for key in keys]
        except KeyError as exc:
            raise StoreError(f"ledger: no stored subtree {exc.args[0]}") from exc

    def append_leaves(
        self,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[NodeRow],
        meta: Mapping[str, str],
    ) -> None:
        with self.db.write() as conn:
            conn.execute("LOCK TABLE ledger_leaves IN SHARE ROW EXCLUSIVE MODE")
            row = conn.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves").fetchone()
            assert row is not None
            if row[0] != start:
                raise Conflict(f"ledger: holds {row[0]} entries, not {start}")
            leaf_rows, node_rows = split_rows(start, leaves, nodes)
            with conn.cursor() as cur:
                with cur.copy("COPY ledger_leaves (idx, leaf, hash) FROM STDIN") as copy:
                    for row in leaf_rows:
                        copy.write_row(row)
                with cur.copy("COPY ledger_nodes (level, idx, hash) FROM STDIN") as copy:
                    for node in node_rows:
                        copy.write_row(node)
                for name, value in meta.items():
                    cur.execute(
                        "INSERT INTO ledger_meta (name, value) VALUES (%s, %s) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                        (name, value),
                    )

    def save_head(self, head: SignedTreeHead) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO ledger_heads (tree_size, sth, signature, public_key) "
                "VALUES (%s, %s, %s, %s)",
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
        with self.db.read() as conn:
            row = conn.execute("SELECT value FROM ledger_meta WHERE name = %s", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO ledger_meta (name, value) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
