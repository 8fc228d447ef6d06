"""The two hash functions of the log (RFC 9162 §2.1.1), with domain separation.

``leaf_hash(leaf) = SHA-256(0x00 ‖ leaf)`` and ``node_hash(left, right) =
SHA-256(0x01 ‖ left ‖ right)``; the root of the empty tree is ``SHA-256()``.

>>> leaf_hash(b"").hex()[:16]
'6e340b9cffb37a98'
>>> EMPTY_ROOT.hex()[:16]
'e3b0c44298fc1c14'
"""

from __future__ import annotations

import hashlib

from ..errors import VerificationError

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "hash_from_hex", "leaf_hash", "node_hash"]

HASH_SIZE = 32
"""Bytes in every hash of the log (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the tree with no leaves."""

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256 of ``0x00`` followed by the leaf's bytes (32 bytes)."""
    return hashlib.sha256(_LEAF + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256 of ``0x01`` followed by the two child hashes (32 bytes)."""
    return hashlib.sha256(_NODE + left + right).digest()


def hash_from_hex(text: str, what: str) -> bytes:
    """The hash (32 bytes) written as ``text``, 64 lower-case hex digits.

    Raises :class:`~deconflict.errors.VerificationError` naming ``what`` otherwise.

    >>> hash_from_hex("ab" * 32, "root") == bytes([0xAB] * 32)
    True
    """
    try:
        value = bytes.fromhex(text)
    except ValueError as exc:
        raise VerificationError(f"{what} is not hex") from exc
    if len(value) != HASH_SIZE or text != value.hex():
        raise VerificationError(f"{what} is not 64 lower-case hex digits")
    return value
