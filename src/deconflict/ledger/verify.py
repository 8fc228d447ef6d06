"""End-to-end verification of a log: entries in order, then signed tree heads.

:class:`LogVerifier` takes the entries one by one (``O(log n)`` memory), recomputes the
tree, follows the key chain and checks every signed tree head it is given.
:func:`verify_export` reads the export format (JSON lines ``{"index", "leaf"}``, then one
``{"sth", "signature", "public_key"}`` line). Every failure is a
:class:`~deconflict.errors.VerificationError` whose message starts with the first entry
that does not verify (``entry 3: ...``) or with ``tree head:``.

How the first bad entry is found: each entry records its ``index`` and ``prev_hash``,
the leaf hash of the entry before it. An entry whose ``prev_hash`` disagrees with the
entry before it means that one of the two was altered; the next entry's ``prev_hash``
tells which (it vouches for the bytes of the entry in doubt), and at the end of the log
the signed root does (it matches only if the earlier entry is the changed one). A change
to the last entry shows as a root that does not match the signed tree head.

>>> from deconflict.ledger.log import Log
>>> from deconflict.ledger.memory import MemoryLedgerStore
>>> from deconflict.ledger.signing import Signer
>>> log = Log(MemoryLedgerStore(), Signer.generate())
>>> _ = log.append([{"kind": "note", "party": "blue"}])
>>> lines = [line.encode() for line in log.export_lines()]
>>> verify_export(lines).tree_size
1
>>> lines[0] = lines[0].replace(b"blue", b"blux")
>>> verify_export(lines)
Traceback (most recent call last):
...
deconflict.errors.VerificationError: entry 0: its bytes do not match the signed tree head
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..errors import InvalidInput, VerificationError
from .entry import NO_PREVIOUS, parse_entry
from .hashing import HASH_SIZE, leaf_hash
from .rotation import ROTATION_KIND, check_rotation
from .signing import SignedTreeHead, TreeHead
from .tree import Frontier

__all__ = ["LogVerifier", "export_line", "verify_export"]


class LogVerifier:
    """Checks a log fed entry by entry, and the signed tree heads along it.

    ``trusted_key`` pins the log's first public key (raw 32 bytes); without it the first
    key is the one the first rotation retires, or else the one on the first tree head.
    ``watch_sizes`` lists tree sizes whose roots to keep in :attr:`roots` and
    ``watch_leaves`` leaf indexes whose hashes to keep in :attr:`leaf_hashes` (receipts).
    """

    def __init__(
        self,
        trusted_key: bytes | None = None,
        *,
        watch_sizes: Iterable[int] = (),
        watch_leaves: Iterable[int] = (),
    ) -> None:
        self.frontier = Frontier()
        self._keys: list[tuple[int, bytes]] = [] if trusted_key is None else [(0, trusted_key)]
        self._suspect: int | None = None
        self._before_last: Frontier | None = None
        self._if_previous_changed: Frontier | None = None
        self._watch_sizes = set(watch_sizes)
        self._watch_leaves = set(watch_leaves)
        self.roots: dict[int, bytes] = {}
        self.leaf_hashes: dict[int, bytes] = {}
        self.heads_checked = 0
        self.verified: SignedTreeHead | None = None

    @property
    def size(self) -> int:
        """Entries checked so far."""
        return self.frontier.size

    def key_at(self, tree_size: int) -> bytes | None:
        """The key that signs tree heads of ``tree_size`` (``None`` if not known yet)."""
        for start, key in reversed(self._keys):
            if start <= tree_size:
                return key
        return None

    @property
    def keys(self) -> list[tuple[int, bytes]]:
        """The key chain: ``(first tree size it signs, public key)``."""
        return list(self._keys)

    def fail(self, index: int, message: str) -> VerificationError:
        """The error naming entry ``index``, or an earlier entry already in doubt."""
        if self._suspect is not None and index > self._suspect:
            j = self._suspect
            return VerificationError(
                f"entry {j - 1}: does not match what entry {j} recorded as the entry before it"
            )
        return VerificationError(f"entry {index}: {message}")

    def add(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Check the next entry's bytes; returns the subtrees it completes (leaf first)."""
        index = self.size
        if index in self._watch_sizes:
            self.roots[index] = self.frontier.root()
        try:
            entry = parse_entry(leaf)
        except InvalidInput as exc:
            raise self.fail(index, str(exc)) from exc
        if entry.get("index") != index:
            raise self.fail(index, f"records index {entry.get('index')!r}, expected {index}")
        recorded = entry.get("prev_hash")
        if not isinstance(recorded, str):
            raise self.fail(index, "has no prev_hash")
        previous = self.frontier.last_leaf_hash
        h = leaf_hash(leaf)
        j = self._suspect
        if j is not None:
            # Entry j's prev_hash disagreed with entry j - 1. If this entry vouches for
            # entry j's bytes, entry j is intact and entry j - 1 was changed.
            if previous is not None and recorded == previous.hex():
                raise VerificationError(
                    f"entry {j - 1}: its bytes differ from those entry {j} recorded"
                )
            raise VerificationError(
                f"entry {j}: its bytes differ from those entry {index} recorded"
            )
        if recorded != (previous or NO_PREVIOUS).hex():
            if index == 0:
                raise self.fail(0, "its prev_hash is not 64 zeros")
            self._suspect = index
            self._if_previous_changed = None
            pointer = _hash_or_none(recorded)
            if pointer is not None and self._before_last is not None:
                hypothesis = self._before_last.copy()
                hypothesis.append(pointer)
                hypothesis.append(h)
                self._if_previous_changed = hypothesis
        if entry["kind"] == ROTATION_KIND:
            root_before = self.frontier.root() if self._suspect is None else None
            try:
                old, new = check_rotation(entry, index, self.key_at(index), root_before)
            except VerificationError as exc:
                raise self.fail(index, str(exc)) from exc
            if not self._keys:
                self._keys.append((0, old))
            self._keys.append((index + 1, new))
        if index in self._watch_leaves:
            self.leaf_hashes[index] = h
        self._before_last = self.frontier.copy()
        completed = self.frontier.append(h)
        if self.size in self._watch_sizes:
            self.roots[self.size] = self.frontier.root()
        return completed

    def add_withheld(self, hashed: bytes) -> None:
        """Take the next entry as its leaf hash only (an entry the reader may not see, in
        a redacted export): it still counts in every root, and the next entry's
        ``prev_hash`` is checked against it; its own fields cannot be checked."""
        index = self.size
        if len(hashed) != HASH_SIZE:
            raise self.fail(index, "its leaf hash is not 32 bytes")
        if self._suspect is not None:
            raise VerificationError(
                f"entry {self._suspect}: its prev_hash does not match entry {self._suspect - 1}"
            )
        if index in self._watch_sizes:
            self.roots[index] = self.frontier.root()
        if index in self._watch_leaves:
            self.leaf_hashes[index] = hashed
        self._before_last = self.frontier.copy()
        self.frontier.append(hashed)
        if self.size in self._watch_sizes:
            self.roots[self.size] = self.frontier.root()

    def check_head(self, signed: SignedTreeHead | None) -> TreeHead:
        """Check a signed tree head for the entries seen so far (``None``: it is missing)."""
        size = self.size
        if signed is None:
            raise self.fail(size, "missing: the log ends without a signed tree head (truncated?)")
        head = TreeHead.from_json(signed.sth)
        key = self.key_at(head.tree_size)
        if key is None:
            self._keys.append((0, signed.public_key))
            key = signed.public_key
        signed.verify(key)
        if head.tree_size > size:
            raise self.fail(
                size, f"missing: the signed tree head covers {head.tree_size} entries, not {size}"
            )
        if head.tree_size < size:
            raise self.fail(
                head.tree_size,
                f"not covered by the signed tree head (it covers {head.tree_size} entries)",
            )
        root = self.frontier.root()
        j = self._suspect
        if j is not None:
            # The last entry's prev_hash disagreed with the entry before it: had that
            # entry been changed, putting back the hash the last entry recorded would
            # give the signed root.
            fixed = self._if_previous_changed
            if fixed is not None and fixed.root() == head.root_hash:
                raise VerificationError(
                    f"entry {j - 1}: its bytes differ from those entry {j} recorded"
                )
            raise VerificationError(f"entry {j}: its prev_hash does not match entry {j - 1}")
        if head.root_hash != root:
            if size == 0:
                raise VerificationError("tree head: root hash is not the empty tree's")
            raise self.fail(size - 1, "its bytes do not match the signed tree head")
        self.heads_checked += 1
        self.verified = signed
        return head


