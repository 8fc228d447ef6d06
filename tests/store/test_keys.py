"""The signing key on disk: created 0600 on first use, checked against the log, rotated."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest

from deconflict.errors import Forbidden, InvalidInput, StoreError
from deconflict.ledger import LogVerifier, Signer, verify_export, verify_store
from deconflict.ledger.log import PUBLIC_KEY_META
from deconflict.ledger.signing import b64encode
from deconflict.store import open_database
from deconflict.store.keys import (
    KEY_DIR_ENV,
    key_path,
    load_signer,
    open_log,
    rotate_key,
    write_key,
)
from deconflict.store.postgres import PostgresDatabase


@pytest.fixture(autouse=True)
def _no_key_dir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_DIR_ENV, raising=False)


def test_sqlite_key_is_created_beside_the_file_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "ops.db"
    with open_database(str(path)) as db:
        log = open_log(db)
        assert log.signer is not None
        key_file = tmp_path / "ops.db.key"
        assert key_path(db) == key_file
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert db.ledger.get_meta(PUBLIC_KEY_META) == b64encode(log.signer.public_key)
        first = log.signer.public_key
    with open_database(str(path)) as db:
        assert open_log(db).signer.public_key == first


def test_key_dir_option_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_database(str(tmp_path / "a.db")) as db:
        open_log(db, tmp_path / "keys")
        assert (tmp_path / "keys" / "a.db.key").is_file()
    monkeypatch.setenv(KEY_DIR_ENV, str(tmp_path / "env-keys"))
    with open_database(str(tmp_path / "b.db")) as db:
        open_log(db)
        assert (tmp_path / "env-keys" / "b.db.key").is_file()


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    with open_database(str(tmp_path / "a.db")) as db:
        open_log(db)
        os.chmod(tmp_path / "a.db.key", 0o644)
        with pytest.raises(InvalidInput, match="chmod 600"):
            open_log(db)


def test_a_key_that_is_not_the_logs_is_refused(tmp_path: Path) -> None:
    with open_database(str(tmp_path / "a.db")) as db:
        open_log(db)
        key_file = tmp_path / "a.db.key"
        key_file.unlink()
        with pytest.raises(StoreError, match="missing"):
            open_log(db)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Signer.generate().to_pem())
        with pytest.raises(StoreError, match="not the log's key"):
            open_log(db)


def test_rotation_replaces_the_key_file_and_the_chain_verifies(tmp_path: Path) -> None:
    with open_database(str(tmp_path / "a.db")) as db:
        log = open_log(db)
        old = log.signer
        assert old is not None
        log.append([{"kind": "note", "party": "blue"}])
        appended = rotate_key(log, db)
        assert appended.index == 1
        new = load_signer(tmp_path / "a.db.key")
        assert new.public_key != old.public_key
        assert db.ledger.get_meta(PUBLIC_KEY_META) == b64encode(new.public_key)
        assert not (tmp_path / "a.db.key.new").exists()
        log.append([{"kind": "note", "party": "red"}])
        lines = [line.encode() for line in log.export_lines()]
        verifier = LogVerifier(old.public_key)
        assert verify_export(lines, verifier).tree_size == 3
        assert verifier.key_at(3) == new.public_key
        assert verify_store(db.ledger, old.public_key).tree_size == 3
    with open_database(str(tmp_path / "a.db")) as db:
        assert open_log(db).signer.public_key == new.public_key


def test_an_interrupted_rotation_is_finished_or_abandoned(tmp_path: Path) -> None:
    with open_database(str(tmp_path / "a.db")) as db:
        log = open_log(db)
        old = log.signer
        assert old is not None
        pending = tmp_path / "a.db.key.new"
        # Crash after writing the new key but before the log entry: abandoned.
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Signer.generate().to_pem())
        assert open_log(db).signer.public_key == old.public_key
        assert not pending.exists()
        # Crash after the log entry but before the key file was replaced: finished.
        new = Signer.generate()
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(new.to_pem())
        log.rotate_key(new)
        assert open_log(db).signer.public_key == new.public_key
        assert not pending.exists()


@pytest.mark.postgres
def test_postgres_needs_a_key_dir(tmp_path: Path, postgres_url: str) -> None:
    schema = f"test_keys_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    db = PostgresDatabase(postgres_url, schema=schema)
    try:
        with pytest.raises(InvalidInput, match="--key-dir"):
            open_log(db)
        log = open_log(db, tmp_path)
        key_file = tmp_path / f"deconflict-ledger-{schema}.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        log.append([{"kind": "note", "party": "blue"}])
        log.sign_head()
        assert verify_store(db.ledger).tree_size == 1
    finally:
        db.drop_schema()
        db.close()


def test_a_running_log_signs_on_with_the_key_another_process_rotated_to(tmp_path: Path) -> None:
    path = str(tmp_path / "a.db")
    with open_database(path) as db_a, open_database(path) as db_b:
        a, b = open_log(db_a), open_log(db_b)
        old = a.signer
        assert old is not None
        b.append([{"kind": "note", "party": "blue"}])
        rotate_key(a, db_a)
        new = load_signer(tmp_path / "a.db.key")
        signed = b.sign_head()  # b still held the retired key: it takes the new one
        assert signed.public_key == new.public_key
        assert b.signer is not None and b.signer.public_key == new.public_key
        # Between the rotation entry and the key file's replacement, the new key is
        # still in the pending file: found there too.
        newer = Signer.generate()
        write_key(tmp_path / "a.db.key.new", newer)
        a.rotate_key(newer)
        assert b.sign_head().public_key == newer.public_key
        assert verify_store(db_b.ledger, old.public_key).tree_size == 3


def test_a_running_log_whose_key_was_retired_and_is_gone_refuses_to_sign(tmp_path: Path) -> None:
    path = str(tmp_path / "a.db")
    with open_database(path) as db_a, open_database(path) as db_b:
        a, b = open_log(db_a), open_log(db_b)
        a.rotate_key(Signer.generate())  # the new key is kept nowhere b can find it
        with pytest.raises(Forbidden, match="retired key"):
            b.sign_head()
        with pytest.raises(Forbidden, match="retired key"):
            rotate_key(b, db_b)
        assert not (tmp_path / "a.db.key.new").exists()
