"""The service signs its own entries under one name: the alerts, notifications and key
rotations it writes all carry the same ``party``, and a log whose rotations carry the
name older versions wrote still verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import deconflict.ledger as ledger
from deconflict.ledger import rotation
from deconflict.ledger.log import PUBLIC_KEY_META, Log, verify_store
from deconflict.ledger.memory import MemoryLedgerStore
from deconflict.ledger.signing import Signer, b64encode
from deconflict.service import core
from deconflict.service.auth import RESERVED_NAMES
from deconflict.service.clock import SimClock, to_datetime
from deconflict.store import open_database

SITE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.1, 35.1]},
    "properties": {"id": "camp", "kind": "protected", "radius_m": 300},
}


def test_one_name_for_the_service_entries() -> None:
    assert core.SERVICE_PARTY == ledger.SERVICE_PARTY
    assert ledger.SERVICE_PARTY in RESERVED_NAMES


def test_alert_and_rotation_entries_carry_the_same_party(tmp_path: Path) -> None:
    clock = SimClock(1_700_000_000.0)
    signer = Signer(Ed25519PrivateKey.generate())
    with open_database(str(tmp_path / "s.db"), create=True) as db:
        db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
        service = core.Service(db, log, clock=clock)
        service.add_party("blue")
        service.add_party("red")
        service.declare("blue", SITE, expect="positions")
        log.rotate_key(Signer(Ed25519PrivateKey.generate()))
        entries = [json.loads(leaf) for _, leaf in log.entries(0, log.size)]
        service.store.close()
    own = {e["party"] for e in entries if e["kind"] in ("alert", "notification", "key-rotation")}
    assert own == {ledger.SERVICE_PARTY}


def test_a_rotation_under_the_older_name_still_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryLedgerStore()
    old, new = Signer(Ed25519PrivateKey.generate()), Signer(Ed25519PrivateKey.generate())
    log = Log(store, old)
    log.append([{"kind": "note", "party": "blue"}])
    with monkeypatch.context() as m:
        m.setattr(rotation, "SERVICE_PARTY", "service")  # as older versions wrote it
        log.rotate_key(new)
    log.append([{"kind": "note", "party": "blue"}])
    log.sign_head()
    (_, leaf) = next(iter(log.entries(1, 2)))
    assert json.loads(leaf)["party"] == "service"
    assert verify_store(store, old.public_key).tree_size == 3
