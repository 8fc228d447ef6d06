"""Receipts: proof, for the party that holds one, that an entry is in the log.

A receipt is the JSON object::

    {"index": I, "leaf": "<entry JSON text>", "leaf_hash": HEX,
     "inclusion_proof": [HEX, ...],
     "sth": "<tree head JSON text>", "signature": BASE64, "public_key": BASE64}

The signed tree head covers the entry (``tree_size > index``) and the inclusion proof
leads from ``leaf_hash`` to its root. Against a later export, the receipt shows that the
log still holds the same entry under the same history (:func:`verify_receipt_against`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import VerificationError
from .hashing import hash_from_hex, leaf_hash
from .proofs import verify_inclusion
from .signing import SignedTreeHead, TreeHead
from .verify import LogVerifier, verify_export

__all__ = ["Receipt", "verify_receipt_against"]


def _hex(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise VerificationError(f"receipt: {what} is not a hex string")
    return hash_from_hex(value, f"receipt: {what}")


@dataclass(frozen=True)
class Receipt:
    """An entry, the signed tree head that includes it and the inclusion proof."""

    index: int
    leaf: bytes
    inclusion_proof: tuple[bytes, ...]
    signed_head: SignedTreeHead

    @property
    def leaf_hash(self) -> bytes:
        """``SHA-256(0x00 ‖ leaf)``."""
        return leaf_hash(self.leaf)

    def to_dict(self) -> dict[str, Any]:
        """The receipt's JSON object."""
        return {
            "index": self.index,
            "leaf": self.leaf.decode("utf-8"),
            "leaf_hash": self.leaf_hash.hex(),
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
            **self.signed_head.to_dict(),
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Receipt:
        """Parse a receipt; :class:`VerificationError` when malformed."""
        if not isinstance(obj, dict):
            raise VerificationError("receipt: not a JSON object")
        index, leaf, proof = obj.get("index"), obj.get("leaf"), obj.get("inclusion_proof")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise VerificationError("receipt: index is not a non-negative integer")
        if not isinstance(leaf, str):
            raise VerificationError("receipt: leaf is not a string")
        if not isinstance(proof, list):
            raise VerificationError("receipt: inclusion_proof is not a list")
        receipt = cls(
            index=index,
            leaf=leaf.encode("utf-8", errors="surrogatepass"),
            inclusion_proof=tuple(_hex(h, "inclusion proof element") for h in proof),
            signed_head=SignedTreeHead.from_dict(obj),
        )
        if _hex(obj.get("leaf_hash"), "leaf_hash") != receipt.leaf_hash:
            raise VerificationError("receipt: leaf_hash is not the hash of its leaf")
        return receipt

    def verify(self, public_key: bytes | None = None) -> TreeHead:
        """Check the signature and the inclusion proof; returns the tree head."""
        head = self.signed_head.verify(public_key)
        verify_inclusion(
            self.leaf_hash, self.index, head.tree_size, self.inclusion_proof, head.root_hash
        )
        return head


def verify_receipt_against(
    receipt: Receipt, export_lines: Iterable[bytes], trusted_key: bytes | None = None
) -> TreeHead:
    """Check ``receipt`` on its own, then that the export holds its entry and history.

    The export is verified end to end; its tree of ``receipt``'s size must have the
    receipt's root, the entry at the receipt's index must be the receipt's entry and the
    key that signed the receipt must be the log's key at that size. Returns the export's
    tree head.
    """
    head = receipt.verify()
    verifier = LogVerifier(trusted_key, watch_sizes=[head.tree_size], watch_leaves=[receipt.index])
    later = verify_export(export_lines, verifier)
    if head.tree_size > later.tree_size:
        raise VerificationError(
            f"receipt: its tree head covers {head.tree_size} entries, "
            f"the export only {later.tree_size}"
        )
    if verifier.key_at(head.tree_size) != receipt.signed_head.public_key:
        raise VerificationError(
            f"receipt: signed by a key that is not the log's key at size {head.tree_size}"
        )
    if verifier.leaf_hashes.get(receipt.index) != receipt.leaf_hash:
        raise VerificationError(f"receipt: entry {receipt.index} of the export is another entry")
    if verifier.roots.get(head.tree_size) != head.root_hash:
        raise VerificationError(
            f"receipt: the export's first {head.tree_size} entries are not the receipt's log"
        )
    return later
