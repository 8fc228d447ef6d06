"""The tree of RFC 9162 §2.1, checked against roots written out by hand for 1–8 leaves."""

from __future__ import annotations

import hashlib

import pytest

from deconflict.errors import InvalidInput
from deconflict.ledger import (
    EMPTY_ROOT,
    Frontier,
    Log,
    MemoryLedgerStore,
    Signer,
    fold,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    reference_root,
    split_point,
)


def L(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def N(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


D = [b"d%d" % i for i in range(8)]
a, b, c, d, e, f, g, h = (L(x) for x in D)

# Written from the definition: split at the largest power of two below n.
HAND_ROOTS = {
    0: hashlib.sha256(b"").digest(),
    1: a,
    2: N(a, b),
    3: N(N(a, b), c),
    4: N(N(a, b), N(c, d)),
    5: N(N(N(a, b), N(c, d)), e),
    6: N(N(N(a, b), N(c, d)), N(e, f)),
    7: N(N(N(a, b), N(c, d)), N(N(e, f), g)),
    8: N(N(N(a, b), N(c, d)), N(N(e, f), N(g, h))),
}


def test_hash_functions_match_the_definition() -> None:
    assert leaf_hash(b"d0") == a
    assert node_hash(a, b) == N(a, b)
    assert HAND_ROOTS[0] == EMPTY_ROOT
    assert leaf_hash(b"") != hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", range(9))
def test_reference_root_matches_hand_computed_tree(n: int) -> None:
    assert reference_root(D[:n]) == HAND_ROOTS[n]


@pytest.mark.parametrize("n", range(9))
def test_frontier_root_matches_hand_computed_tree(n: int) -> None:
    frontier = Frontier()
    frontier.extend(L(x) for x in D[:n])
    assert frontier.root() == HAND_ROOTS[n]
    assert frontier.size == n


@pytest.mark.parametrize("n", range(9))
def test_log_root_at_every_size_matches_hand_computed_tree(n: int) -> None:
    store = MemoryLedgerStore()
    # Store raw leaves directly so the hand-computed roots apply.
    frontier = Frontier()
    nodes = frontier.extend(L(x) for x in D[:n])
    store.append_leaves(0, D[:n], nodes, {})
    log = Log(store, Signer.generate())
    assert log.root() == HAND_ROOTS[n]
    for m in range(n + 1):
        assert log.root(m) == HAND_ROOTS[m]


def test_frontier_writes_each_complete_subtree_once() -> None:
    frontier = Frontier()
    nodes = frontier.extend(L(x) for x in D)
    keys = [(level, index) for level, index, _ in nodes]
    assert sorted(keys) == sorted(
        [(0, i) for i in range(8)] + [(1, i) for i in range(4)] + [(2, 0), (2, 1), (3, 0)]
    )
    by_key = {(level, index): hv for level, index, hv in nodes}
    assert by_key[(1, 3)] == N(g, h)
    assert by_key[(2, 1)] == N(N(e, f), N(g, h))
    assert by_key[(3, 0)] == HAND_ROOTS[8]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 0, []),
        (0, 1, [(0, 0)]),
        (0, 6, [(2, 0), (1, 2)]),
        (0, 7, [(2, 0), (1, 2), (0, 6)]),
        (4, 7, [(1, 2), (0, 6)]),
        (8, 16, [(3, 1)]),
        (0, 1000, [(9, 0), (8, 2), (7, 6), (6, 14), (5, 30), (3, 124)]),
    ],
)
def test_perfect_subtrees(start: int, end: int, expected: list[tuple[int, int]]) -> None:
    assert perfect_subtrees(start, end) == expected


def test_perfect_subtrees_rejects_unaligned_range() -> None:
    with pytest.raises(InvalidInput):
        perfect_subtrees(1, 3)


def test_fold_of_decomposition_is_the_root() -> None:
    frontier = Frontier()
    nodes = {(lv, i): hv for lv, i, hv in frontier.extend(L(x) for x in D[:7])}
    assert fold([nodes[k] for k in perfect_subtrees(0, 7)]) == HAND_ROOTS[7]


@pytest.mark.parametrize(("n", "k"), [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512)])
def test_split_point(n: int, k: int) -> None:
    assert split_point(n) == k


def test_split_point_needs_two_leaves() -> None:
    with pytest.raises(InvalidInput):
        split_point(1)
