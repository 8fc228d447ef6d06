"""Duty officers: the people who act for a party, each with its own token and a role.

A bearer token names a :class:`Principal`: a party acting as a machine client (its party
token, ``officer`` ``None``) or one of its officers (``duty``, ``supervisor`` or
``viewer``; a viewer reads and never writes). :class:`Officers` keeps the officers of a
store in memory, authenticates tokens (party tokens through the
:class:`~deconflict.service.roster.Roster`), and knows who is present: connected on the
stream now or within :data:`PRESENT_S` seconds on the service's clock.

Disclosure: a party sees all its own officers (name, role, present); of another party
only its duty officers' names and whether each is present.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import Forbidden, InvalidInput
from ..store.officers import OfficerRow, OfficerStore
from .auth import Unauthenticated, hash_token, same_hash
from .clock import Clock
from .roster import Roster

__all__ = [
    "PRESENT_S",
    "ROLES",
    "Officers",
    "Principal",
    "check_officer_name",
    "check_role",
]

ROLES = ("duty", "supervisor", "viewer")
"""An officer's roles: duty officers get every alert at once, supervisors when the
ladder reaches them, viewers read only."""
PRESENT_S = 60.0
"""An officer is present while connected, and this many seconds after it left."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.'-]{0,62}$")


def check_officer_name(name: Any) -> str:
    """``name`` if it may name an officer: 1–63 letters, digits, spaces, ``_ . ' -``."""
    if not isinstance(name, str) or not _NAME.match(name) or name != name.strip():
        raise InvalidInput(
            f"officer name {name!r}: use 1 to 63 letters, digits, spaces, '_', '.', \"'\" "
            "or '-', starting with a letter or digit"
        )
    return name


def check_role(role: Any) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role: one of {', '.join(ROLES)}, got {role!r}")
    return str(role)


@dataclass(frozen=True)
class Principal:
    """Who a token names: ``party``, and ``officer`` with its ``role`` (both ``None``
    for the party's own token)."""

    party: str
    officer: str | None = None
    role: str | None = None

    @property
    def can_write(self) -> bool:
        return self.role != "viewer"

    def check_write(self) -> None:
        """:class:`Forbidden` (403) for a viewer."""
        if not self.can_write:
            raise Forbidden(f"officer {self.officer!r} of {self.party!r} is a viewer: read only")


class Officers:
    """The officers of ``store`` in memory and their presence (safe from any thread)."""

    def __init__(self, store: OfficerStore, roster: Roster, clock: Clock) -> None:
        self.store = store
        self.roster = roster
        self.clock = clock
        self.known: dict[tuple[str, str], OfficerRow] = {}
        self._connected: dict[tuple[str, str], int] = {}
        self._left_at: dict[tuple[str, str], float] = {}
        self._sources: dict[str, dict[tuple[str, str], int]] = {}
        """Streams counted per source (a cluster's gateway): (party, officer) -> n."""
        self._checked = clock.now()
        self._lock = threading.Lock()

    def load(self) -> None:
        self.refresh()

    def refresh(self) -> list[str]:
        """Take in officers added or revoked by another process; the parties changed."""
        rows = {(r.party, r.name): r for r in self.store.officers()}
        with self._lock:
            changed = {
                key[0]
                for key in set(rows) | set(self.known)
                if (a := rows.get(key)) is None
                or (b := self.known.get(key)) is None
                or (a.role, a.active) != (b.role, b.active)
            }
            self.known = rows
        return sorted(changed)

    def authenticate(self, token: str | None) -> Principal:
        """The principal a bearer token names; :class:`Unauthenticated` otherwise.

        An officer's token fails at once when the officer or its party is revoked,
        also when that was done by another process (both are read from the store)."""
        try:
            return Principal(self.roster.authenticate(token))
        except Unauthenticated:
            if not token:
                raise
        digest = hash_token(token)
        row = self.store.by_token_hash(digest)
        if row is None or not row.active or not same_hash(row.token_hash, digest):
            raise Unauthenticated("unknown or revoked token")
        if self.roster.store.party(row.party).revoked_at is not None:
            raise Unauthenticated("unknown or revoked token")
        with self._lock:
            self.known.setdefault((row.party, row.name), row)
        return Principal(row.party, row.name, row.role)

    # -- presence ------------------------------------------------------------------------

    def connected(self, who: Principal, source: str | None = None) -> bool:
        """``who`` opened a stream (at ``source``: a cluster's gateway, None here);
        whether that made it present (it was absent), so that an officer reconnecting in
        a loop changes the roster at most once a minute."""
        if who.officer is None:
            return False
        key = (who.party, who.officer)
        was = self.present(who.party, who.officer)
        with self._lock:
            self._add(key, 1, source)
        return not was

    def left(self, who: Principal, source: str | None = None) -> None:
        """``who`` closed a stream (it stays present for :data:`PRESENT_S`; the lapse is
        found by :meth:`lapsed`)."""
        if who.officer is None:
            return
        with self._lock:
            self._add((who.party, who.officer), -1, source)

    def resync(self, source: str, streams: list[tuple[str, str, int]]) -> None:
        """``source`` (a gateway) holds exactly ``streams``: (party, officer, how many
        streams) each. Replaces what was counted from it: a recorder that took over, or
        missed a call while changing over, counts every gateway's officers right."""
        with self._lock:
            held = dict(self._sources.get(source, {}))
            told = {(p, o): int(n) for p, o, n in streams if int(n) > 0}
            for key in set(held) | set(told):
                self._add(key, told.get(key, 0) - held.get(key, 0), source)

    def _add(self, key: tuple[str, str], n: int, source: str | None) -> None:
        """Count ``n`` more streams of ``key`` (from ``source``); under the lock."""
        if source is not None:
            counts = self._sources.setdefault(source, {})
            counts[key] = max(0, counts.get(key, 0) + n)
            if not counts[key]:
                del counts[key]
        total = self._connected.get(key, 0) + n
        if total > 0:
            self._connected[key] = total
        elif key in self._connected:
            self._connected.pop(key)
            self._left_at[key] = self.clock.now()

    def present(self, party: str, name: str, now: float | None = None) -> bool:
        """Whether the officer is connected, or was within :data:`PRESENT_S` seconds."""
        key = (party, name)
        now = self.clock.now() if now is None else now
        with self._lock:
            if self._connected.get(key, 0) > 0:
                return True
            left = self._left_at.get(key)
        return left is not None and now - left < PRESENT_S

    def lapsed(self) -> bool:
        """Whether an officer stopped being present since the last call."""
        now = self.clock.now()
        with self._lock:
            since, self._checked = self._checked, now
            return any(
                since < left + PRESENT_S <= now and key not in self._connected
                for key, left in self._left_at.items()
            )

    # -- what a party may read -----------------------------------------------------------

    def roster_for(self, party: str, parties: list[str]) -> list[dict[str, Any]]:
        """The duty roster per active party as ``party`` may read it: its own officers
        ``{"name", "role", "present"}``, another's duty officers ``{"name", "present"}``."""
        now = self.clock.now()
        with self._lock:
            rows = [r for r in self.known.values() if r.active]
        out = []
        for p in parties:
            mine = sorted((r for r in rows if r.party == p), key=lambda r: r.name)
            if p == party:
                officers = [
                    {"name": r.name, "role": r.role, "present": self.present(p, r.name, now)}
                    for r in mine
                ]
            else:
                officers = [
                    {"name": r.name, "present": self.present(p, r.name, now)}
                    for r in mine
                    if r.role == "duty"
                ]
            out.append({"party": p, "officers": officers})
        return out
