"""Party administration: add, revoke, rotate a token; each change is a ledger entry.

Usable without a running service (``deconflict party ...`` against the same database).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..entropy import Entropy
from ..errors import InvalidInput
from ..ledger.log import Log
from ..store.base import Database
from ..store.officers import OfficerRow, OfficerStore
from ..store.records import PartyRow, ServiceStore
from .auth import check_party_name, hash_token, new_token
from .clock import Clock, WallClock, iso
from .i18n import LANGUAGES
from .officers import check_officer_name, check_role

__all__ = ["PartyAdmin", "salted"]


def salted(log: Log, entropy: Entropy) -> Log:
    """``log``, made to salt every entry it writes with ``entropy`` if it did not already."""
    if log.salt is None:
        log.salt = entropy.salt
    return log


class PartyAdmin:
    """Adds, lists, revokes parties and rotates their tokens in ``db``; adds, lists and
    revokes their officers.

    Its entries are salted like every entry of the service: a ``log`` given without a
    source of salts is given ``entropy``'s (default: the OS CSPRNG).
    """

    def __init__(
        self,
        db: Database,
        log: Log,
        store: ServiceStore | None = None,
        clock: Clock | None = None,
        entropy: Entropy | None = None,
    ) -> None:
        self.db = db
        self.log = salted(log, entropy or Entropy())
        self.store = store or ServiceStore(db)
        self.clock = clock or WallClock()
        self.officer_store = OfficerStore(self.store)

    def _write(self, entries: Sequence[Mapping[str, Any]], effect: Callable[[], None]) -> None:
        stamp = iso(self.clock.now())
        with self.db.write():
            effect()
            self.log.append([{**e, "time": stamp} for e in entries])
            self.log.sign_head()

    def add(self, name: str, language: str = "en") -> str:
        """Create a party; returns its token (shown once, stored only as a hash)."""
        check_party_name(name)
        if language not in LANGUAGES:
            raise InvalidInput(f"language: one of {', '.join(LANGUAGES)}, got {language!r}")
        token = new_token()
        now = self.clock.now()
        self._write(
            [{"kind": "party", "party": name, "action": "added", "language": language}],
            lambda: self.store.add_party(name, hash_token(token), language, now),
        )
        return token

    def revoke(self, name: str) -> None:
        """Revoke a party's token; it stops working at once."""
        self.store.party(name)
        now = self.clock.now()
        self._write(
            [{"kind": "party", "party": name, "action": "revoked"}],
            lambda: self.store.revoke_party(name, now),
        )

    def rotate(self, name: str) -> str:
        """A new token for ``name``; the old one stops working at once."""
        self.store.party(name)
        token = new_token()
        self._write(
            [{"kind": "party", "party": name, "action": "token-rotated"}],
            lambda: self.store.set_token_hash(name, hash_token(token)),
        )
        return token

    def rows(self) -> list[PartyRow]:
        """Every party, revoked ones included, by name."""
        return self.store.parties()

    # -- officers ------------------------------------------------------------------------

    def add_officer(self, party: str, name: str, role: str = "duty") -> str:
        """An officer of ``party``; returns its token (shown once, stored only as a hash).
        Its ledger entry is ``party``'s to read (another party never learns its name)."""
        check_officer_name(name)
        check_role(role)
        if self.store.party(party).revoked_at is not None:
            raise InvalidInput(f"party {party!r} is revoked")
        token = new_token()
        now = self.clock.now()
        entry = {"kind": "officer", "party": party, "officer": name, "action": "added"}
        self._write(
            [{**entry, "role": role}],
            lambda: self.officer_store.add(party, name, role, hash_token(token), now),
        )
        return token

    def revoke_officer(self, party: str, name: str) -> None:
        """Revoke an officer's token; it stops working at once."""
        self.officer_store.officer(party, name)
        now = self.clock.now()
        self._write(
            [{"kind": "officer", "party": party, "officer": name, "action": "revoked"}],
            lambda: self.officer_store.revoke(party, name, now),
        )

    def officers(self, party: str | None = None) -> list[OfficerRow]:
        """Every officer (of ``party`` when given), revoked ones included."""
        if party is not None:
            self.store.party(party)
        return self.officer_store.officers(party)
