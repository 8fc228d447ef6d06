"""A :class:`~deconflict.ledger.storage.LedgerStore` in memory (tests, examples).

>>> store = MemoryLedgerStore()
>>> store.append_leaves(0, [b"{}"], [(0, 0, bytes(32))], {})
>>> store.ledger_size(), store.read_leaves(0, 5)
(1, [b'{}'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .signing import SignedTreeHead
from .storage import NodeRow, check_append_start, nodes_in_order
from .tree import NodeKey

__all__ = ["MemoryLedgerStore"]


class MemoryLedgerStore:
    """Leaves, subtree hashes, heads and named values in Python containers."""

    def __init__(self) -> None:
        self._leaves: list[bytes] = []
        self._nodes: dict[NodeKey, bytes] = {}
        self._heads: list[SignedTreeHead] = []
        self._meta: dict[str, str] = {}

    def ledger_size(self) -> int:
        return len(self._leaves)

    def read_leaves(self, start: int, end: int) -> list[bytes]:
        return self._leaves[start:end]

    def read_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        return nodes_in_order(self._nodes, keys)

    def append_leaves(
        self,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[NodeRow],
        meta: Mapping[str, str],
    ) -> None:
        check_append_start(len(self._leaves), start)
        self._leaves.extend(leaves)
        for level, index, h in nodes:
            self._nodes[(level, index)] = h
        self._meta.update(meta)

    def save_head(self, head: SignedTreeHead) -> None:
        self._heads.append(head)

    def read_heads(self) -> list[SignedTreeHead]:
        return sorted(self._heads, key=lambda h: h.head.tree_size)

    def latest_head(self) -> SignedTreeHead | None:
        return self._heads[-1] if self._heads else None

    def get_meta(self, name: str) -> str | None:
        return self._meta.get(name)

    def set_meta(self, name: str, value: str) -> None:
        self._meta[name] = value
