"""``deconflict log`` and ``verify`` on missing, broken or unreachable logs: exit 1 or 2
with one message, never a traceback, and nothing created by a command that only reads."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from deconflict.cli import main
from deconflict.store import open_database
from deconflict.store.keys import KEY_DIR_ENV, open_log

READING = [
    ["log", "key"],
    ["log", "head"],
    ["log", "export"],
    ["log", "receipt", "0"],
    ["log", "consistency", "--from", "0"],
    ["log", "rotate-key"],
]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2"


@pytest.fixture(autouse=True)
def _no_key_dir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_DIR_ENV, raising=False)


def fails(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 2) -> str:
    """Run the command line in this process: it must return ``status`` with one message.

    A foreign exception (sqlite3, psycopg, OSError, KeyError...) escaping ``main``
    fails the test here.
    """
    got = main(list(argv))
    out, err = capsys.readouterr()
    assert (got, out) == (status, ""), err
    assert err.startswith(f"deconflict {argv[0]}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def ops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A SQLite log of three entries."""
    db = tmp_path / "ops.db"
    for i in range(3):
        assert main(["log", "append", "--db", str(db), "--party", "b", "--kind", f"k{i}"]) == 0
    capsys.readouterr()
    return db


@pytest.mark.parametrize("argv", READING, ids=lambda a: " ".join(a))
def test_reading_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    missing = tmp_path / "mistyped.db"
    err = fails(capsys, *argv, "--db", str(missing))
    assert str(missing) in err
    assert list(tmp_path.iterdir()) == []


def test_verify_of_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fails(capsys, "verify", str(tmp_path / "mistyped.db"))
    assert list(tmp_path.iterdir()) == []


def test_append_creates_the_database_and_its_key(ops: Path) -> None:
    assert ops.is_file()
    assert (ops.parent / "ops.db.key").is_file()


def test_log_key_prints_the_current_key_without_the_key_file(
    ops: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["log", "key", "--db", str(ops)]) == 0
    key = capsys.readouterr().out.strip()
    (ops.parent / "ops.db.key").rename(ops.parent / "elsewhere.key")
    assert main(["log", "key", "--db", str(ops)]) == 0
    assert capsys.readouterr().out.strip() == key
    err = fails(capsys, "log", "head", "--db", str(ops))
    assert "missing" in err


@pytest.mark.parametrize(
    "content",
    [b"not a database at all\n" * 50, b"SQLite format 3\x00" + bytes(range(256)) * 64],
    ids=["text", "garbage-after-header"],
)
def test_a_file_that_is_not_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    fails(capsys, "log", "export", "--db", str(path))
    fails(capsys, "log", "append", "--db", str(path), "--party", "b", "--kind", "k")
    if content.startswith(b"SQLite"):
        fails(capsys, "verify", str(path))
    else:
        # read as an export: not JSON
        fails(capsys, "verify", str(path), "--trust-embedded-key", status=1)


def test_a_truncated_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.db"
    with open_database(str(path)) as db:
        log = open_log(db)
        log.append([{"kind": "note", "party": "b", "text": "x" * 200} for _ in range(3000)])
        log.sign_head()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    status = main(["verify", str(path)])
    out, err = capsys.readouterr()
    assert status in (1, 2), (status, out, err)
    assert err.startswith("deconflict verify: ") and "Traceback" not in err


def test_broken_places_for_the_database_and_the_key(
    ops: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    append = ["log", "append", "--party", "b", "--kind", "k"]
    fails(capsys, *append, "--db", str(tmp_path))  # a directory
    fails(capsys, *append, "--db", str(tmp_path / "no" / "such" / "dir" / "x.db"))
    fails(capsys, *append, "--db", str(tmp_path / "new.db"), "--key-dir", str(ops))  # a file
    key = ops.parent / "ops.db.key"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
    assert "damaged" in fails(capsys, "log", "head", "--db", str(ops))
    key.unlink()
    key.mkdir()
    fails(capsys, "log", "head", "--db", str(ops))


def test_bad_requests_on_a_good_log(
    ops: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(ops)
    fails(capsys, "log", "receipt", "--db", db, "99")
    fails(capsys, "log", "consistency", "--db", db, "--from", "1", "--to", "99")
    fails(capsys, "log", "export", "--db", db, "--output", str(tmp_path / "no" / "e.jsonl"))
    (tmp_path / "receipt-dir").mkdir()
    fails(capsys, "verify-receipt", str(tmp_path / "receipt-dir"), "--against", db)
    assert main(["verify", db]) == 0
    assert json.loads(json.loads(capsys.readouterr().out)["sth"])["tree_size"] == 3


def test_an_unreachable_postgres_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = str(tmp_path)
    err = fails(capsys, "log", "append", "--db", UNREACHABLE, "--key-dir", keys,
                "--party", "b", "--kind", "k")  # fmt: skip
    assert "PostgreSQL" in err
    fails(capsys, "log", "export", "--db", UNREACHABLE, "--key-dir", keys)
    fails(capsys, "verify", UNREACHABLE)
