"""The append-only log over a :class:`~deconflict.ledger.storage.LedgerStore`.

:class:`Log` writes entries (adding ``time`` if absent, ``index`` and ``prev_hash``, and
a random ``salt`` when given a source of them),
signs tree heads, gives roots, inclusion and consistency proofs and receipts from
``O(log n)`` stored hashes, rotates its key, and exports. :func:`verify_store` checks
a store end to end.

>>> from deconflict.ledger.memory import MemoryLedgerStore
>>> from deconflict.ledger.signing import Signer
>>> log = Log(MemoryLedgerStore(), Signer.generate())
>>> [r.index for r in log.append([{"kind": "note", "party": "blue", "text": "hello"},
...                               {"kind": "note", "party": "red", "text": "heard"}])]
[0, 1]
>>> receipt = log.receipt(1)
>>> receipt.verify().tree_size
2
>>> verify_store(log.store).tree_size
2
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import Forbidden, InvalidInput, NotFound, StoreError, VerificationError
from .entry import (
    NO_PREVIOUS,
    REQUIRED_FIELDS,
    SALT_FIELD,
    canonical_json,
    epoch_ms,
    format_time,
)
from .hashing import leaf_hash
from .proofs import consistency_ranges, inclusion_ranges
from .receipt import Receipt
from .rotation import ROTATION_KIND, rotation_fields
from .signing import SignedTreeHead, Signer, TreeHead, b64encode
from .storage import LedgerStore, NodeRow
from .tree import Frontier, NodeKey, fold, perfect_subtrees
from .verify import LogVerifier, export_line

__all__ = ["PUBLIC_KEY_META", "Appended", "KeyLoader", "Log", "verify_store"]

PUBLIC_KEY_META = "ledger.public_key"
"""Name of the store value holding the current public key (base64)."""

RESERVED_FIELDS = ("index", "prev_hash")
CHUNK = 10_000
"""Leaves read at a time when streaming the log."""

KeyLoader = Callable[[str], Signer | None]
"""Finds the private key of a public key (base64), or ``None``: see :class:`Log`."""


@dataclass(slots=True)
class Appended:
    """Where an entry went: its index and exact bytes."""

    index: int
    leaf: bytes

    @property
    def leaf_hash(self) -> bytes:
        """``SHA-256(0x00 ‖ leaf)``."""
        return leaf_hash(self.leaf)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class Log:
    """An append-only, verifiable log kept in ``store`` and signed by ``signer``.

    ``clock`` (timezone-aware; the wall clock unless a replay gives its simulated one)
    gives the time written into entries that carry none and the ``timestamp`` of signed
    tree heads, so a replay with the same clock, key and entries signs byte-identical
    heads.

    ``salt``, when given, is called once per entry the log writes (every append and
    every key rotation) and its value written as the entry's ``salt`` field, which the
    log then sets alone, like ``index`` and ``prev_hash``. Without it entries carry only
    their own fields: what a salt is drawn from is the caller's choice (the stores'
    :func:`~deconflict.store.keys.open_log` and the service always give one).

    Safe to share between threads, and beside other logs and processes on the same
    store: each append reads the tree's state and writes inside one store transaction
    (:meth:`~deconflict.ledger.storage.LedgerStore.transaction`), so appends never race.
    Called inside a caller's open transaction, an append commits or rolls back with it.

    Signing needs the log's current key. A log opened without one (``signer=None``)
    reads, proves and appends, but :meth:`sign_head` (and so :meth:`head`,
    :meth:`receipt` and :meth:`export_lines` when no kept head covers the log) and
    :meth:`rotate_key` raise :class:`~deconflict.errors.Forbidden`. So does signing with
    a key that another writer has since retired by a rotation (the store's
    ``ledger.public_key`` names another key), unless ``key_loader`` finds the current
    key: the log then takes it and signs on.
    """

    store: LedgerStore
    signer: Signer | None = None
    _: KW_ONLY
    clock: Callable[[], datetime] = _utcnow
    key_loader: KeyLoader | None = None
    salt: Callable[[], str] | None = None
    _frontier_cache: Frontier | None = field(default=None, init=False, repr=False)

    # -- reading ---------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Entries in the log."""
        return self.store.ledger_size()

    def _frontier(self) -> Frontier:
        """The tree's frontier as the store holds it now.

        The cached one is reused only while the store holds as many leaves and the same
        last leaf (whose ``prev_hash`` chain pins every leaf before it), so an append
        rolled back with a caller's transaction, or a writer elsewhere, is never missed.
        """
        size = self.store.ledger_size()
        cached = self._frontier_cache
        if (
            cached is not None
            and cached.size == size
            and (size == 0 or self.store.read_nodes([(0, size - 1)])[0] == cached.last_leaf_hash)
        ):
            return cached
        cached = Frontier.load(size, self.store.read_nodes)
        self._frontier_cache = cached
        return cached

    def _range_roots(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        per_range = [perfect_subtrees(a, b) for a, b in ranges]
        keys: list[NodeKey] = sorted({key for keys in per_range for key in keys})
        found = dict(zip(keys, self.store.read_nodes(keys), strict=True))
        return [fold([found[key] for key in keys]) for keys in per_range]

    def _check_size(self, size: int | None) -> int:
        current = self.size
        if size is None:
            return current
        if size < 0:
            raise InvalidInput(f"a tree size is not negative ({size})")
        if size > current:
            raise NotFound(f"the log holds {current} entries, not {size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the first ``size`` entries (default: all)."""
        frontier = self._frontier()
        if size is None or size == frontier.size:
            return frontier.root()
        size = self._check_size(size)
        return self._range_roots([(0, size)])[0]

    def leaf(self, index: int) -> bytes:
        """The exact bytes of entry ``index`` (:class:`~deconflict.errors.NotFound` if none)."""
        leaves = self.store.read_leaves(index, index + 1) if index >= 0 else []
        if not leaves:
            raise NotFound(f"the log has no entry {index}")
        return leaves[0]

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(index, leaf)`` for entries ``[start, end)``, read in chunks."""
        size = self.size
        end = size if end is None else end
        if start < 0 or end > size:
            raise NotFound(f"the log holds entries 0..{size - 1}, not {start}..{end - 1}")
        for a in range(start, end, CHUNK):
            b = min(a + CHUNK, end)
            leaves = self.store.read_leaves(a, b)
            if len(leaves) != b - a:
                raise StoreError(f"ledger: entries {a}..{b - 1} are not all stored")
            yield from zip(range(a, b), leaves, strict=True)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """``PATH(index, D[0:size])`` (RFC 9162 §2.1.3.1); ``size`` defaults to all."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise NotFound(f"the tree of {size} entries has no entry {index}")
        return self._range_roots(inclusion_ranges(index, size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """``PROOF(old_size, D[0:new_size])`` (RFC 9162 §2.1.4.1); ``new_size`` defaults to all."""
        return self._range_roots(consistency_ranges(old_size, self._check_size(new_size)))

    # -- writing ---------------------------------------------------------------------

    def _prepare(self, fields: Mapping[str, Any], now: str) -> dict[str, Any]:
        for key in RESERVED_FIELDS:
            if key in fields:
                raise InvalidInput(f"entry field {key!r} is set by the log")
        if self.salt is not None and SALT_FIELD in fields:
            raise InvalidInput(f"entry field {SALT_FIELD!r} is set by the log")
        obj = dict(fields)
        obj.setdefault("time", now)
        for key in REQUIRED_FIELDS:
            value = obj.get(key)
            if not isinstance(value, str) or not value:
                raise InvalidInput(f"entry needs a non-empty string {key!r}")
        return obj

    def _write(
        self,
        build: Callable[[int, Frontier], list[dict[str, Any]]],
        meta: Mapping[str, str],
    ) -> list[Appended]:
        """Read the tree's state and append ``build(start, frontier)`` in one transaction."""
        with self.store.transaction():
            frontier = self._frontier().copy()
            start = frontier.size
            objects = build(start, frontier)
            leaves: list[bytes] = []
            nodes: list[NodeRow] = []
            for i, obj in enumerate(objects):
                obj["index"] = start + i
                obj["prev_hash"] = (frontier.last_leaf_hash or NO_PREVIOUS).hex()
                if self.salt is not None:
                    obj[SALT_FIELD] = self.salt()
                try:
                    leaf = canonical_json(obj).encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise InvalidInput(f"entry is not valid Unicode text: {exc.reason}") from exc
                leaves.append(leaf)
                nodes.extend(frontier.append(leaf_hash(leaf)))
            self.store.append_leaves(start, leaves, nodes, meta)
        self._frontier_cache = frontier
        return [Appended(start + i, leaf) for i, leaf in enumerate(leaves)]

    def append(self, entries: Sequence[Mapping[str, Any]]) -> list[Appended]:
        """Append entries in one transaction; returns where each went.

        Each mapping needs ``kind`` and ``party`` (non-empty strings); ``time`` is added
        when absent. ``index`` and ``prev_hash`` are the log's to set. Inside a caller's
        open transaction (``with db.write(): ...``) the entries commit or roll back with it.
        """
        now = format_time(self.clock())
        prepared = [self._prepare(e, now) for e in entries]
        for obj in prepared:
            if obj["kind"] == ROTATION_KIND:
                raise InvalidInput("key rotations are written by rotate_key only")
        if not prepared:
            return []
        return self._write(lambda start, frontier: prepared, {})

    def _need_signer(self) -> Signer:
        if self.signer is None:
            raise Forbidden("this log was opened without its signing key: it may not sign")
        return self.signer

    def _current_signer(self) -> Signer:
        """The signer, checked against the key the store names (inside a transaction)."""
        signer = self._need_signer()
        published = self.store.get_meta(PUBLIC_KEY_META)
        if published is None or published == b64encode(signer.public_key):
            return signer
        loaded = self.key_loader(published) if self.key_loader is not None else None
        if loaded is None or b64encode(loaded.public_key) != published:
            raise Forbidden(
                f"the log's signing key is now {published} (a rotation by another writer); "
                f"this log holds the retired key {b64encode(signer.public_key)} and may no "
                "longer sign: reopen it with the current key"
            )
        self.signer = loaded
        return loaded

    def sign_head(self) -> SignedTreeHead:
        """Sign and keep a tree head for the whole log, at the time :attr:`clock` gives."""
        self._need_signer()
        with self.store.transaction():
            signer = self._current_signer()
            frontier = self._frontier()
            head = TreeHead(frontier.size, frontier.root(), epoch_ms(self.clock()))
            signed = signer.sign_head(head)
            self.store.save_head(signed)
        return signed

    def head(self) -> SignedTreeHead:
        """The latest kept tree head if it covers the whole log, else a new signed one."""
        latest = self.store.latest_head()
        if latest is not None and latest.head.tree_size == self.size:
            return latest
        return self.sign_head()

    def receipt(self, index: int, signed: SignedTreeHead | None = None) -> Receipt:
        """Receipt for entry ``index`` under ``signed`` (default: :meth:`head`)."""
        leaf = self.leaf(index)
        signed = signed if signed is not None else self.head()
        size = signed.head.tree_size
        if size <= index:
            raise NotFound(f"the tree head covers {size} entries, not entry {index}")
        return Receipt(index, leaf, tuple(self.inclusion_proof(index, size)), signed)

    def rotate_key(self, new: Signer) -> Appended:
        """Append a rotation to ``new`` signed by the current key, then sign with ``new``."""
        if new.public_key == self._need_signer().public_key:
            raise InvalidInput("the new key is the current key")

        def build(start: int, frontier: Frontier) -> list[dict[str, Any]]:
            old = self._current_signer()
            if new.public_key == old.public_key:
                raise InvalidInput("the new key is the current key")
            fields = rotation_fields(old, new.public_key, start, frontier.root())
            fields["time"] = format_time(self.clock())
            return [fields]

        (appended,) = self._write(build, {PUBLIC_KEY_META: b64encode(new.public_key)})
        self.signer = new
        return appended

    # -- export ----------------------------------------------------------------------

    def export_lines(self) -> Iterator[str]:
        """The export: one line per entry, then the signed tree head line (no newlines)."""
        signed = self.head()
        for index, leaf in self.entries(0, signed.head.tree_size):
            yield export_line(index, leaf)
        yield signed.to_line()


def verify_store(
    store: LedgerStore, trusted_key: bytes | None = None, verifier: LogVerifier | None = None
) -> TreeHead:
    """Check a store end to end; returns the latest verified tree head.

    Every entry is re-hashed and compared with the stored subtree hashes, the key chain
    followed and every kept signed tree head checked. A log with entries but no signed
    tree head fails. Raises :class:`~deconflict.errors.VerificationError` naming the
    first entry that does not verify.
    """
    verifier = verifier if verifier is not None else LogVerifier(trusted_key)
    heads = store.read_heads()
    size = store.ledger_size()
    h = 0
    last: TreeHead | None = None

    def check_heads_at(tree_size: int) -> None:
        nonlocal h, last
        while h < len(heads) and heads[h].head.tree_size <= tree_size:
            last = verifier.check_head(heads[h])
            h += 1

    for a in range(0, size, CHUNK):
        b = min(a + CHUNK, size)
        leaves = store.read_leaves(a, b)
        try:
            stored = store.read_nodes([(0, i) for i in range(a, a + len(leaves))])
        except NotFound as exc:
            raise VerificationError(f"entry {a}: stored leaf hashes missing ({exc})") from exc
        completed: list[NodeRow] = []
        for offset, leaf in enumerate(leaves):
            index = a + offset
            check_heads_at(index)
            if leaf_hash(leaf) != stored[offset]:
                raise verifier.fail(index, "its bytes do not match its stored leaf hash")
            completed.extend(row for row in verifier.add(leaf) if row[0] > 0)
        if len(leaves) != b - a:
            raise verifier.fail(a + len(leaves), "missing from the store")
        try:
            found = store.read_nodes([(level, index) for level, index, _ in completed])
        except NotFound as exc:
            raise VerificationError(f"entry {a}: stored subtree hashes missing ({exc})") from exc
        for (level, index, expected), got in zip(completed, found, strict=True):
            if got != expected:
                raise VerificationError(
                    f"entry {index << level}: stored hash of entries {index << level}.."
                    f"{((index + 1) << level) - 1} does not match them"
                )
    check_heads_at(size)
    if h < len(heads):
        verifier.check_head(heads[h])
    if last is None:
        if size:
            raise VerificationError(f"entry {size - 1}: no signed tree head covers the log")
        return TreeHead(0, verifier.frontier.root(), 0)
    return last
