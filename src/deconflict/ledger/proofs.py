"""Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4) and their verification.

A proof is a list of subtree hashes. Which subtrees it holds depends only on the sizes,
so :func:`inclusion_ranges` and :func:`consistency_ranges` give them as leaf ranges;
a log turns each range into hashes from its stored perfect subtrees
(:func:`deconflict.ledger.tree.perfect_subtrees`). Verification follows the algorithms
of RFC 9162 §2.1.3.2 and §2.1.4.2 and raises
:class:`~deconflict.errors.VerificationError` when a proof does not hold.

>>> from deconflict.ledger.hashing import leaf_hash
>>> from deconflict.ledger.tree import reference_root
>>> leaves = [b"a", b"b", b"c"]
>>> inclusion_ranges(2, 3)
[(0, 2)]
>>> proof = [reference_root(leaves[:2])]
>>> verify_inclusion(leaf_hash(b"c"), 2, 3, proof, reference_root(leaves))
>>> consistency_ranges(2, 3)
[(2, 3)]
>>> verify_consistency(2, 3, reference_root(leaves[:2]), reference_root(leaves),
...                    [leaf_hash(b"c")])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..errors import InvalidInput, VerificationError
from .hashing import HASH_SIZE, node_hash
from .tree import split_point

__all__ = [
    "consistency_ranges",
    "inclusion_ranges",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose roots form ``PATH(index, D[0:size])``, nearest the leaf first.

    >>> inclusion_ranges(0, 1)
    []
    >>> inclusion_ranges(3, 7)
    [(2, 3), (0, 2), (4, 7)]
    """
    if not 0 <= index < size:
        raise InvalidInput(f"leaf {index} is not in a tree of {size} leaves")
    ranges: list[tuple[int, int]] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = split_point(end - start)
        start, end, m = _descend(ranges, start, end, m, k, left=m < k)
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose roots form ``PROOF(old_size, D[0:new_size])``.

    Empty when ``old_size`` is 0 or equals ``new_size``.

    >>> consistency_ranges(3, 7)
    [(2, 3), (3, 4), (0, 2), (4, 7)]
    >>> consistency_ranges(4, 8)
    [(4, 8)]
    """
    if not 0 <= old_size <= new_size:
        raise InvalidInput(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, m, whole = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(n)
        left = m <= k
        start, end, m = _descend(ranges, start, end, m, k, left=left)
        whole = whole and left
    ranges.reverse()
    return ranges


def _descend(
    ranges: list[tuple[int, int]], start: int, end: int, m: int, k: int, *, left: bool
) -> tuple[int, int, int]:
    """One step from the subtree of leaves ``[start, end)``, split after its first ``k``,
    down to its ``left`` or right child: the other child's range is added to ``ranges``;
    returns the child's range and ``m`` counted from the child's first leaf."""
    if left:
        ranges.append((start + k, end))
        return start, start + k, m
    ranges.append((start, start + k))
    return start + k, end, m - k


def _check_hashes(what: str, hashes: Sequence[bytes]) -> None:
    for i, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise VerificationError(f"{what}: element {i} is {len(h)} bytes, not {HASH_SIZE}")


def _climb(what: str, fn: int, sn: int, proof: Sequence[bytes]) -> Iterator[tuple[bytes, bool]]:
    """RFC 9162's walk up the tree from node ``fn`` of last node ``sn`` (§2.1.3.2 and
    §2.1.4.2 share it): each element of ``proof`` with whether it is the left sibling
    (hashed before the running value). Raises :class:`VerificationError` (``what``:
    ...) when the proof is longer or shorter than the tree is deep."""
    for p in proof:
        if sn == 0:
            raise VerificationError(f"{what}: longer than the tree is deep")
        left = bool(fn & 1) or fn == sn
        yield p, left
        if left and not fn & 1:
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(f"{what}: shorter than the tree is deep")


def root_from_inclusion(leaf_hash_: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` gives for the leaf at ``index`` in a tree of ``size`` leaves.

    RFC 9162 §2.1.3.2 steps 1–5; raises :class:`VerificationError` when the proof has the
    wrong shape for these sizes.
    """
    if not 0 <= index < size:
        raise VerificationError(f"inclusion proof: leaf {index} is not below tree size {size}")
    _check_hashes("inclusion proof", [leaf_hash_, *proof])
    r = leaf_hash_
    for p, left in _climb("inclusion proof", index, size - 1, proof):
        r = node_hash(p, r) if left else node_hash(r, p)
    return r


def verify_inclusion(
    leaf_hash_: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that the leaf with hash ``leaf_hash_`` is at ``index`` in the tree ``root``.

    Raises :class:`VerificationError` if not; returns ``None`` when it holds.
    """
    if root_from_inclusion(leaf_hash_, index, size, proof) != root:
        raise VerificationError(
            f"inclusion proof: leaf {index} does not lead to the root of tree size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``new_root`` of ``new_size`` leaves extends ``old_root``.

    RFC 9162 §2.1.4.2. A tree of size 0 is consistent with every tree (the proof is then
    empty); equal sizes need an empty proof and equal roots. Raises
    :class:`VerificationError` if the proof does not hold.
    """
    if not 0 <= old_size <= new_size:
        raise VerificationError(f"consistency proof: size {old_size} is above size {new_size}")
    _check_hashes("consistency proof", [old_root, new_root, *proof])
    if old_size == 0 or old_size == new_size:
        if proof:
            raise VerificationError("consistency proof: must be empty for these sizes")
        if old_size == new_size and old_root != new_root:
            raise VerificationError(f"consistency proof: two different roots for size {old_size}")
        return
    if not proof:
        raise VerificationError("consistency proof: empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c, left in _climb("consistency proof", fn, sn, path[1:]):
        if left:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
        else:
            sr = node_hash(sr, c)
    if fr != old_root:
        raise VerificationError(f"consistency proof: does not lead to the root of size {old_size}")
    if sr != new_root:
        raise VerificationError(f"consistency proof: does not lead to the root of size {new_size}")
