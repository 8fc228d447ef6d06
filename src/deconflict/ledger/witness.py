"""Witnesses: a party's own check of every tree head the service signs, and its cosignature.

A witness keeps the last signed tree head it accepted and the service's key chain, and
takes each new head only when

1. the log's key chain (``key-rotation`` entries, each signed by the key it retires)
   agrees with the pinned key at the size of the head kept, and the new head is signed by
   the key in force at its own size (so the pin moves only by a rotation recorded in the
   log and signed by the pinned key);
2. an RFC 9162 consistency proof shows that the new head extends the one kept (a head of
   the same size must have the same root);
3. the party's export (full or redacted) verifies end to end, and the tree over its
   first ``tree_size`` leaves or leaf hashes gives the new head's root.

It then cosigns the head: an Ed25519 signature, by the party's own key, of the same
``sth`` bytes the service signed. A head that fails (2) or (3) is :class:`Inconsistent`:
with the head kept it is a proof that the log was rewritten or forked.

Pure core: :func:`advance` takes what the witness fetched and returns the new state.

>>> from deconflict.ledger.log import Log
>>> from deconflict.ledger.memory import MemoryLedgerStore
>>> from deconflict.ledger.signing import Signer
>>> service = Signer.generate()
>>> log = Log(MemoryLedgerStore(), service)
>>> _ = log.append([{"kind": "note", "party": "blue"}])
>>> first = advance(None, log.sign_head(), [], log.export_lines(), service.public_key, 0)
>>> _ = log.append([{"kind": "note", "party": "red"}])
>>> head = log.sign_head()
>>> step = advance(first.state, head, log.consistency_proof(1, 2), log.export_lines(), None, 1)
>>> step.state.head.head.tree_size, step.moved
(2, True)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidInput, VerificationError
from .entry import format_time
from .hashing import EMPTY_ROOT
from .proofs import verify_consistency
from .signing import SignedTreeHead, TreeHead, b64decode, b64encode, verify_signature
from .verify import LogVerifier, verify_export

__all__ = [
    "Advance",
    "Cosignature",
    "Inconsistent",
    "WitnessState",
    "advance",
    "check_extends",
    "key_at",
    "proof_request",
]

KeyChain = list[tuple[int, bytes]]
"""``(first tree size a key signs, raw public key)``, in order."""


class Inconsistent(VerificationError):
    """A signed tree head that cannot be a later (or earlier) head of the log kept."""


@dataclass(frozen=True)
class Cosignature:
    """A party's Ed25519 signature of a tree head's exact ``sth`` text."""

    party: str
    public_key: bytes
    signature: bytes

    def to_dict(self) -> dict[str, str]:
        """``{"party", "public_key", "signature"}`` (key and signature in base64)."""
        return {
            "party": self.party,
            "public_key": b64encode(self.public_key),
            "signature": b64encode(self.signature),
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Cosignature:
        """Inverse of :meth:`to_dict`; :class:`VerificationError` if malformed."""
        if not isinstance(obj, dict) or not isinstance(obj.get("party"), str):
            raise VerificationError("cosignature: no 'party' string")
        return cls(
            obj["party"],
            b64decode(obj.get("public_key"), "cosignature public key"),
            b64decode(obj.get("signature"), "cosignature signature"),
        )

    def verify(self, sth: str) -> None:
        """Check the signature over ``sth``'s UTF-8 bytes (:class:`VerificationError`)."""
        verify_signature(
            self.public_key, sth.encode("utf-8"), self.signature, f"cosignature of {self.party}"
        )


def key_at(keys: Sequence[tuple[int, bytes]], tree_size: int) -> bytes | None:
    """The key of ``keys`` that signs heads of ``tree_size`` (``None``: none known).

    >>> key_at([(0, b"old"), (5, b"new")], 4), key_at([(0, b"old"), (5, b"new")], 5)
    (b'old', b'new')
    """
    found = None
    for start, key in keys:
        if start <= tree_size:
            found = key
    return found


