"""The service's own tables: parties, current tracks, declarations, zones, alerts,
messages, channel state and idempotency keys.

One :class:`ServiceStore` over an open :class:`~deconflict.store.base.Database`
(SQLite or PostgreSQL). Queries are written once with ``?`` markers and turned into the
driver's marker. Every method that writes runs inside ``db.write()``, which joins an
outer transaction of the same thread: the service writes its records and their ledger
entries in one transaction and nothing is half-written.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import Conflict, NotFound, StoreError
from .base import Database

__all__ = ["PartyRow", "ServiceStore", "TrackRow", "WitnessKeyRow"]

_TABLES = {
    "service_parties": """CREATE TABLE service_parties (
        name        TEXT PRIMARY KEY,
        token_hash  TEXT NOT NULL UNIQUE,
        language    TEXT NOT NULL,
        created_at  {real} NOT NULL,
        revoked_at  {real}
    )""",
    "service_tracks": """CREATE TABLE service_tracks (
        party     TEXT NOT NULL,
        id        TEXT NOT NULL,
        time_s    {real} NOT NULL,
        lat       {real} NOT NULL,
        lon       {real} NOT NULL,
        alt_m     {real} NOT NULL,
        gs_mps    {real} NOT NULL,
        track_deg {real} NOT NULL,
        vs_mps    {real} NOT NULL,
        PRIMARY KEY (party, id)
    )""",
    "service_features": """CREATE TABLE service_features (
        party      TEXT NOT NULL,
        id         TEXT NOT NULL,
        kind       TEXT NOT NULL,
        feature    TEXT NOT NULL,
        consents   TEXT NOT NULL,
        created_at {real} NOT NULL,
        PRIMARY KEY (party, id)
    )""",
    "service_alerts": """CREATE TABLE service_alerts (
        id         TEXT PRIMARY KEY,
        akey       TEXT NOT NULL,
        state      TEXT NOT NULL,
        body       TEXT NOT NULL,
        updated_at {real} NOT NULL
    )""",
    "service_messages": """CREATE TABLE service_messages (
        id     TEXT PRIMARY KEY,
        body   TEXT NOT NULL,
        at     {real} NOT NULL
    )""",
    "service_channel": """CREATE TABLE service_channel (
        party  TEXT PRIMARY KEY,
        body   TEXT NOT NULL
    )""",
    "service_idempotency": """CREATE TABLE service_idempotency (
        party      TEXT NOT NULL,
        ikey       TEXT NOT NULL,
        digest     TEXT NOT NULL,
        response   TEXT NOT NULL,
        created_at {real} NOT NULL,
        PRIMARY KEY (party, ikey)
    )""",
    "service_witness_keys": """CREATE TABLE service_witness_keys (
        party       TEXT PRIMARY KEY,
        public_key  TEXT NOT NULL UNIQUE,
        token_hash  TEXT NOT NULL,
        entry       BIGINT NOT NULL,
        created_at  {real} NOT NULL
    )""",
    "service_cosignatures": """CREATE TABLE service_cosignatures (
        tree_size      BIGINT NOT NULL,
        sth            TEXT NOT NULL,
        party          TEXT NOT NULL,
        public_key     TEXT NOT NULL,
        signature      TEXT NOT NULL,
        head_signature TEXT NOT NULL,
        head_key       TEXT NOT NULL,
        at             {real} NOT NULL,
        PRIMARY KEY (tree_size, sth, party)
    )""",
}
_TYPES = {"?": {"real": "REAL"}, "%s": {"real": "DOUBLE PRECISION"}}


@dataclass(frozen=True)
class PartyRow:
    """A party as stored (the token only as its hash)."""

    name: str
    token_hash: str
    language: str
    created_at: float
    revoked_at: float | None


TrackRow = tuple[str, str, float, float, float, float, float, float, float]
"""``(party, id, time_s, lat, lon, alt_m, gs_mps, track_deg, vs_mps)``."""


@dataclass(frozen=True)
class WitnessKeyRow:
    """A party's witness key (base64), the token hash it was registered under, and the
    index of the ledger entry that put it on the record."""

    party: str
    public_key: str
    token_hash: str
    entry: int


class ServiceStore:
    """The service tables of ``db`` (created on open when ``create``)."""

    def __init__(self, db: Database, *, create: bool = True) -> None:
        self.db = db
        self.marker: str = getattr(db, "placeholder", "?")
        if create:
            self._create()
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        path = getattr(db, "path", None)
        if self.marker == "?" and path is not None:
            # lookups on every request (tokens, idempotency keys) read committed data
            # through their own connection, never waiting behind a write (WAL)
            try:
                self._reader = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30.0
                )
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite: cannot open {path} for reading: {exc}") from exc

    @contextmanager
    def _lookup(self) -> Iterator[Any]:
        """A connection for small committed reads: the reader (SQLite) or ``db.read()``."""
        if self._reader is None:
            with self.db.read() as conn:
                yield conn
            return
        with self._reader_lock:
            try:
                yield self._reader
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite: {exc}") from exc

    def close(self) -> None:
        """Close the reader connection (the database is closed by its owner)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _q(self, query: str) -> str:
        return query if self.marker == "?" else query.replace("?", self.marker)

    def _existing(self, conn: Any) -> set[str]:
        if self.marker == "?":
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        else:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchall()
        return {str(r[0]) for r in rows}

    def _create(self) -> None:
        with self.db.read() as conn:
            missing = [name for name in _TABLES if name not in self._existing(conn)]
        if not missing:
            return
        types = _TYPES[self.marker]
        with self.db.write() as conn:
            if self.marker != "?":
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('deconflict.service.schema'))")
            existing = self._existing(conn)
            for name, ddl in _TABLES.items():
                if name not in existing:
                    conn.execute(ddl.format(**types))

    # -- parties ---------------------------------------------------------------------

    def add_party(self, name: str, token_hash: str, language: str, at: float) -> None:
        with self.db.write() as conn:
            row = conn.execute(
                self._q("SELECT 1 FROM service_parties WHERE name = ?"), (name,)
            ).fetchone()
            if row is not None:
                raise Conflict(f"party {name!r} exists")
            conn.execute(
                self._q(
                    "INSERT INTO service_parties (name, token_hash, language, created_at) "
                    "VALUES (?, ?, ?, ?)"
                ),
                (name, token_hash, language, at),
            )

    def _party_rows(self, where: str, params: Sequence[Any]) -> list[PartyRow]:
        with self._lookup() as conn:
            rows = conn.execute(
                self._q(
                    "SELECT name, token_hash, language, created_at, revoked_at "
                    f"FROM service_parties {where} ORDER BY name"
                ),
                tuple(params),
            ).fetchall()
        return [PartyRow(str(r[0]), str(r[1]), str(r[2]), float(r[3]), r[4]) for r in rows]

    def parties(self) -> list[PartyRow]:
        """Every party, revoked ones included, by name."""
        return self._party_rows("", ())

    def party(self, name: str) -> PartyRow:
        rows = self._party_rows("WHERE name = ?", (name,))
        if not rows:
            raise NotFound(f"no party {name!r}")
        return rows[0]

    def party_by_token_hash(self, token_hash: str) -> PartyRow | None:
        rows = self._party_rows("WHERE token_hash = ?", (token_hash,))
        return rows[0] if rows else None

    def revoke_party(self, name: str, at: float) -> None:
        self.party(name)
        with self.db.write() as conn:
            conn.execute(
                self._q("UPDATE service_parties SET revoked_at = ? WHERE name = ?"), (at, name)
            )

    def set_token_hash(self, name: str, token_hash: str) -> None:
        self.party(name)
        with self.db.write() as conn:
            conn.execute(
                self._q(
                    "UPDATE service_parties SET token_hash = ?, revoked_at = NULL WHERE name = ?"
                ),
                (token_hash, name),
            )

    # -- tracks ----------------------------------------------------------------------

    def upsert_tracks(self, rows: Iterable[TrackRow]) -> None:
        """Insert or replace tracks by (party, id); the rows must name each track once."""
        rows = list(rows)
        if not rows:
            return
        update = (
            " ON CONFLICT (party, id) DO UPDATE SET time_s = excluded.time_s, "
            "lat = excluded.lat, lon = excluded.lon, alt_m = excluded.alt_m, "
            "gs_mps = excluded.gs_mps, track_deg = excluded.track_deg, "
            "vs_mps = excluded.vs_mps"
        )
        columns = "(party, id, time_s, lat, lon, alt_m, gs_mps, track_deg, vs_mps)"
        with self.db.write() as conn:
            if self.marker == "?":
                _executemany(
                    conn,
                    f"INSERT INTO service_tracks {columns} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + update,
                    rows,
                )
                return
            # PostgreSQL: the whole batch in one statement, one column array each
            cols = list(zip(*rows, strict=True))
            conn.execute(
                f"INSERT INTO service_tracks {columns} SELECT * FROM unnest("
                "%s::text[], %s::text[], %s::float8[], %s::float8[], %s::float8[], "
                "%s::float8[], %s::float8[], %s::float8[], %s::float8[])" + update,
                [list(c) for c in cols],
            )

    def delete_tracks(self, keys: Iterable[tuple[str, str]]) -> None:
        with self.db.write() as conn:
            _executemany(
                conn, self._q("DELETE FROM service_tracks WHERE party = ? AND id = ?"), list(keys)
            )

    def tracks(self) -> list[TrackRow]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT party, id, time_s, lat, lon, alt_m, gs_mps, track_deg, vs_mps "
                "FROM service_tracks ORDER BY party, id"
            ).fetchall()
        out: list[TrackRow] = []
        for r in rows:
            t, lat, lon, alt, gs, trk, vs = (float(x) for x in r[2:])
            out.append((str(r[0]), str(r[1]), t, lat, lon, alt, gs, trk, vs))
        return out

    # -- declarations and zones ------------------------------------------------------

    def upsert_feature(
        self,
        party: str,
        id: str,
        kind: str,
        feature: dict[str, Any],
        consents: Sequence[str],
        at: float,
    ) -> None:
        with self.db.write() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO service_features (party, id, kind, feature, consents, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (party, id) DO UPDATE "
                    "SET kind = excluded.kind, feature = excluded.feature, "
                    "consents = excluded.consents, created_at = excluded.created_at"
                ),
                (party, id, kind, _dumps(feature), _dumps(list(consents)), at),
            )

    def delete_feature(self, party: str, id: str) -> None:
        """Remove ``party``'s declaration ``id`` (a withdrawal)."""
        with self.db.write() as conn:
            conn.execute(
                self._q("DELETE FROM service_features WHERE party = ? AND id = ?"), (party, id)
            )

    def features(self) -> list[tuple[str, str, str, dict[str, Any], list[str], float]]:
        """``(party, id, kind, feature, consents, created_at)`` of every declaration."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT party, id, kind, feature, consents, created_at FROM service_features "
                "ORDER BY created_at, party, id"
            ).fetchall()
        return [
            (str(r[0]), str(r[1]), str(r[2]), json.loads(r[3]), json.loads(r[4]), float(r[5]))
            for r in rows
        ]

    # -- alerts, messages, channel ---------------------------------------------------

    def upsert_alert(self, id: str, key: str, state: str, body: dict[str, Any], at: float) -> None:
        with self.db.write() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO service_alerts (id, akey, state, body, updated_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "state = excluded.state, body = excluded.body, "
                    "updated_at = excluded.updated_at"
                ),
                (id, key, state, _dumps(body), at),
            )

    def alerts(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM service_alerts ORDER BY updated_at, id"
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def add_message(self, id: str, body: dict[str, Any], at: float) -> None:
        with self.db.write() as conn:
            conn.execute(
                self._q("INSERT INTO service_messages (id, body, at) VALUES (?, ?, ?)"),
                (id, _dumps(body), at),
            )

    def messages(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT body FROM service_messages ORDER BY at, id").fetchall()
        return [json.loads(r[0]) for r in rows]

    def set_channel(self, party: str, body: dict[str, Any]) -> None:
        with self.db.write() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO service_channel (party, body) VALUES (?, ?) "
                    "ON CONFLICT (party) DO UPDATE SET body = excluded.body"
                ),
                (party, _dumps(body)),
            )

    def channel(self) -> dict[str, dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT party, body FROM service_channel").fetchall()
        return {str(r[0]): json.loads(r[1]) for r in rows}

    # -- idempotency -----------------------------------------------------------------

    def idempotent_response(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """``(request digest, response)`` stored under ``key`` for ``party``, if any."""
        with self.db.read() as conn:
            row = conn.execute(
                self._q(
                    "SELECT digest, response FROM service_idempotency WHERE party = ? AND ikey = ?"
                ),
                (party, key),
            ).fetchone()
        return None if row is None else (str(row[0]), json.loads(row[1]))

    def save_idempotent(
        self, party: str, key: str, digest: str, response: dict[str, Any], at: float
    ) -> None:
        with self.db.write() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO service_idempotency (party, ikey, digest, response, created_at) "
                    "VALUES (?, ?, ?, ?, ?)"
                ),
                (party, key, digest, _dumps(response), at),
            )

    # -- witnesses -------------------------------------------------------------------

    def issued_head(self, tree_size: int, sth: str, recent: int) -> tuple[bytes, bytes] | None:
        """``(signature, public_key)`` of the tree head ``sth`` if it is one of the last
        ``recent`` heads the log kept (``ledger_heads``), else ``None``.

        Reads at most ``recent`` rows, by the table's key, however long the log."""
        with self.db.read() as conn:
            row = conn.execute(
                self._q(
                    "SELECT signature, public_key FROM ledger_heads WHERE id > "
                    "(SELECT COALESCE(MAX(id), 0) FROM ledger_heads) - ? "
                    "AND tree_size = ? AND sth = ? ORDER BY id DESC LIMIT 1"
                ),
                (recent, tree_size, sth),
            ).fetchone()
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def _witness_rows(self, where: str, params: Sequence[Any]) -> list[WitnessKeyRow]:
        with self.db.read() as conn:
            rows = conn.execute(
                self._q(
                    "SELECT party, public_key, token_hash, entry FROM service_witness_keys " + where
                ),
                tuple(params),
            ).fetchall()
        return [WitnessKeyRow(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def witness_key(self, party: str) -> WitnessKeyRow | None:
        """The witness key registered for ``party``, if any."""
        rows = self._witness_rows("WHERE party = ?", (party,))
        return rows[0] if rows else None

    def witness_key_of(self, public_key: str) -> WitnessKeyRow | None:
        """The registration of the witness key ``public_key`` (base64), by any party."""
        rows = self._witness_rows("WHERE public_key = ?", (public_key,))
        return rows[0] if rows else None

    def set_witness_key(
        self, party: str, public_key: str, token_hash: str, entry: int, at: float
    ) -> None:
        with self.db.write() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO service_witness_keys (party, public_key, token_hash, entry, "
                    "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (party) DO UPDATE SET "
                    "public_key = excluded.public_key, token_hash = excluded.token_hash, "
                    "entry = excluded.entry, created_at = excluded.created_at"
                ),
                (party, public_key, token_hash, entry, at),
            )

    def add_cosignature(
        self,
        tree_size: int,
        sth: str,
        party: str,
        public_key: str,
        signature: str,
        head: tuple[str, str],
        at: float,
    ) -> None:
        """Keep a cosignature (once per party and head); ``head`` is the service's own
        ``(signature, public_key)`` of ``sth``, in base64."""
        with self.db.write() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO service_cosignatures (tree_size, sth, party, public_key, "
                    "signature, head_signature, head_key, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (tree_size, sth, party) DO NOTHING"
                ),
                (tree_size, sth, party, public_key, signature, head[0], head[1], at),
            )

    def cosignatures(self, tree_size: int, sth: str) -> list[dict[str, str]]:
        """``{"party", "public_key", "signature"}`` of each cosignature of ``sth``, by party."""
        with self.db.read() as conn:
            rows = conn.execute(
                self._q(
                    "SELECT party, public_key, signature FROM service_cosignatures "
                    "WHERE tree_size = ? AND sth = ? ORDER BY party"
                ),
                (tree_size, sth),
            ).fetchall()
        return [{"party": str(r[0]), "public_key": str(r[1]), "signature": str(r[2])} for r in rows]

    def latest_cosigned(self) -> tuple[int, str, str, str] | None:
        """``(tree_size, sth, signature, public_key)`` of the largest head (the latest
        signed among equals) that has a cosignature; ``None`` if none has."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT tree_size, sth, head_signature, head_key FROM service_cosignatures "
                "ORDER BY tree_size DESC, sth DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]), str(row[3]))


def _executemany(conn: Any, query: str, rows: list[Any]) -> None:
    """``executemany`` through a cursor (psycopg connections have none of their own)."""
    if not rows:
        return
    cur = conn.cursor()
    try:
        cur.executemany(query, rows)
    finally:
        cur.close()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
