"""Inclusion and consistency proofs: RFC 9162 examples, property tests up to 1,000 leaves."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import VerificationError
from deconflict.ledger import (
    Frontier,
    Log,
    MemoryLedgerStore,
    Signer,
    consistency_ranges,
    inclusion_ranges,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 1000


def L(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def N(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """Merkle tree hash written out from RFC 9162 §2.1.1."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return L(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return N(mth(leaves[:k]), mth(leaves[k:]))


@cache
def raw_mth(start: int, end: int) -> bytes:
    """``MTH(RAW[start:end])`` by the same recursion, memoised (the property tests' roots)."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return L(RAW[start])
    k = 1
    while k * 2 < n:
        k *= 2
    return N(raw_mth(start, start + k), raw_mth(start + k, end))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) from RFC 9162 §2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) from RFC 9162 §2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


RAW = [b"leaf %d" % i for i in range(MAX_SIZE)]


@cache
def raw_log() -> Log:
    """A log over RAW (raw bytes as leaves, so the reference functions apply)."""
    store = MemoryLedgerStore()
    frontier = Frontier()
    store.append_leaves(0, RAW, frontier.extend(L(x) for x in RAW), {})
    return Log(store, Signer.generate())


def test_rfc_9162_example_shapes() -> None:
    # The seven-leaf examples of RFC 9162 §2.1.5.
    assert inclusion_ranges(0, 7) == [(1, 2), (2, 4), (4, 7)]
    assert inclusion_ranges(3, 7) == [(2, 3), (0, 2), (4, 7)]
    assert inclusion_ranges(4, 7) == [(5, 6), (6, 7), (0, 4)]
    assert inclusion_ranges(6, 7) == [(4, 6), (0, 4)]
    assert consistency_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert consistency_ranges(4, 7) == [(4, 7)]
    assert consistency_ranges(6, 7) == [(4, 6), (6, 7), (0, 4)]


@pytest.mark.parametrize("n", range(1, 9))
def test_small_trees_proofs_match_rfc_definitions(n: int) -> None:
    log = raw_log()
    for m in range(n):
        assert log.inclusion_proof(m, n) == path(m, RAW[:n])
    for m in range(1, n):
        assert log.consistency_proof(m, n) == subproof(m, RAW[:n], True)


sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@settings(max_examples=300, deadline=None)
@given(size=sizes, data=st.data())
def test_every_inclusion_proof_verifies(size: int, data: st.DataObject) -> None:
    log = raw_log()
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = log.inclusion_proof(index, size)
    root = raw_mth(0, size)
    assert log.root(size) == root
    verify_inclusion(L(RAW[index]), index, size, proof, root)
    if size <= 200:
        assert proof == path(index, RAW[:size])


@settings(max_examples=300, deadline=None)
@given(new=sizes, data=st.data())
def test_every_consistency_proof_verifies(new: int, data: st.DataObject) -> None:
    log = raw_log()
    old = data.draw(st.integers(min_value=0, max_value=new))
    proof = log.consistency_proof(old, new)
    # Roots from the written-out definition, not from the log: a log whose roots and
    # proofs were wrong in the same way would otherwise pass.
    old_root, new_root = raw_mth(0, old), raw_mth(0, new)
    assert (log.root(old), log.root(new)) == (old_root, new_root)
    verify_consistency(old, new, old_root, new_root, proof)
    if new <= 200 and 0 < old < new:
        assert proof == subproof(old, RAW[:new], True)


def test_reference_root_agrees_at_full_size() -> None:
    assert raw_log().root() == mth(RAW)


def _flip(data: bytes, position: int, bit: int) -> bytes:
    out = bytearray(data)
    out[position] ^= 1 << bit
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(size=st.integers(min_value=2, max_value=MAX_SIZE), data=st.data())
def test_a_changed_byte_in_an_inclusion_proof_is_caught(size: int, data: st.DataObject) -> None:
    log = raw_log()
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = log.inclusion_proof(index, size)
    root = raw_mth(0, size)
    which = data.draw(st.sampled_from(["leaf", "root", "proof"]))
    pos, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    leaf = L(RAW[index])
    if which == "leaf":
        leaf = _flip(leaf, pos, bit)
    elif which == "root":
        root = _flip(root, pos, bit)
    else:
        k = data.draw(st.integers(0, len(proof) - 1))
        proof[k] = _flip(proof[k], pos, bit)
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, index, size, proof, root)


@settings(max_examples=200, deadline=None)
@given(new=st.integers(min_value=2, max_value=MAX_SIZE), data=st.data())
def test_a_changed_byte_in_a_consistency_proof_is_caught(new: int, data: st.DataObject) -> None:
    log = raw_log()
    old = data.draw(st.integers(min_value=1, max_value=new - 1))
    proof = log.consistency_proof(old, new)
    old_root, new_root = raw_mth(0, old), raw_mth(0, new)
    which = data.draw(st.sampled_from(["old", "new", "proof"]))
    pos, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    if which == "old":
        old_root = _flip(old_root, pos, bit)
    elif which == "new":
        new_root = _flip(new_root, pos, bit)
    else:
        k = data.draw(st.integers(0, len(proof) - 1))
        proof[k] = _flip(proof[k], pos, bit)
    with pytest.raises(VerificationError):
        verify_consistency(old, new, old_root, new_root, proof)


def test_proofs_of_the_wrong_length_or_position_fail() -> None:
    log = raw_log()
    proof = log.inclusion_proof(5, 10)
    root = log.root(10)
    with pytest.raises(VerificationError, match="inclusion proof: shorter than the tree"):
        verify_inclusion(L(RAW[5]), 5, 10, proof[:-1], root)
    with pytest.raises(VerificationError, match="inclusion proof: longer than the tree"):
        verify_inclusion(L(RAW[5]), 5, 10, [*proof, proof[0]], root)
    with pytest.raises(VerificationError):
        verify_inclusion(L(RAW[5]), 4, 10, proof, root)
    with pytest.raises(VerificationError):
        verify_inclusion(L(RAW[5]), 10, 10, proof, root)
    cproof = log.consistency_proof(3, 10)
    with pytest.raises(VerificationError, match="consistency proof: shorter than the tree"):
        verify_consistency(3, 10, log.root(3), root, cproof[:-1])
    with pytest.raises(VerificationError, match="consistency proof: longer than the tree"):
        verify_consistency(3, 10, log.root(3), root, [*cproof, cproof[0]])
    with pytest.raises(VerificationError):
        verify_consistency(3, 10, log.root(3), root, [])
    with pytest.raises(VerificationError):
        verify_consistency(4, 10, log.root(3), root, cproof)
    with pytest.raises(VerificationError):
        verify_consistency(10, 10, root, log.root(9), [])
    verify_consistency(0, 10, log.root(0), root, [])
    verify_consistency(10, 10, root, root, [])
