"""The record as the parties read it: the published head with its cosignatures, proofs
against it, each party's export (what it may not read given as leaf hashes), and the
witnesses' cosignatures.

The log itself is the ledger's; the published head is
:class:`~deconflict.service.heads.HeadCadence`'s; the store keeps the witnesses' keys and
cosignatures (:class:`RecordStore`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, Protocol

from ..errors import Conflict, InvalidInput, NotFound, VerificationError
from ..ledger.hashing import leaf_hash
from ..ledger.log import Log
from ..ledger.signing import SignedTreeHead, TreeHead, b64decode, b64encode
from ..ledger.verify import export_line
from ..ledger.witness import Cosignature
from ..store.base import Database
from ..store.records import PartyRow, WitnessKeyRow
from .clock import Clock
from .heads import HeadCadence

__all__ = ["PUBLIC_KINDS", "RECENT_HEADS", "Record", "RecordStore"]

PUBLIC_KINDS = ("channel", "consent", "party", "declaration", "withdrawal", "key-rotation")
"""Entry kinds every party may read."""
RECENT_HEADS = 10_000
"""A cosignature is taken for one of the last this many heads the service signed."""

Write = Callable[[Sequence[Mapping[str, Any]]], tuple[list[int], SignedTreeHead]]
"""The service's write path: appends entries, returns their indices and the head."""


class RecordStore(Protocol):
    """What the record needs of the store (:class:`~deconflict.store.records.ServiceStore`)."""

    def party(self, name: str) -> PartyRow: ...

    def issued_head(self, tree_size: int, sth: str, recent: int) -> tuple[bytes, bytes] | None:
        """``(signature, public_key)`` of ``sth`` if one of the last ``recent`` heads."""
        ...

    def witness_key(self, party: str) -> WitnessKeyRow | None: ...

    def witness_key_of(self, public_key: str) -> WitnessKeyRow | None: ...

    def set_witness_key(
        self, party: str, public_key: str, token_hash: str, entry: int, at: float
    ) -> None: ...

    def add_cosignature(
        self,
        tree_size: int,
        sth: str,
        party: str,
        public_key: str,
        signature: str,
        head: tuple[str, str],
        at: float,
    ) -> None: ...

    def cosignatures(self, tree_size: int, sth: str) -> list[dict[str, str]]: ...

    def latest_cosigned(self) -> tuple[int, str, str, str] | None: ...