def _hash_or_none(text: str) -> bytes | None:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        return None
    return value if len(value) == HASH_SIZE else None


def export_line(index: int, leaf: bytes) -> str:
    """One entry line of an export (no newline).

    >>> export_line(0, b'{"kind":"note"}')
    '{"index":0,"leaf":"{\\\\"kind\\\\":\\\\"note\\\\"}"}'
    """
    return json.dumps(
        {"index": index, "leaf": leaf.decode("utf-8")}, ensure_ascii=False, separators=(",", ":")
    )


def verify_export(
    lines: Iterable[bytes], verifier: LogVerifier | None = None, trusted_key: bytes | None = None
) -> TreeHead:
    """Verify an export given as its lines (bytes, newlines optional); returns its tree head.

    Raises :class:`~deconflict.errors.VerificationError` naming the first entry that does
    not verify.
    """
    v = verifier if verifier is not None else LogVerifier(trusted_key)
    signed: SignedTreeHead | None = None
    for lineno, raw in enumerate(lines, 1):
        text = raw.rstrip(b"\r\n")
        if signed is not None:
            if text.strip():
                raise VerificationError(f"tree head: line {lineno} follows the signed tree head")
            continue
        position = v.size
        try:
            obj = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise v.fail(position, f"line {lineno} is not valid JSON (cut or changed)") from exc
        if isinstance(obj, dict) and "sth" in obj:
            signed = SignedTreeHead.from_dict(obj)
            continue
        if isinstance(obj, dict) and isinstance(obj.get("leaf_hash"), str) and "leaf" not in obj:
            # a redacted export: an entry the reader may not see, given as its hash
            if obj.get("index") != position:
                raise v.fail(position, f"line {lineno} holds entry {obj.get('index')!r} instead")
            hashed = _hash_or_none(obj["leaf_hash"])
            if hashed is None:
                raise v.fail(position, f"line {lineno}: leaf_hash is not 64 hex digits")
            v.add_withheld(hashed)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("leaf"), str):
            raise v.fail(position, f"line {lineno} is not an entry line")
        if obj.get("index") != position:
            raise v.fail(
                position,
                f"line {lineno} holds entry {obj.get('index')!r} instead "
                "(an entry is missing or out of order)",
            )
        try:
            leaf = obj["leaf"].encode("utf-8")
        except UnicodeEncodeError as exc:
            raise v.fail(position, "leaf is not valid UTF-8") from exc
        v.add(leaf)
    return v.check_head(signed)
