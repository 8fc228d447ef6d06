"""A :class:`~deconflict.ledger.storage.LedgerStore` in memory (tests, examples).

Safe to share between threads; :meth:`MemoryLedgerStore.transaction` gives the same
all-or-nothing and nesting behaviour as the database stores.

>>> store = MemoryLedgerStore()
>>> store.append_leaves(0, [b"{}"], [(0, 0, bytes(32))], {})
>>> store.ledger_size(), store.read_leaves(0, 5)
(1, [b'{}'])
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from .signing import SignedTreeHead
from .storage import NodeRow, check_append_start, nodes_in_order
from .tree import NodeKey

__all__ = ["MemoryLedgerStore"]


class MemoryLedgerStore:
    """Leaves, subtree hashes, heads and named values in Python containers."""

    def __init__(self) -> None:
        self._leaves: list[bytes] = []
        self._nodes: dict[NodeKey, bytes] = {}
        self._added: list[NodeKey] = []
        """Keys of ``_nodes`` in the order written (to undo a transaction's)."""
        self._heads: list[SignedTreeHead] = []
        self._meta: dict[str, str] = {}
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store for this thread; undo this block's writes if it raises."""
        with self._lock:
            mark = (len(self._leaves), len(self._added), len(self._heads), dict(self._meta))
            try:
                yield
            except BaseException:
                leaves, added, heads, meta = mark
                del self._leaves[leaves:]
                for key in self._added[added:]:
                    del self._nodes[key]
                del self._added[added:]
                del self._heads[heads:]
                self._meta = meta
                raise

    def ledger_size(self) -> int:
        with self._lock:
            return len(self._leaves)

    def read_leaves(self, start: int, end: int) -> list[bytes]:
        with self._lock:
            return self._leaves[start:end]

    def read_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        with self._lock:
            return nodes_in_order(self._nodes, keys)

    def append_leaves(
        self,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[NodeRow],
        meta: Mapping[str, str],
    ) -> None:
        with self._lock:
            check_append_start(len(self._leaves), start)
            self._leaves.extend(leaves)
            for level, index, h in nodes:
                if (level, index) not in self._nodes:
                    self._added.append((level, index))
                self._nodes[(level, index)] = h
            self._meta.update(meta)

    def save_head(self, head: SignedTreeHead) -> None:
        with self._lock:
            self._heads.append(head)

    def read_heads(self) -> list[SignedTreeHead]:
        with self._lock:
            return sorted(self._heads, key=lambda h: h.head.tree_size)

    def latest_head(self) -> SignedTreeHead | None:
        with self._lock:
            return self._heads[-1] if self._heads else None

    def get_meta(self, name: str) -> str | None:
        with self._lock:
            return self._meta.get(name)

    def set_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._meta[name] = value
