"""Idempotent writes: a retry with the same ``Idempotency-Key`` gets the first answer.

Per party and key the store keeps the digest of the request and the answer it got
(:class:`IdempotencyStore`). The same key with the same request gets that answer again;
the same key with another request is refused. Running the write once is the service's
(its lock, then the database's transaction, as on every write path).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from ..errors import Conflict, InvalidInput

__all__ = ["Idempotency", "IdempotencyStore", "check_key", "digest", "stored_answer"]

MAX_KEY = 200
"""Longest ``Idempotency-Key``, in characters."""


class IdempotencyStore(Protocol):
    """Where answers are kept by (party, key) (:class:`~deconflict.store.records.ServiceStore`)."""

    def idempotent_response(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """``(request digest, response)`` stored under ``key`` for ``party``, if any."""
        ...

    def save_idempotent(
        self, party: str, key: str, digest: str, response: dict[str, Any], at: float
    ) -> None:
        """Keep the answer (inside the write's own transaction)."""
        ...


def digest(request: Any) -> str:
    """SHA-256 (hex) of a request's canonical JSON.

    >>> digest({"b": 1, "a": [2]}) == digest({"a": [2], "b": 1})
    True
    """
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: Any) -> str:
    """``key`` if it may be an ``Idempotency-Key``; :class:`InvalidInput` otherwise."""
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
        raise InvalidInput(f"Idempotency-Key: 1 to {MAX_KEY} characters")
    return key


def stored_answer(found: tuple[str, dict[str, Any]], request_digest: str) -> dict[str, Any]:
    """The stored answer to a repeated request; :class:`Conflict` if the key was used
    for another request."""
    if found[0] != request_digest:
        raise Conflict("Idempotency-Key was used with a different request")
    return found[1]


class Idempotency:
    """The answers kept in ``store``."""

    def __init__(self, store: IdempotencyStore) -> None:
        self.store = store

    def lookup(self, party: str, key: str, request: Any) -> tuple[str, dict[str, Any] | None]:
        """``(the request's digest, the answer it already got or None)``; raises if the
        key is not one or was used for another request."""
        check_key(key)
        request_digest = digest(request)
        found = self.store.idempotent_response(party, key)
        return request_digest, None if found is None else stored_answer(found, request_digest)

    def answer(self, party: str, key: str, request_digest: str) -> dict[str, Any] | None:
        """The answer kept for ``key`` if any (read inside a write's transaction)."""
        found = self.store.idempotent_response(party, key)
        return None if found is None else stored_answer(found, request_digest)

    def save(
        self, party: str, key: str, request_digest: str, response: dict[str, Any], at: float
    ) -> None:
        self.store.save_idempotent(party, key, request_digest, response, at)
