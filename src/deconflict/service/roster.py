"""The parties a running service knows: their names, languages, whether they are active,
and who a bearer token belongs to.

The parties themselves live in the store (:class:`PartyStore`); a :class:`Roster` keeps
them in memory for the hotline and takes in what another process changed
(``deconflict party ...`` while serving). Adding, revoking and rotating, each with its
ledger entry, is :class:`~deconflict.service.parties.PartyAdmin`'s.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol

from ..model import Party
from ..store.records import PartyRow
from .auth import Unauthenticated, hash_token, same_hash

__all__ = ["PartyStore", "Roster"]


class PartyStore(Protocol):
    """Where the parties are kept (:class:`~deconflict.store.records.ServiceStore`)."""

    def parties(self) -> list[PartyRow]:
        """Every party, revoked ones included, by name."""
        ...

    def party(self, name: str) -> PartyRow:
        """The party named ``name``, revoked or not (:class:`~deconflict.errors.NotFound`
        if there is none)."""
        ...

    def party_by_token_hash(self, token_hash: str) -> PartyRow | None:
        """The party whose token has this hash, if any."""
        ...


class Roster:
    """The parties of ``store``, in memory; safe from any thread (its own lock, taken
    for no longer than a dictionary update and never around another lock)."""

    def __init__(self, store: PartyStore) -> None:
        self.store = store
        self.parties: dict[str, Party] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Take every party from the store (start-up)."""
        rows = self.store.parties()
        with self._lock:
            for row in rows:
                self.parties[row.name] = Party(row.name, row.language, row.revoked_at is None)

    def added(self, name: str, language: str) -> None:
        """``name`` was added (or given a new token): it is active."""
        with self._lock:
            self.parties[name] = Party(name, language)

    def revoked(self, name: str) -> None:
        """``name``'s token was revoked: it is no longer active."""
        with self._lock:
            if name in self.parties:
                self.parties[name] = replace(self.parties[name], active=False)

    def authenticate(self, token: str | None) -> str:
        """The party a bearer token belongs to; :class:`Unauthenticated` otherwise.

        Looked up by hash (tokens are 256-bit random, so the hash is as secret as the
        token), confirmed with a constant-time comparison; a revoked or rotated token
        fails at once, also when the change came from another process.
        """
        if not token:
            raise Unauthenticated("missing bearer token")
        digest = hash_token(token)
        row = self.store.party_by_token_hash(digest)
        if row is None or row.revoked_at is not None or not same_hash(row.token_hash, digest):
            raise Unauthenticated("unknown or revoked token")
        if row.name not in self.parties:  # a party added by another process
            with self._lock:
                self.parties.setdefault(row.name, Party(row.name, row.language))
        return row.name

    def refresh(self) -> list[str]:
        """Take in the parties added, revoked or given a new language by another process;
        returns the names that changed."""
        rows = self.store.parties()
        changed: list[str] = []
        with self._lock:
            for row in rows:
                active = row.revoked_at is None
                known = self.parties.get(row.name)
                if known is None or (known.active, known.language) != (active, row.language):
                    self.parties[row.name] = Party(row.name, row.language, active)
                    changed.append(row.name)
        return changed

    def language_of(self, party: str) -> str:
        """``party``'s language (English for a party it does not know)."""
        p = self.parties.get(party)
        return p.language if p is not None else "en"

    def is_active(self, party: str) -> bool:
        p = self.parties.get(party)
        return p is not None and p.active

    def active(self) -> list[str]:
        """The active parties' names, sorted."""
        with self._lock:
            return sorted(p.name for p in self.parties.values() if p.active)

    def gone(self) -> set[str]:
        """The revoked parties' names."""
        with self._lock:
            return {p.name for p in self.parties.values() if not p.active}
