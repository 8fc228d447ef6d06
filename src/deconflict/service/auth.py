"""Party tokens: made once, stored only as a hash, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ..errors import InvalidInput, Unauthenticated

__all__ = [
    "RESERVED_NAMES",
    "Unauthenticated",
    "check_party_name",
    "hash_token",
    "new_token",
    "same_hash",
]

RESERVED_NAMES = ("deconflict", "service", "*")
"""Names no party may take: the service's own ledger entries and the rules' wildcard."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def check_party_name(name: str) -> str:
    """``name`` if it may name a party: 1–63 letters, digits, ``_ . -``, not reserved."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(
            f"party name {name!r}: use 1 to 63 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    if name.lower() in RESERVED_NAMES:
        raise InvalidInput(f"party name {name!r} is reserved")
    return name


def new_token() -> str:
    """A fresh bearer token: 256 random bits, URL-safe."""
    return "dcf_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of the token, hex (tokens carry 256 random bits: no salt or stretching
    is needed to make a stored hash useless to whoever reads it)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison of two token hashes."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
