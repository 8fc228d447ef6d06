"""Salted entries: a log given a source of salts adds a ``salt`` to every entry it writes,
appends and key rotations alike, and keeps the field to itself; the stores' logs always
salt, from the OS CSPRNG; a seeded source gives the same salts again (replay)."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import pytest

from deconflict.commands import serve
from deconflict.entropy import SALT_BYTES, Entropy
from deconflict.errors import InvalidInput
from deconflict.ledger.log import Log, verify_store
from deconflict.ledger.memory import MemoryLedgerStore
from deconflict.ledger.signing import Signer
from deconflict.service.config import ServiceConfig
from deconflict.store import open_database
from deconflict.store.keys import open_log


def _raw(salt: str) -> bytes:
    """A salt's bytes (base64url without padding)."""
    return base64.urlsafe_b64decode(salt + "=" * (-len(salt) % 4))


def _entries(log: Log) -> list[dict[str, object]]:
    return [json.loads(leaf) for _, leaf in log.entries()]


def test_a_salting_log_salts_appends_and_rotations() -> None:
    log = Log(MemoryLedgerStore(), Signer.generate(), salt=Entropy().salt)
    log.append([{"kind": "note", "party": "blue"}, {"kind": "note", "party": "red"}])
    log.rotate_key(Signer.generate())
    entries = _entries(log)
    assert [e["kind"] for e in entries] == ["note", "note", "key-rotation"]
    salts = [str(e["salt"]) for e in entries]
    assert len(set(salts)) == 3
    assert all(len(_raw(s)) == SALT_BYTES for s in salts)
    log.sign_head()
    assert verify_store(log.store).tree_size == 3
    with pytest.raises(InvalidInput, match="'salt' is set by the log"):
        log.append([{"kind": "note", "party": "blue", "salt": "mine"}])


def test_the_pure_log_salts_only_when_told() -> None:
    log = Log(MemoryLedgerStore(), Signer.generate())
    log.append([{"kind": "note", "party": "blue", "salt": "the caller's own"}])
    assert _entries(log)[0]["salt"] == "the caller's own"


def test_the_stores_logs_salt_every_entry(tmp_path: Path) -> None:
    with open_database(str(tmp_path / "ops.db"), create=True) as db:
        log = open_log(db)
        log.append([{"kind": "phone-call", "party": "blue", "text": "hold"}])
        assert len(_raw(str(_entries(log)[0]["salt"]))) == SALT_BYTES


def test_a_seeded_source_repeats_itself_and_the_os_does_not() -> None:
    a, b, c = Entropy.seeded(b"one"), Entropy.seeded(b"one"), Entropy.seeded(b"two")
    first = [a.salt(), a.id("al"), a.random_bytes(40)]
    assert first == [b.salt(), b.id("al"), b.random_bytes(40)]
    assert first != [c.salt(), c.id("al"), c.random_bytes(40)]
    live = Entropy()
    assert len({live.salt() for _ in range(100)}) == 100
    assert len(live.id("msg")) == len("msg-") + 32


def test_the_head_interval_comes_from_the_flag_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    assert serve.config_from(parser.parse_args(["serve"])).head_interval_s == 0.0
    args = parser.parse_args(["serve", "--head-interval", "5"])
    assert serve.config_from(args).head_interval_s == 5.0
    monkeypatch.setenv("DECONFLICT_HEAD_INTERVAL_S", "2.5")
    assert ServiceConfig.from_env().head_interval_s == 2.5
    with pytest.raises(InvalidInput, match="head_interval_s"):
        ServiceConfig(head_interval_s=-1.0)