def proof_request(kept: TreeHead, new: TreeHead) -> tuple[int, int] | None:
    """The ``(first, second)`` sizes of the consistency proof that relates two heads.

    ``None`` when none is needed (equal sizes: the roots must be equal; a kept empty tree).

    >>> proof_request(TreeHead(3, bytes(32), 0), TreeHead(7, bytes(32), 0))
    (3, 7)
    >>> proof_request(TreeHead(7, bytes(32), 0), TreeHead(3, bytes(32), 0))
    (3, 7)
    """
    small, large = sorted((kept.tree_size, new.tree_size))
    if small in (0, large):
        return None
    return small, large


def _seen(at_ms: int | None) -> str:
    if at_ms is None:
        return ""
    return " seen at " + format_time(datetime.fromtimestamp(at_ms / 1000, UTC))


def check_extends(
    kept: TreeHead, new: TreeHead, proof: Sequence[bytes], *, kept_at_ms: int | None = None
) -> None:
    """Check that ``new`` and ``kept`` are heads of one append-only log.

    ``proof`` is the consistency proof between the smaller and the larger of the two
    (:func:`proof_request`). Raises :class:`Inconsistent`, whose message begins
    ``inconsistent head``, naming both heads.
    """

    def fail(why: str) -> Inconsistent:
        return Inconsistent(
            f"inconsistent head: size {new.tree_size} root {new.root_hash.hex()} and the head "
            f"kept (size {kept.tree_size} root {kept.root_hash.hex()}{_seen(kept_at_ms)}) "
            f"cannot both be heads of one log: {why}"
        )

    if new.tree_size == kept.tree_size:
        if new.root_hash != kept.root_hash:
            raise fail("the same size with another root")
        return
    old, later = (kept, new) if kept.tree_size < new.tree_size else (new, kept)
    try:
        verify_consistency(old.tree_size, later.tree_size, old.root_hash, later.root_hash, proof)
    except VerificationError as exc:
        raise fail(str(exc)) from exc


@dataclass
class WitnessState:
    """What a witness keeps between rounds.

    ``keys`` is the service's key chain as the log records it, ``public_key`` the pinned
    key (the one in force at the size of ``head``), ``head`` the last head accepted and
    ``seen_at_ms`` when, ``cosigned`` the ``sth`` of the last head it cosigned.
    """

    public_key: bytes
    keys: KeyChain = field(default_factory=list)
    head: SignedTreeHead | None = None
    seen_at_ms: int | None = None
    cosigned: str | None = None
    service: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "public_key": b64encode(self.public_key),
            "keys": [[start, b64encode(key)] for start, key in self.keys],
            "head": None if self.head is None else self.head.to_dict(),
            "seen_at_ms": self.seen_at_ms,
            "cosigned": self.cosigned,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> WitnessState:
        """Parse a state file's text; :class:`InvalidInput` if it is not one."""
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise TypeError("not an object")
            pin = b64decode(obj["public_key"], "public_key")
            keys = [(int(start), b64decode(key, "keys")) for start, key in obj.get("keys") or []]
            head = obj.get("head")
            seen = obj.get("seen_at_ms")
            return cls(
                public_key=pin,
                keys=keys,
                head=None if head is None else SignedTreeHead.from_dict(head),
                seen_at_ms=None if seen is None else int(seen),
                cosigned=obj.get("cosigned"),
                service=obj.get("service"),
            )
        except (ValueError, TypeError, KeyError, VerificationError) as exc:
            raise InvalidInput(f"not a witness state: {exc}") from exc


@dataclass(frozen=True)
class Advance:
    """The outcome of one :func:`advance`: the state to keep and what happened."""

    state: WitnessState
    moved: bool
    """The head is new (larger, or re-signed at the same size): cosign it."""
    stale: bool = False
    """The head is older than the one kept (consistent with it): kept as it was."""
    rotations: tuple[tuple[int, bytes], ...] = ()
    """Keys the pin moved to by a rotation recorded in the log: ``(from size, key)``."""
    entries: int = 0
    withheld: int = 0
    """Entries in the export, and how many of them were given as their hash only."""


def _check_signed(signed: SignedTreeHead, key: bytes, size: int) -> None:
    try:
        signed.verify(key)
    except VerificationError as exc:
        raise VerificationError(
            f"refused head: size {size} is not signed by the key in force at its size "
            f"({b64encode(key)}): {exc}"
        ) from exc