@dataclass(eq=False)
class Record:
    """The record of ``log`` as published by ``heads``.

    ``involved(party, alert_id)`` says whether an alert involves a party (who may read
    its entries); ``lock`` is the service's, held while the log is read and, before the
    database's write transaction, while a witness key is registered.
    """

    db: Database
    log: Log
    heads: HeadCadence
    store: RecordStore
    _: KW_ONLY
    lock: threading.RLock
    clock: Clock
    involved: Callable[[str, Any], bool]

    def receipt(self, index: int, signed: SignedTreeHead) -> dict[str, Any]:
        """The receipt of entry ``index`` under ``signed`` (JSON-ready)."""
        return self.log.receipt(index, signed).to_dict()

    # -- proofs ----------------------------------------------------------------------

    def inclusion(self, index: int, tree_size: int | None) -> dict[str, Any]:
        """Inclusion proof of entry ``index`` (hashes only: it reveals no entry), in a tree
        no larger than the published head's."""
        published = self.heads.size()
        with self.lock:
            size = published if tree_size is None else tree_size
            self._check_published(size, published)
            if not 0 <= index < size:
                raise NotFound(f"the tree of {size} entries has no entry {index}")
            proof = self.log.inclusion_proof(index, size)
        return {"index": index, "tree_size": size, "proof": [h.hex() for h in proof]}

    def consistency(self, first: int, second: int | None) -> dict[str, Any]:
        """Consistency proof between the trees of ``first`` and ``second`` entries (no
        larger than the published head's)."""
        published = self.heads.size()
        with self.lock:
            size = published if second is None else second
            self._check_published(size, published)
            if not 0 <= first <= size:
                raise InvalidInput(f"first: must be between 0 and {size}")
            proof = self.log.consistency_proof(first, size)
        return {"first": first, "second": size, "proof": [h.hex() for h in proof]}

    def _check_published(self, size: int, published: int) -> None:
        """With a head interval, proofs stop at the published head: one for a larger tree
        would tell how many entries were written since."""
        if self.heads.fixed and size > published:
            raise NotFound(f"no published tree head covers {size} entries (yet)")

    # -- reading the entries -----------------------------------------------------------

    def visible(self, party: str, entry: Mapping[str, Any]) -> bool:
        """Whether ``party`` may read a ledger entry (need-to-know)."""
        kind = entry.get("kind")
        if entry.get("party") == party:
            return True
        if kind in PUBLIC_KINDS:
            return True
        if kind == "message":
            return party in (entry.get("message") or {}).get("to", [])
        if kind in ("alert", "notification", "ack"):
            ref = entry.get("alert")
            return self.involved(party, ref.get("id") if isinstance(ref, dict) else ref)
        return False

    def export_for(self, party: str) -> list[str]:
        """The export as ``party`` may read it: entries it may not read are given as their
        leaf hash only (``{"index", "leaf_hash"}``), which still lets it check the tree."""
        signed = self.heads.current()  # (never under the lock: it may sign)
        with self.lock:
            size = json.loads(signed.sth)["tree_size"]
            lines = []
            for index, leaf in self.log.entries(0, size):
                try:
                    entry = json.loads(leaf)
                except ValueError:
                    entry = {}
                if self.visible(party, entry):
                    lines.append(export_line(index, leaf))
                else:
                    lines.append(json.dumps({"index": index, "leaf_hash": leaf_hash(leaf).hex()}))
            lines.append(signed.to_line())
        return lines

    def head(self, parties: int) -> dict[str, Any]:
        """The latest signed tree head and the public key, with the cosignatures the
        parties' witnesses sent for it (``cosignatures``), the number of active
        ``parties``, and ``cosigned``: the latest head that has cosignatures (heads are
        signed at every write, or once per ``head_interval_s`` when set, so the newest
        one has often not been cosigned yet), or ``None``."""
        signed = self.heads.current()  # (never under the lock: it may sign)
        size = TreeHead.from_json(signed.sth).tree_size
        cosignatures = self.store.cosignatures(size, signed.sth)
        latest = self.store.latest_cosigned()
        cosigned: dict[str, Any] | None = None
        if latest is not None:
            c_size, c_sth, c_signature, c_key = latest
            cosigned = {
                **json.loads(c_sth),
                "sth": c_sth,
                "signature": c_signature,
                "public_key": c_key,
                "cosignatures": (
                    cosignatures if c_sth == signed.sth else self.store.cosignatures(c_size, c_sth)
                ),
            }
        return {
            **json.loads(signed.sth),
            **signed.to_dict(),
            "cosignatures": cosignatures,
            "parties": parties,
            "cosigned": cosigned,
        }

    # -- witnesses -------------------------------------------------------------------

    def cosign(
        self, party: str, sth: Any, public_key: Any, signature: Any, *, write: Write
    ) -> dict[str, Any]:
        """Keep ``party``'s cosignature of a tree head the service issued.

        ``signature`` must verify over the UTF-8 bytes of ``sth`` with ``public_key``
        (base64, Ed25519), and ``sth`` must be, byte for byte, one of the last
        :data:`RECENT_HEADS` heads the service signed (409 otherwise). A party's first
        cosignature registers its witness key with a ledger entry every party reads
        (``{"kind": "party", "action": "witness-key", "public_key"}``), written through
        ``write``. A key is one party's only; a party cosigns with another key only after
        its token was rotated (``deconflict party rotate-token``), which records the new
        key the same way.
        """
        if not isinstance(sth, str) or not 0 < len(sth) <= 1000:
            raise InvalidInput("sth: the tree head's JSON text, as GET /v1/log/head gives it")
        try:
            cos = Cosignature(
                party, b64decode(public_key, "public_key"), b64decode(signature, "signature")
            )
            cos.verify(sth)
            size = TreeHead.from_json(sth).tree_size
        except VerificationError as exc:
            raise InvalidInput(str(exc)) from exc
        issued = self.store.issued_head(size, sth, RECENT_HEADS)
        if issued is None:
            raise Conflict(
                "sth: not one of the tree heads this service signed lately; cosign the head "
                "GET /v1/log/head gives"
            )
        key = b64encode(cos.public_key)
        head_of_sth = (b64encode(issued[0]), b64encode(issued[1]))
        receipt: dict[str, Any] | None = None
        with self.lock:
            holder = self.store.witness_key_of(key)
            if holder is not None and holder.party != party:
                raise Conflict("public_key: the witness key of another party")
            current = self.store.witness_key(party)
            token_hash = self.store.party(party).token_hash
            if (
                current is not None
                and current.public_key != key
                and current.token_hash == token_hash
            ):
                raise Conflict(
                    f"public_key: party {party!r} cosigns with the witness key "
                    f"{current.public_key} (entry {current.entry}); another key is taken "
                    "only after the party's token is rotated"
                )
            now = self.clock.now()
            with self.db.write():
                entry_index = current.entry if current is not None else -1
                if current is None or current.public_key != key:
                    entry: dict[str, Any] = {
                        "kind": "party",
                        "party": party,
                        "action": "witness-key",
                        "public_key": key,
                    }
                    if current is not None:
                        entry["replaces"] = current.public_key
                    (entry_index,), signed = write([entry])
                    self.store.set_witness_key(party, key, token_hash, entry_index, now)
                    receipt = self.receipt(entry_index, signed)
                self.store.add_cosignature(
                    size, sth, party, key, b64encode(cos.signature), head_of_sth, now
                )
        out: dict[str, Any] = {
            "tree_size": size,
            "sth": sth,
            "cosignatures": self.store.cosignatures(size, sth),
            "witness_key": {"public_key": key, "index": entry_index},
        }
        if receipt is not None:
            out["receipt"] = receipt
        return out
