"""Randomness for the record: the salts of ledger entries and the ids the service assigns.

A live service draws from the operating system's CSPRNG (:mod:`secrets`). A replay is a
simulation and must give the same bytes for the same scenario, so it draws from a
stream seeded from the scenario instead (:meth:`Entropy.seeded`): SHA-256 of the seed
and a block counter. Imports nothing of the project.

>>> a, b = Entropy.seeded(b"scenario"), Entropy.seeded(b"scenario")
>>> a.salt() == b.salt() and a.id("al") == b.id("al")
True
>>> len(Entropy().salt())
22
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading

__all__ = ["ID_BYTES", "SALT_BYTES", "Entropy"]

SALT_BYTES = 16
"""Random bytes in a ledger entry's ``salt`` (128 bits)."""
ID_BYTES = 16
"""Random bytes in an id the service assigns (128 bits)."""


class Entropy:
    """A source of random bytes: the OS CSPRNG, or a seeded stream (:meth:`seeded`).

    Safe to share between threads.
    """

    def __init__(self) -> None:
        self._seed: bytes | None = None
        self._counter = 0
        self._buffer = b""
        self._lock = threading.Lock()

    @classmethod
    def seeded(cls, seed: bytes) -> Entropy:
        """A deterministic stream: the same seed gives the same bytes, in the same order."""
        entropy = cls()
        entropy._seed = hashlib.sha256(b"deconflict entropy\x00" + seed).digest()
        return entropy

    @property
    def is_seeded(self) -> bool:
        return self._seed is not None

    def random_bytes(self, n: int) -> bytes:
        """``n`` random bytes."""
        if self._seed is None:
            return secrets.token_bytes(n)
        with self._lock:
            while len(self._buffer) < n:
                block = self._counter.to_bytes(8, "big")
                self._buffer += hashlib.sha256(self._seed + block).digest()
                self._counter += 1
            out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def salt(self) -> str:
        """A ledger entry's ``salt``: 128 random bits as base64url without padding."""
        return base64.urlsafe_b64encode(self.random_bytes(SALT_BYTES)).rstrip(b"=").decode("ascii")

    def id(self, prefix: str) -> str:
        """A fresh id ``PREFIX-`` + 128 random bits in hex (32 digits)."""
        return f"{prefix}-{self.random_bytes(ID_BYTES).hex()}"
