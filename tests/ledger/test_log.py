"""The log: entries, signed tree heads, receipts, key rotation, export verification."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import Forbidden, InvalidInput, NotFound, VerificationError
from deconflict.ledger import (
    EMPTY_ROOT,
    Log,
    LogVerifier,
    MemoryLedgerStore,
    Receipt,
    SignedTreeHead,
    Signer,
    parse_entry,
    verify_export,
    verify_receipt_against,
    verify_store,
)
from deconflict.ledger import __all__ as ledger_all
from deconflict.ledger.log import PUBLIC_KEY_META
from deconflict.ledger.signing import b64encode

FIXED = datetime(2026, 11, 23, 6, 25, tzinfo=UTC)


def make_log(n: int, signer: Signer | None = None) -> Log:
    log = Log(MemoryLedgerStore(), signer or Signer.generate(), clock=lambda: FIXED)
    if n:
        log.append([{"kind": "note", "party": ("blue", "red")[i % 2], "n": i} for i in range(n)])
    return log


def export(log: Log) -> list[bytes]:
    return [line.encode() + b"\n" for line in log.export_lines()]


def test_public_names_are_sorted_and_exist() -> None:
    import deconflict.ledger as ledger

    assert ledger_all == sorted(ledger_all, key=lambda s: (not s.isupper(), s))
    for name in ledger_all:
        assert hasattr(ledger, name)


def test_entries_are_canonical_json_with_index_and_prev_hash() -> None:
    log = make_log(0)
    first, second = log.append([{"party": "blue", "kind": "note", "text": "ça va"}] * 2)
    assert (
        first.leaf
        == (
            '{"index":0,"kind":"note","party":"blue","prev_hash":"' + "0" * 64 + '",'
            '"text":"ça va","time":"2026-11-23T06:25:00.000Z"}'
        ).encode()
    )
    entry = parse_entry(second.leaf)
    assert entry["index"] == 1
    assert entry["prev_hash"] == first.leaf_hash.hex()
    assert log.leaf(1) == second.leaf


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "note"},
        {"kind": "", "party": "blue"},
        {"kind": "note", "party": "blue", "index": 3},
        {"kind": "note", "party": "blue", "prev_hash": "00"},
        {"kind": "key-rotation", "party": "blue"},
        {"kind": "note", "party": "blue", "x": float("nan")},
        {"kind": "note", "party": "blue", "time": 5},
    ],
)
def test_bad_entries_are_rejected_whole(bad: dict[str, object]) -> None:
    log = make_log(2)
    with pytest.raises(InvalidInput):
        log.append([{"kind": "note", "party": "red"}, bad])
    assert log.size == 2


def test_caller_time_is_kept() -> None:
    log = make_log(0)
    (a,) = log.append([{"kind": "note", "party": "b", "time": "2020-01-01T00:00:00.000Z"}])
    assert parse_entry(a.leaf)["time"] == "2020-01-01T00:00:00.000Z"


def test_signed_head_and_receipt() -> None:
    log = make_log(5)
    signed = log.sign_head()
    head = signed.verify()
    assert head.tree_size == 5
    assert head.root_hash == log.root()
    assert log.head() == signed  # reused while it covers the log
    receipt = log.receipt(3)
    assert receipt.verify().tree_size == 5
    again = Receipt.from_dict(json.loads(json.dumps(receipt.to_dict())))
    assert again == receipt
    log.append([{"kind": "note", "party": "red"}])
    assert log.head().head.tree_size == 6


def _flip_char(text: str, position: int) -> str:
    ch = text[position]
    new = "0" if ch != "0" else "1"
    return text[:position] + new + text[position + 1 :]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_changed_byte_in_a_signed_head_or_signature_is_caught(data: st.DataObject) -> None:
    signer = Signer.generate()
    log = make_log(3, signer)
    signed = log.sign_head()
    which = data.draw(st.sampled_from(["sth", "signature", "public_key"]))
    if which == "sth":
        pos = data.draw(st.integers(0, len(signed.sth.encode()) - 1))
        raw = bytearray(signed.sth.encode())
        raw[pos] ^= 1 << data.draw(st.integers(0, 6))
        tampered = SignedTreeHead(
            raw.decode("utf-8", "replace"), signed.signature, signed.public_key
        )
    elif which == "signature":
        raw = bytearray(signed.signature)
        raw[data.draw(st.integers(0, 63))] ^= 1 << data.draw(st.integers(0, 7))
        tampered = SignedTreeHead(signed.sth, bytes(raw), signed.public_key)
    else:
        raw = bytearray(signed.public_key)
        raw[data.draw(st.integers(0, 31))] ^= 1 << data.draw(st.integers(0, 7))
        tampered = SignedTreeHead(signed.sth, signed.signature, bytes(raw))
    with pytest.raises(VerificationError):
        tampered.verify(signer.public_key if which == "public_key" else None)
    lines = export(log)
    lines[-1] = tampered.to_line().encode() + b"\n"
    with pytest.raises(VerificationError):
        verify_export(lines, trusted_key=signer.public_key)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_changed_byte_in_a_leaf_is_caught_and_named(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 12))
    log = make_log(n)
    lines = export(log)
    index = data.draw(st.integers(0, n - 1))
    leaf = log.leaf(index)
    pos = data.draw(st.integers(0, len(leaf) - 1))
    raw = bytearray(leaf)
    raw[pos] ^= 1 << data.draw(st.integers(0, 6))
    text = raw.decode("utf-8", "replace")
    lines[index] = (json.dumps({"index": index, "leaf": text}) + "\n").encode()
    with pytest.raises(VerificationError, match=rf"^entry {index}: "):
        verify_export(lines)


def test_export_round_trip_and_names_first_bad_entry() -> None:
    log = make_log(10)
    lines = export(log)
    assert verify_export(lines).tree_size == 10
    # dropped line
    with pytest.raises(VerificationError, match=r"^entry 4: "):
        verify_export(lines[:4] + lines[5:])
    # swapped lines
    swapped = list(lines)
    swapped[6], swapped[7] = swapped[7], swapped[6]
    with pytest.raises(VerificationError, match=r"^entry 6: "):
        verify_export(swapped)
    # swapped leaves, index fields left in order
    relabelled = list(lines)
    for i, j in ((6, 7), (7, 6)):
        leaf = json.loads(lines[j])["leaf"]
        relabelled[i] = (json.dumps({"index": i, "leaf": leaf}) + "\n").encode()
    with pytest.raises(VerificationError, match=r"^entry 6: "):
        verify_export(relabelled)
    # truncated: cut inside a line, cut before the head, last entry dropped
    blob = b"".join(lines)
    cut = blob[: len(b"".join(lines[:3])) + 20]
    with pytest.raises(VerificationError, match=r"^entry 3: "):
        verify_export(cut.splitlines(keepends=True))
    with pytest.raises(VerificationError, match=r"^entry 10: .*missing"):
        verify_export(lines[:-1])
    with pytest.raises(VerificationError, match=r"^entry 9: "):
        verify_export(lines[:9] + lines[10:])
    # extra text after the head
    with pytest.raises(VerificationError, match=r"^tree head: "):
        verify_export([*lines, b"{}\n"])


@pytest.mark.parametrize("index", [0, 3, 5])
def test_a_changed_prev_hash_names_its_own_entry(index: int) -> None:
    log = make_log(6)
    lines = export(log)
    entry = json.loads(json.loads(lines[index])["leaf"])
    entry["prev_hash"] = "ab" * 32
    leaf = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    lines[index] = (json.dumps({"index": index, "leaf": leaf}) + "\n").encode()
    with pytest.raises(VerificationError, match=rf"^entry {index}: "):
        verify_export(lines)


def test_empty_log_exports_and_verifies() -> None:
    log = make_log(0)
    head = verify_export(export(log))
    assert head.tree_size == 0
    assert head.root_hash == EMPTY_ROOT


def test_key_rotation_chain() -> None:
    first, second, third = Signer.generate(), Signer.generate(), Signer.generate()
    log = make_log(3, first)
    early = log.receipt(1)
    log.rotate_key(second)
    log.append([{"kind": "note", "party": "red"}])
    middle = log.receipt(4)
    log.rotate_key(third)
    log.append([{"kind": "note", "party": "blue"}])
    lines = export(log)
    verifier = LogVerifier(first.public_key)
    head = verify_export(lines, verifier)
    assert head.tree_size == 7
    assert verifier.keys == [(0, first.public_key), (4, second.public_key), (6, third.public_key)]
    assert middle.signed_head.public_key == second.public_key
    # Old receipts stay provable against the later export.
    assert verify_receipt_against(early, lines, first.public_key).tree_size == 7
    assert verify_receipt_against(middle, lines).tree_size == 7
    # A pinned key that is not the log's first key fails.
    with pytest.raises(VerificationError, match=r"^entry 3: key rotation"):
        verify_export(lines, trusted_key=Signer.generate().public_key)
    assert verify_store(log.store, first.public_key).tree_size == 7


def test_rotation_signed_by_another_key_is_caught() -> None:
    first, second = Signer.generate(), Signer.generate()
    log = make_log(2, first)
    log.signer = second  # the operator tries to rotate with a key the log never had
    log.rotate_key(Signer.generate())
    with pytest.raises(VerificationError, match=r"^entry 2: key rotation"):
        verify_export(export(log), trusted_key=first.public_key)


def test_head_signed_by_a_retired_key_is_caught() -> None:
    first, second = Signer.generate(), Signer.generate()
    log = make_log(2, first)
    log.rotate_key(second)
    lines = export(log)
    forged = first.sign_head(SignedTreeHead.from_dict(json.loads(lines[-1])).head)
    lines[-1] = forged.to_line().encode()
    with pytest.raises(VerificationError, match=r"^tree head: "):
        verify_export(lines)


def test_receipt_against_a_rewritten_export_fails() -> None:
    log = make_log(4)
    receipt = log.receipt(2)
    other = make_log(4)
    with pytest.raises(VerificationError, match=r"^receipt: "):
        verify_receipt_against(receipt, export(other))
    shorter = make_log(0, log.signer)
    with pytest.raises(VerificationError, match=r"^receipt: "):
        verify_receipt_against(receipt, export(shorter))


def test_store_verification_names_tampered_entry() -> None:
    log = make_log(8)
    log.sign_head()
    assert verify_store(log.store).tree_size == 8
    store = log.store
    assert isinstance(store, MemoryLedgerStore)
    store._leaves[5] = store._leaves[5].replace(b"red", b"rex")
    with pytest.raises(VerificationError, match=r"^entry 5: "):
        verify_store(store)


def test_store_without_signed_head_fails_verification() -> None:
    log = make_log(3)
    with pytest.raises(VerificationError, match=r"^entry 2: no signed tree head"):
        verify_store(log.store)
    assert verify_store(MemoryLedgerStore()).tree_size == 0


def test_log_without_signer_reads_and_appends_but_does_not_sign() -> None:
    log = make_log(3)
    reader = Log(log.store)
    assert reader.root() == log.root()
    assert reader.append([{"kind": "note", "party": "red"}])[0].index == 3
    with pytest.raises(Forbidden, match="without its signing key"):
        reader.sign_head()
    with pytest.raises(Forbidden, match="without its signing key"):
        reader.receipt(3)
    with pytest.raises(Forbidden, match="without its signing key"):
        reader.rotate_key(Signer.generate())
    assert log.size == 4


def test_tree_heads_take_their_time_from_the_clock() -> None:
    log = make_log(2)
    head = log.sign_head().head
    assert head.timestamp_ms == 1_795_415_100_000  # FIXED, 2026-11-23T06:25:00Z
    moments = iter([datetime(2026, 11, 23, 6, 25, 0, 999_999, tzinfo=UTC)])
    log.clock = lambda: next(moments)
    assert log.sign_head().head.timestamp_ms == 1_795_415_100_999


def test_a_replay_signs_byte_identical_heads() -> None:
    pem = Signer.generate().to_pem()
    lines = []
    for _ in range(2):
        log = make_log(5, Signer.from_pem(pem))
        log.sign_head()
        log.append([{"kind": "note", "party": "red", "text": "again"}])
        lines.append(export(log))
        time.sleep(0.005)  # the wall clock moves on; the replay's clock does not
    assert lines[0] == lines[1]


def test_missing_entries_are_not_found() -> None:
    log = make_log(4)
    for index in (4, 99, -1):
        with pytest.raises(NotFound, match=f"no entry {index}"):
            log.leaf(index)
        with pytest.raises(NotFound):
            log.receipt(index)
        with pytest.raises(NotFound):
            log.inclusion_proof(index)
    with pytest.raises(NotFound):
        log.root(5)
    with pytest.raises(NotFound):
        log.consistency_proof(2, 5)
    with pytest.raises(NotFound):
        list(log.entries(2, 6))
    with pytest.raises(NotFound):
        log.store.read_nodes([(0, 4)])
    signed = log.sign_head()
    log.append([{"kind": "note", "party": "red"}])
    with pytest.raises(NotFound, match="covers 4 entries"):
        log.receipt(4, signed)


def test_a_log_refuses_to_sign_with_a_key_another_log_retired() -> None:
    old = Signer.generate()
    store = MemoryLedgerStore()
    store.set_meta(PUBLIC_KEY_META, b64encode(old.public_key))
    a = Log(store, old, clock=lambda: FIXED)
    b = Log(store, old, clock=lambda: FIXED)
    a.append([{"kind": "note", "party": "blue"}])
    new = Signer.generate()
    a.rotate_key(new)
    with pytest.raises(Forbidden, match="retired key"):
        b.sign_head()
    with pytest.raises(Forbidden, match="retired key"):
        b.rotate_key(Signer.generate())
    b.append([{"kind": "note", "party": "red"}])  # appending needs no key
    assert a.sign_head().public_key == new.public_key
    assert verify_store(store, old.public_key).tree_size == 3


def test_a_log_takes_the_new_key_when_its_key_loader_has_it() -> None:
    old, new = Signer.generate(), Signer.generate()
    store = MemoryLedgerStore()
    store.set_meta(PUBLIC_KEY_META, b64encode(old.public_key))
    keys = {b64encode(k.public_key): k for k in (old, new)}
    a = Log(store, old, clock=lambda: FIXED)
    b = Log(store, old, clock=lambda: FIXED, key_loader=keys.get)
    a.rotate_key(new)
    assert b.sign_head().public_key == new.public_key
    assert b.signer is new
    assert verify_store(store, old.public_key).tree_size == 1


def test_text_that_is_not_unicode_is_invalid_input() -> None:
    log = make_log(1)
    with pytest.raises(InvalidInput, match="Unicode"):
        log.append([{"kind": "note", "party": "blue", "text": "bad \udcff"}])
    assert log.size == 1
