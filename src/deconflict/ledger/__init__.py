"""The tamper-evident log: entries, Merkle tree, proofs, signed tree heads, receipts.

Pure core: imports nothing from :mod:`deconflict.store`, the API or the CLI. The format
is open (see ``docs/ledger.md``) so that each party can verify the log with its own code:

- a leaf is the UTF-8 bytes of one entry, a JSON object with at least ``kind``, ``time``
  and ``party``, kept byte for byte as hashed (:mod:`.entry`);
- leaf hash ``SHA-256(0x00 ‖ leaf)``, node hash ``SHA-256(0x01 ‖ left ‖ right)``, the
  tree of RFC 9162 §2.1 (:mod:`.hashing`, :mod:`.tree`);
- inclusion and consistency proofs (:mod:`.proofs`), Ed25519-signed tree heads
  (:mod:`.signing`), receipts (:mod:`.receipt`), key rotation (:mod:`.rotation`);
- the log over a store (:mod:`.log`, :mod:`.storage`) and its verification
  (:mod:`.verify`);
- a witness's checks of each new head, and cosignatures (:mod:`.witness`).
"""

from __future__ import annotations

from .entry import canonical_json, format_time, parse_entry
from .hashing import EMPTY_ROOT, leaf_hash, node_hash
from .log import Appended, Log, verify_store
from .memory import MemoryLedgerStore
from .proofs import (
    consistency_ranges,
    inclusion_ranges,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)
from .receipt import Receipt, verify_receipt_against
from .rotation import ROTATION_KIND, SERVICE_PARTY
from .signing import SignedTreeHead, Signer, TreeHead
from .storage import LedgerStore
from .tree import Frontier, fold, perfect_subtrees, reference_root, split_point
from .verify import LogVerifier, export_line, verify_export

__all__ = [
    "EMPTY_ROOT",
    "ROTATION_KIND",
    "SERVICE_PARTY",
    "Appended",
    "Frontier",
    "LedgerStore",
    "Log",
    "LogVerifier",
    "MemoryLedgerStore",
    "Receipt",
    "SignedTreeHead",
    "Signer",
    "TreeHead",
    "canonical_json",
    "consistency_ranges",
    "export_line",
    "fold",
    "format_time",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "parse_entry",
    "perfect_subtrees",
    "reference_root",
    "root_from_inclusion",
    "split_point",
    "verify_consistency",
    "verify_export",
    "verify_inclusion",
    "verify_receipt_against",
    "verify_store",
]
