"""The witness's checks (``deconflict.ledger.witness``), on logs in memory: a head is taken
only when it is signed by the pinned key (or one a rotation in the log moved the pin to),
extends the head kept, and the party's export gives its root."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from deconflict.errors import InvalidInput, VerificationError
from deconflict.ledger.hashing import leaf_hash
from deconflict.ledger.log import Log
from deconflict.ledger.memory import MemoryLedgerStore
from deconflict.ledger.signing import SignedTreeHead, Signer, TreeHead
from deconflict.ledger.verify import export_line
from deconflict.ledger.witness import (
    Cosignature,
    Inconsistent,
    WitnessState,
    advance,
    check_extends,
    proof_request,
)

FIXED = datetime(2026, 11, 23, 6, 25, tzinfo=UTC)


def make_log(n: int, signer: Signer, text: str = "call") -> Log:
    log = Log(MemoryLedgerStore(), signer, clock=lambda: FIXED)
    for i in range(n):
        log.append([{"kind": "phone-call", "party": ("blue", "red")[i % 2], "text": f"{text} {i}"}])
    return log


def grow(log: Log, n: int, text: str = "later") -> None:
    for i in range(n):
        log.append([{"kind": "message", "party": "blue", "text": f"{text} {i}"}])


def proof_for(log: Log, kept: TreeHead, new: TreeHead) -> list[bytes]:
    sizes = proof_request(kept, new)
    return [] if sizes is None else log.consistency_proof(*sizes)


def follow(state: WitnessState, log: Log, signed: SignedTreeHead | None = None) -> WitnessState:
    """One round against ``log`` (its current head unless ``signed`` is given)."""
    signed = signed or log.sign_head()
    assert state.head is not None
    proof = proof_for(log, state.head.head, signed.head)
    return advance(state, signed, proof, log.export_lines(), None, 2).state


def first(log: Log, pin: bytes) -> WitnessState:
    return advance(None, log.sign_head(), [], log.export_lines(), pin, 1).state


def never_read() -> Iterator[str]:
    raise AssertionError("the export was read")
    yield ""  # pragma: no cover


def test_first_round_pins_the_given_key_and_refuses_another() -> None:
    service = Signer.generate()
    log = make_log(3, service)
    state = first(log, service.public_key)
    assert state.public_key == service.public_key
    assert state.head is not None and state.head.head.tree_size == 3
    with pytest.raises(VerificationError, match=r"refused head: .* not the pinned key"):
        first(log, Signer.generate().public_key)
    with pytest.raises(InvalidInput):
        advance(None, log.sign_head(), [], log.export_lines(), None, 0)


def test_a_consistent_head_moves_and_an_unchanged_one_reads_nothing() -> None:
    service = Signer.generate()
    log = make_log(3, service)
    state = first(log, service.public_key)
    grow(log, 4)
    head = log.sign_head()
    assert state.head is not None
    step = advance(
        state, head, proof_for(log, state.head.head, head.head), log.export_lines(), None, 5
    )
    assert step.moved and not step.stale
    assert (step.entries, step.withheld) == (7, 0)
    assert step.state.head == head and step.state.seen_at_ms == 5
    again = advance(step.state, head, [], never_read(), None, 6)
    assert not again.moved and again.state is step.state


def test_the_same_size_with_another_root_is_inconsistent() -> None:
    service = Signer.generate()
    log = make_log(4, service)
    state = first(log, service.public_key)
    fork = make_log(4, service, text="other")  # the operator signs another tree of 4
    with pytest.raises(Inconsistent, match=r"^inconsistent head: .*the same size with another"):
        advance(state, fork.sign_head(), [], fork.export_lines(), None, 2)


def test_rewritten_history_is_inconsistent_even_signed_by_the_real_key() -> None:
    service = Signer.generate()
    log = make_log(5, service)
    state = first(log, service.public_key)
    # rebuilt by the operator: entry 2 changed, the rest re-chained, re-signed
    rewritten = Log(MemoryLedgerStore(), service, clock=lambda: FIXED)
    for i in range(5):
        text = "call 2 (amended)" if i == 2 else f"call {i}"
        rewritten.append([{"kind": "phone-call", "party": ("blue", "red")[i % 2], "text": text}])
    grow(rewritten, 3)
    with pytest.raises(Inconsistent, match=r"^inconsistent head: size 8 .*cannot both be heads"):
        follow(state, rewritten)


def test_an_older_head_consistent_with_the_one_kept_is_ignored() -> None:
    service = Signer.generate()
    log = make_log(3, service)
    old = log.sign_head()
    grow(log, 3)
    state = first(log, service.public_key)
    assert state.head is not None
    step = advance(state, old, proof_for(log, state.head.head, old.head), never_read(), None, 3)
    assert step.stale and not step.moved and step.state is state


def test_an_export_that_does_not_give_the_heads_root_is_inconsistent() -> None:
    service = Signer.generate()
    log = make_log(3, service)
    state = first(log, service.public_key)
    grow(log, 2)
    head = log.sign_head()
    other = make_log(5, service, text="shown to this party")
    assert state.head is not None
    with pytest.raises(Inconsistent, match="export's first 5 entries give root"):
        advance(
            state, head, proof_for(log, state.head.head, head.head), other.export_lines(), None, 2
        )
    short = make_log(3, service)
    with pytest.raises(Inconsistent, match="holds 3 entries"):
        advance(
            state, head, proof_for(log, state.head.head, head.head), short.export_lines(), None, 2
        )


def test_a_redacted_export_is_checked_through_its_leaf_hashes() -> None:
    service = Signer.generate()
    log = make_log(4, service)
    head = log.sign_head()
    lines = []
    for index, leaf in log.entries():
        withheld = index % 2 == 1
        line = f'{{"index": {index}, "leaf_hash": "{leaf_hash(leaf).hex()}"}}'
        lines.append(line if withheld else export_line(index, leaf))
    lines.append(head.to_line())
    step = advance(None, head, [], lines, service.public_key, 1)
    assert (step.entries, step.withheld) == (4, 2)


def test_a_head_signed_by_another_key_is_refused_unless_a_rotation_moved_the_pin() -> None:
    service = Signer.generate()
    log = make_log(3, service)
    state = first(log, service.public_key)
    grow(log, 1)
    intruder = Signer.generate()
    forged = intruder.sign_head(TreeHead(4, log.root(), 0))
    with pytest.raises(VerificationError, match="refused head"):
        follow(state, log, forged)
    # a rotation recorded in the log and signed by the pinned key moves the pin
    new = Signer.generate()
    rotation = log.rotate_key(new)
    grow(log, 2)
    head = log.sign_head()
    assert state.head is not None
    step = advance(
        state, head, proof_for(log, state.head.head, head.head), log.export_lines(), None, 9
    )
    assert step.moved and step.state.public_key == new.public_key
    assert step.rotations == ((rotation.index + 1, new.public_key),)
    # the retired key may no longer sign heads past the rotation
    stale_key = service.sign_head(TreeHead(head.head.tree_size, head.head.root_hash, 10))
    with pytest.raises(VerificationError, match="refused head"):
        follow(step.state, log, stale_key)


def test_check_extends_names_both_heads() -> None:
    a, b = TreeHead(2, bytes(32), 0), TreeHead(2, b"\x01" * 32, 0)
    with pytest.raises(Inconsistent) as caught:
        check_extends(a, b, [], kept_at_ms=1795415190000)
    message = str(caught.value)
    assert message.startswith("inconsistent head: size 2 root 0101")
    assert "seen at 2026-11-23T06:26:30.000Z" in message


def test_cosignatures_verify_over_the_exact_sth_bytes() -> None:
    service, party = Signer.generate(), Signer.generate()
    signed = service.sign_head(TreeHead(1, bytes(32), 5))
    cos = Cosignature("blue", party.public_key, party.sign(signed.sth.encode()))
    cos.verify(signed.sth)
    assert Cosignature.from_dict(cos.to_dict()) == cos
    with pytest.raises(VerificationError, match="cosignature of blue"):
        cos.verify(signed.sth.replace('"timestamp":5', '"timestamp":6'))


def test_state_round_trips_through_its_json() -> None:
    service = Signer.generate()
    state = first(make_log(2, service), service.public_key)
    state.cosigned = state.head.sth if state.head else None
    assert WitnessState.from_json(state.to_json()) == state
    with pytest.raises(InvalidInput, match="not a witness state"):
        WitnessState.from_json('{"keys": []}')
