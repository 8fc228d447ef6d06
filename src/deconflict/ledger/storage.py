"""What the log needs from a store: the :class:`LedgerStore` protocol.

A store keeps four things: the leaves (exact bytes, by index), the hash of every complete
perfect subtree (by :data:`~deconflict.ledger.tree.NodeKey`, level 0 being the leaf
hashes), the signed tree heads it has issued, and a few named values (the current public
key). Appending ``k`` leaves writes them and the ``O(k + log n)`` subtrees they complete,
in one transaction; any root or proof then reads ``O(log n)`` hashes.

:meth:`LedgerStore.transaction` is how a log appends safely beside other writers (other
threads, processes, logs): the log reads the tree's state and appends inside one write
transaction, which keeps other appenders out until it ends. It is re-entrant per
thread, so an append made inside a caller's own transaction commits or rolls back with
it.
:mod:`deconflict.ledger.memory` holds one in memory; :mod:`deconflict.store` the SQLite
and PostgreSQL ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from ..errors import Conflict, NotFound
from .signing import SignedTreeHead
from .tree import NodeKey

__all__ = ["LedgerStore", "NodeRow", "check_append_start", "nodes_in_order"]

NodeRow = tuple[int, int, bytes]
"""``(level, index, hash)`` of a complete perfect subtree."""


class LedgerStore(Protocol):
    """Persistence of one log. Implementations must be append-only.

    Errors of the storage itself are :class:`~deconflict.errors.StoreError`; nothing
    else (no driver or OS error) comes out of a store.
    """

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction for this thread, keeping other appenders out until it ends.

        Reads and writes of this thread inside it see each other and commit together
        when the outermost block ends (rolled back if it raises). Nested blocks of the
        same thread join it (a failing nested block undoes only its own writes).
        """
        ...

    def ledger_size(self) -> int:
        """Number of leaves stored."""
        ...

    def read_leaves(self, start: int, end: int) -> list[bytes]:
        """Leaves ``[start, end)`` in order (fewer if the log is shorter)."""
        ...

    def read_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """Hashes of the given perfect subtrees, in the order asked.

        Raises :class:`~deconflict.errors.NotFound` naming the first one not stored.
        """
        ...

    def append_leaves(
        self,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[NodeRow],
        meta: Mapping[str, str],
    ) -> None:
        """Write leaves ``start, start + 1, ...``, their subtrees and ``meta`` atomically.

        Raises :class:`~deconflict.errors.Conflict` (writing nothing) when the store no
        longer holds exactly ``start`` leaves, e.g. another writer came first.
        """
        ...

    def save_head(self, head: SignedTreeHead) -> None:
        """Keep a signed tree head the log issued."""
        ...

    def read_heads(self) -> list[SignedTreeHead]:
        """Every kept signed tree head, by tree size then in the order kept."""
        ...

    def latest_head(self) -> SignedTreeHead | None:
        """The signed tree head kept last, if any."""
        ...

    def get_meta(self, name: str) -> str | None:
        """A named value, or ``None``."""
        ...

    def set_meta(self, name: str, value: str) -> None:
        """Set a named value."""
        ...


def check_append_start(size: int, start: int) -> None:
    """Refuse an append at ``start`` to a store holding ``size`` leaves.

    >>> check_append_start(3, 3)
    >>> check_append_start(4, 3)
    Traceback (most recent call last):
    ...
    deconflict.errors.Conflict: ledger: holds 4 entries, not 3
    """
    if size != start:
        raise Conflict(f"ledger: holds {size} entries, not {start}")


def nodes_in_order(found: Mapping[NodeKey, bytes], keys: Sequence[NodeKey]) -> list[bytes]:
    """The hashes of ``keys`` from those ``found``, in the order asked.

    Raises :class:`~deconflict.errors.NotFound` naming the first key not found.

    >>> nodes_in_order({(0, 1): b"b", (1, 0): b"ab"}, [(1, 0), (0, 1)])
    [b'ab', b'b']
    """
    try:
        return [found[key] for key in keys]
    except KeyError as exc:
        raise NotFound(f"ledger: no stored subtree {exc.args[0]}") from exc
