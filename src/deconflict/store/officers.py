"""The officers' table: several per party, each with its own token (stored as a hash)
and a role.

An :class:`OfficerStore` sits beside the :class:`~deconflict.store.records.ServiceStore`
of the same database and uses its connections and query markers; it creates its own
table on open. Writes run inside ``db.write()`` (joining an outer transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import Conflict, NotFound
from .records import ServiceStore

__all__ = ["OfficerRow", "OfficerStore"]

_DDL = """CREATE TABLE service_officers (
    party       TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  {real} NOT NULL,
    revoked_at  {real},
    PRIMARY KEY (party, name)
)"""
_REAL = {"?": "REAL", "%s": "DOUBLE PRECISION"}
_COLUMNS = "party, name, role, token_hash, created_at, revoked_at"


@dataclass(frozen=True)
class OfficerRow:
    """An officer as stored (the token only as its hash; times POSIX seconds)."""

    party: str
    name: str
    role: str
    token_hash: str
    created_at: float
    revoked_at: float | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class OfficerStore:
    """The ``service_officers`` table of ``store``'s database."""

    def __init__(self, store: ServiceStore) -> None:
        self.store = store
        self.db = store.db
        self._create()

    def _create(self) -> None:
        with self.db.read() as conn:
            if "service_officers" in self.store._existing(conn):
                return
        with self.db.write() as conn:
            if self.store.marker != "?":
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('deconflict.service.schema'))")
            if "service_officers" not in self.store._existing(conn):
                conn.execute(_DDL.format(real=_REAL[self.store.marker]))

    def _rows(self, where: str, params: Sequence[Any]) -> list[OfficerRow]:
        with self.store._lookup() as conn:
            rows = conn.execute(
                self.store._q(
                    f"SELECT {_COLUMNS} FROM service_officers {where} ORDER BY party, name"
                ),
                tuple(params),
            ).fetchall()
        return [
            OfficerRow(str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), r[5]) for r in rows
        ]

    def add(self, party: str, name: str, role: str, token_hash: str, at: float) -> None:
        """A new officer of ``party``; :class:`Conflict` if ``party`` has one so named."""
        with self.db.write() as conn:
            found = conn.execute(
                self.store._q("SELECT 1 FROM service_officers WHERE party = ? AND name = ?"),
                (party, name),
            ).fetchone()
            if found is not None:
                raise Conflict(f"party {party!r} has an officer {name!r}")
            conn.execute(
                self.store._q(
                    "INSERT INTO service_officers (party, name, role, token_hash, created_at) "
                    "VALUES (?, ?, ?, ?, ?)"
                ),
                (party, name, role, token_hash, at),
            )

    def officers(self, party: str | None = None) -> list[OfficerRow]:
        """Every officer (of ``party`` when given), revoked ones included."""
        if party is None:
            return self._rows("", ())
        return self._rows("WHERE party = ?", (party,))

    def officer(self, party: str, name: str) -> OfficerRow:
        rows = self._rows("WHERE party = ? AND name = ?", (party, name))
        if not rows:
            raise NotFound(f"party {party!r} has no officer {name!r}")
        return rows[0]

    def by_token_hash(self, token_hash: str) -> OfficerRow | None:
        rows = self._rows("WHERE token_hash = ?", (token_hash,))
        return rows[0] if rows else None

    def revoke(self, party: str, name: str, at: float) -> None:
        self.officer(party, name)
        with self.db.write() as conn:
            conn.execute(
                self.store._q(
                    "UPDATE service_officers SET revoked_at = ? WHERE party = ? AND name = ?"
                ),
                (at, party, name),
            )
