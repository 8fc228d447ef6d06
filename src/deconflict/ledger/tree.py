"""The Merkle tree of RFC 9162 §2.1 and the perfect subtrees it is built from.

A tree over ``n > 1`` leaves splits at ``k``, the largest power of two below ``n``:
``MTH(D[0:n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))``. Every left part is a *perfect*
subtree (a power-of-two number of leaves, aligned on its size), so any range that
appears in the recursion is the concatenation of a few perfect subtrees of strictly
decreasing size, one per set bit of its length. A perfect subtree is named by
:data:`NodeKey` ``(level, index)``: the ``2**level`` leaves starting at ``index << level``.
A store that keeps the hash of every complete perfect subtree can therefore give any
root or proof from ``O(log n)`` stored hashes, never re-hashing the log.

>>> perfect_subtrees(0, 7)
[(2, 0), (1, 2), (0, 6)]
>>> split_point(7)
4
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..errors import InvalidInput
from .hashing import EMPTY_ROOT, leaf_hash, node_hash

__all__ = [
    "Frontier",
    "NodeKey",
    "fold",
    "perfect_subtrees",
    "reference_root",
    "split_point",
]

NodeKey = tuple[int, int]
"""``(level, index)`` of a perfect subtree: leaves ``[index << level, (index + 1) << level)``."""


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``).

    >>> [split_point(n) for n in (2, 3, 4, 5, 8, 9)]
    [1, 2, 2, 4, 4, 8]
    """
    if n < 2:
        raise InvalidInput(f"a tree of {n} leaves does not split")
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees whose hashes, folded right, give ``MTH(D[start:end])``.

    ``[start, end)`` must be a range of the RFC 9162 recursion (``start`` a multiple of
    the largest power of two not above ``end - start``), which holds for ``start = 0``
    and for every range a proof asks for. Returns keys of decreasing level.

    >>> perfect_subtrees(4, 7)
    [(1, 2), (0, 6)]
    >>> perfect_subtrees(0, 0)
    []
    """
    if not 0 <= start <= end:
        raise InvalidInput(f"bad leaf range [{start}, {end})")
    keys: list[NodeKey] = []
    while start < end:
        n = end - start
        size = n if n & (n - 1) == 0 else split_point(n)
        level = size.bit_length() - 1
        if start % size:
            raise InvalidInput(f"range [{start}, {end}) is not a subtree of the log")
        keys.append((level, start >> level))
        start += size
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """Root of a range from its perfect-subtree hashes (largest first), folded right.

    The empty sequence gives the empty tree's root.

    >>> fold([]) == EMPTY_ROOT
    True
    >>> a, b = leaf_hash(b"a"), leaf_hash(b"b")
    >>> fold([a, b]) == node_hash(a, b)
    True
    """
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """``MTH`` of the given leaves by the recursive definition (slow; for checks).

    >>> reference_root([b"a"]) == leaf_hash(b"a")
    True
    """
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = split_point(len(leaves))
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


class Frontier:
    """The perfect subtrees covering ``[0, size)``: enough to extend the tree and root it.

    Appending a leaf hash returns the perfect subtrees it completes (``O(log n)``), which
    is what a store has to write.

    >>> f = Frontier()
    >>> [(level, index) for level, index, _ in f.append(leaf_hash(b"a"))]
    [(0, 0)]
    >>> [(level, index) for level, index, _ in f.append(leaf_hash(b"b"))]
    [(0, 1), (1, 0)]
    >>> f.root() == node_hash(leaf_hash(b"a"), leaf_hash(b"b"))
    True
    """

    __slots__ = ("_hashes", "_levels", "last_leaf_hash", "size")

    def __init__(self) -> None:
        self.size = 0
        self._levels: list[int] = []
        self._hashes: list[bytes] = []
        self.last_leaf_hash: bytes | None = None
        """Hash of the last leaf appended (``None`` while empty)."""

    def __repr__(self) -> str:
        return f"Frontier(size={self.size})"

    @classmethod
    def load(cls, size: int, read_nodes: Callable[[Sequence[NodeKey]], list[bytes]]) -> Frontier:
        """The frontier of a tree of ``size`` leaves, reading its perfect subtrees."""
        keys = perfect_subtrees(0, size)
        hashes = read_nodes([*keys, (0, size - 1)] if size else keys)
        frontier = cls()
        frontier.size = size
        frontier._levels = [level for level, _ in keys]
        frontier._hashes = list(hashes[: len(keys)])
        frontier.last_leaf_hash = hashes[-1] if size else None
        return frontier

    def copy(self) -> Frontier:
        """An independent copy."""
        other = Frontier()
        other.size = self.size
        other._levels = list(self._levels)
        other._hashes = list(self._hashes)
        other.last_leaf_hash = self.last_leaf_hash
        return other

    def append(self, leaf_hash_: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the ``(level, index, hash)`` of each subtree it completes."""
        index = self.size
        completed = [(0, index, leaf_hash_)]
        levels, hashes = self._levels, self._hashes
        levels.append(0)
        hashes.append(leaf_hash_)
        self.size = index + 1
        self.last_leaf_hash = leaf_hash_
        while len(levels) > 1 and levels[-1] == levels[-2]:
            right = hashes.pop()
            level = levels.pop() + 1
            merged = node_hash(hashes[-1], right)
            hashes[-1] = merged
            levels[-1] = level
            completed.append((level, (self.size >> level) - 1, merged))
        return completed

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
        """Append several leaf hashes; returns every subtree they complete."""
        completed: list[tuple[int, int, bytes]] = []
        for h in leaf_hashes:
            completed.extend(self.append(h))
        return completed

    def root(self) -> bytes:
        """The root hash of the tree so far."""
        return fold(self._hashes)
