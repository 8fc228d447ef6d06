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

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "leaf_hash", "node_hash"]

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