def advance(
    state: WitnessState | None,
    signed: SignedTreeHead,
    proof: Sequence[bytes],
    export_lines: Iterable[bytes | str],
    pin: bytes | None,
    now_ms: int,
) -> Advance:
    """Take a newly fetched head, given the consistency proof and the party's export.

    ``state`` is what the witness kept (``None`` on its first round, when ``pin`` names
    the service's key). ``proof`` relates the kept head and ``signed``
    (:func:`proof_request`; ignored on the first round). ``export_lines`` is the export
    fetched after the head, read only when needed (an unchanged or older head needs
    none). ``now_ms`` is when the head was seen.

    The head's signature is checked first, so a head is called inconsistent only when
    the service's key signed it. Raises :class:`Inconsistent` for a head or export that
    cannot belong to the log of the head kept, and
    :class:`~deconflict.errors.VerificationError` for a signature, key chain or export
    that does not verify.
    """
    new = TreeHead.from_json(signed.sth)
    kept_signed = state.head if state is not None else None
    kept = kept_signed.head if kept_signed is not None else None
    if state is None and pin is None:
        raise InvalidInput("a first round needs the service's public key to pin")
    pinned = state.public_key if state is not None else pin
    assert pinned is not None
    seen_at = state.seen_at_ms if state is not None else None
    early = signed.public_key == pinned
    if early:
        _check_signed(signed, pinned, new.tree_size)
        if state is not None and kept_signed is not None and kept is not None:
            check_extends(kept, new, proof, kept_at_ms=seen_at)
            if new.tree_size < kept.tree_size:
                return Advance(state, moved=False, stale=True)
            if signed.sth == kept_signed.sth:
                return Advance(state, moved=False)

    verifier = LogVerifier(watch_sizes={new.tree_size})
    entries = withheld = 0

    def counted() -> Iterable[bytes]:
        nonlocal entries, withheld
        for line in export_lines:
            raw = line.encode("utf-8") if isinstance(line, str) else line
            if b'"leaf_hash"' in raw and b'"leaf"' not in raw:
                withheld += 1
            entries += 1
            yield raw

    try:
        verify_export(counted(), verifier)
    except VerificationError as exc:
        raise VerificationError(f"the party's export does not verify: {exc}") from exc
    entries -= 1  # the signed tree head line

    chain: KeyChain = verifier.keys
    anchor = kept.tree_size if kept is not None else new.tree_size
    at_anchor = key_at(chain, anchor)
    if at_anchor != pinned:
        raise VerificationError(
            f"refused head: the log's key at size {anchor} is "
            f"{b64encode(at_anchor) if at_anchor else 'unknown'}, not the pinned key "
            f"{b64encode(pinned)} (only a rotation in the log, signed by the pinned key, "
            "moves the pin)"
        )
    in_force = key_at(chain, new.tree_size)
    assert in_force is not None
    _check_signed(signed, in_force, new.tree_size)
    if not early and state is not None and kept is not None:
        check_extends(kept, new, proof, kept_at_ms=seen_at)
        if new.tree_size < kept.tree_size:
            return Advance(state, moved=False, stale=True)

    if verifier.size < new.tree_size:
        raise Inconsistent(
            f"inconsistent head: size {new.tree_size} root {new.root_hash.hex()}, but the "
            f"export served after it holds {verifier.size} entries"
        )
    root = verifier.roots.get(new.tree_size, EMPTY_ROOT if new.tree_size == 0 else None)
    if root != new.root_hash:
        raise Inconsistent(
            f"inconsistent head: size {new.tree_size} root {new.root_hash.hex()}, but the "
            f"export's first {new.tree_size} entries give root {root.hex() if root else '?'}"
        )
    floor = kept.tree_size if kept is not None else new.tree_size
    rotations = tuple((start, key) for start, key in chain if floor < start <= new.tree_size)
    kept_state = WitnessState(
        public_key=in_force,
        keys=chain,
        head=signed,
        seen_at_ms=now_ms,
        cosigned=state.cosigned if state is not None else None,
        service=state.service if state is not None else None,
    )
    return Advance(kept_state, moved=True, rotations=rotations, entries=entries, withheld=withheld)
