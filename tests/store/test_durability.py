"""What makes a write survive a crash: SQLite's sync level, fsyncs of the key directory."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from deconflict.ledger import Signer
from deconflict.store import open_database
from deconflict.store.keys import KEY_DIR_ENV, open_log, rotate_key, write_key
from deconflict.store.sqlite import SQLiteDatabase


@pytest.fixture(autouse=True)
def _no_key_dir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_DIR_ENV, raising=False)


def test_sqlite_commits_are_synced_in_full(tmp_path: Path) -> None:
    with SQLiteDatabase(tmp_path / "a.db") as db, db.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


class FsyncRecorder:
    """Records, for each fsync, whether it synced a directory and which files it then held."""

    def __init__(self, watched: Path) -> None:
        self.watched = watched
        self.calls: list[tuple[bool, frozenset[str]]] = []

    def dir_syncs(self) -> list[frozenset[str]]:
        """The directory's contents at each fsync of the directory itself."""
        return [names for is_dir, names in self.calls if is_dir]


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FsyncRecorder]:
    recorder = FsyncRecorder(tmp_path)
    real = os.fsync

    def fsync(fd: int) -> None:
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        names = frozenset(p.name for p in recorder.watched.iterdir()) if is_dir else frozenset()
        recorder.calls.append((is_dir, names))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    yield recorder


def test_a_new_key_file_is_synced_with_its_directory(tmp_path: Path, fsyncs: FsyncRecorder) -> None:
    write_key(tmp_path / "k.key", Signer.generate(), exclusive=True)
    assert any("k.key" in names for names in fsyncs.dir_syncs())
    fsyncs.calls.clear()
    write_key(tmp_path / "k.key", Signer.generate())
    assert any("k.key" in names for names in fsyncs.dir_syncs())


def test_the_key_created_at_open_and_the_rotated_key_are_synced_in_place(
    tmp_path: Path, fsyncs: FsyncRecorder
) -> None:
    with open_database(str(tmp_path / "a.db")) as db:
        log = open_log(db)
        synced = fsyncs.dir_syncs()
        assert synced and "a.db.key" in synced[-1]
        fsyncs.calls.clear()
        rotate_key(log, db)
        synced = fsyncs.dir_syncs()
        # The last sync comes after the new key replaced the old one (no .new left).
        assert synced and "a.db.key" in synced[-1] and "a.db.key.new" not in synced[-1]
