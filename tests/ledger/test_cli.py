"""``deconflict log ...``, ``deconflict verify`` and ``verify-receipt`` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from deconflict.cli import main
from deconflict.ledger.signing import Signer, b64encode
from deconflict.store.keys import KEY_DIR_ENV
from deconflict.store.postgres import PostgresDatabase

if TYPE_CHECKING:
    from conftest import PostgresForTests


TRUST = "--trust-embedded-key"
"""For the checks of an export's integrity alone (whose key it is does not matter there)."""


@pytest.fixture(autouse=True)
def _no_key_dir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_DIR_ENV, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def logged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A SQLite log of six entries, exported to export.jsonl; the first receipt kept."""
    db = str(tmp_path / "ops.db")
    for i in range(6):
        status, out, _ = run(
            capsys, "log", "append", "--db", db, "--party", ("blue", "red")[i % 2],
            "--kind", "phone-call", "--text", f"call {i}: hold fire north of the bridge",
        )  # fmt: skip
        assert status == 0
        if i == 0:
            (tmp_path / "receipt.json").write_text(out)
    status, out, _ = run(capsys, "log", "export", "--db", db)
    assert status == 0
    (tmp_path / "export.jsonl").write_text(out)
    return tmp_path


def test_append_prints_a_receipt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "ops.db")
    status, out, _ = run(
        capsys, "log", "append", "--db", db, "--party", "blue", "--kind", "message", "--text", "ok"
    )
    assert status == 0
    receipt = json.loads(out)
    assert receipt["index"] == 0
    entry = json.loads(receipt["leaf"])
    assert (entry["kind"], entry["party"], entry["text"]) == ("message", "blue", "ok")
    assert json.loads(receipt["sth"])["tree_size"] == 1
    assert (tmp_path / "ops.db.key").is_file()


def test_append_rejects_reserved_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "ops.db")
    status, out, err = run(
        capsys, "log", "append", "--db", db, "--party", "x", "--kind", "key-rotation"
    )
    assert status == 2
    assert out == ""
    assert "key rotations" in err


def test_export_format(logged: Path) -> None:
    lines = (logged / "export.jsonl").read_text().splitlines()
    assert len(lines) == 7
    for i, line in enumerate(lines[:-1]):
        obj = json.loads(line)
        assert list(obj) == ["index", "leaf"]
        assert obj["index"] == i
        assert json.loads(obj["leaf"])["index"] == i
    last = json.loads(lines[-1])
    assert list(last) == ["sth", "signature", "public_key"]
    assert json.loads(last["sth"])["tree_size"] == 6


def test_verify_an_intact_export_and_store(
    logged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, key, _ = run(capsys, "log", "key", "--db", str(logged / "ops.db"))
    export = str(logged / "export.jsonl")
    status, out, err = run(capsys, "verify", export, "--public-key", key.strip())
    assert (status, err) == (0, "")
    head = json.loads(json.loads(out)["sth"])
    assert head["tree_size"] == 6
    status, out, _ = run(capsys, "verify", str(logged / "ops.db"))
    assert status == 0
    assert json.loads(json.loads(out)["sth"])["root_hash"] == head["root_hash"]


def test_verify_refuses_an_export_checked_only_against_its_own_key(
    logged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = str(logged / "export.jsonl")
    status, out, err = run(capsys, "verify", export)
    assert (status, out) == (2, "")
    assert "--public-key" in err and "--state" in err and "--trust-embedded-key" in err
    status, out, _ = run(capsys, "verify", export, TRUST)
    assert status == 0
    assert json.loads(json.loads(out)["sth"])["tree_size"] == 6
    # a key that is not the log's is refused, whatever key the export carries
    other = b64encode(Signer.generate().public_key)
    status, _, err = run(capsys, "verify", export, "--public-key", other)
    assert status == 1
    assert "not the log's key" in err
    # the key may be given as the file `deconflict log key` wrote
    _, key, _ = run(capsys, "log", "key", "--db", str(logged / "ops.db"))
    (logged / "service.pub").write_text(key)
    status, _, _ = run(capsys, "verify", export, "--public-key", str(logged / "service.pub"))
    assert status == 0
    (logged / "junk.pub").write_text("not a key\n")
    status, _, err = run(capsys, "verify", export, "--public-key", str(logged / "junk.pub"))
    assert status == 2
    assert "--public-key" in err
    status, _, err = run(capsys, "verify", export, "--state", str(logged / "no-witness"))
    assert status == 2
    assert "no witness state" in err


def _tampered(logged: Path, how: str) -> Path:
    raw = (logged / "export.jsonl").read_bytes()
    lines = raw.splitlines(keepends=True)
    if how == "changed byte":
        i = lines[3].index(b"hold fire")
        lines[3] = lines[3][:i] + b"H" + lines[3][i + 1 :]
    elif how == "changed hash byte":
        i = lines[2].index(b"prev_hash") + 20
        digit = b"0" if lines[2][i : i + 1] != b"0" else b"1"
        lines[2] = lines[2][:i] + digit + lines[2][i + 1 :]
    elif how == "dropped line":
        del lines[2]
    elif how == "swapped lines":
        lines[4], lines[5] = lines[5], lines[4]
    elif how == "truncated file":
        lines = [b"".join(lines)[: len(b"".join(lines[:5])) + 30]]
    elif how == "truncated at a line":
        lines = lines[:5]
    path = logged / f"{how.replace(' ', '-')}.jsonl"
    path.write_bytes(b"".join(lines))
    return path


@pytest.mark.parametrize(
    ("how", "entry"),
    [
        ("changed byte", 3),
        ("changed hash byte", 2),
        ("dropped line", 2),
        ("swapped lines", 4),
        ("truncated file", 5),
        ("truncated at a line", 5),
    ],
)
def test_verify_names_the_first_bad_entry(
    logged: Path, capsys: pytest.CaptureFixture[str], how: str, entry: int
) -> None:
    status, out, err = run(capsys, "verify", str(_tampered(logged, how)), TRUST)
    assert status == 1
    assert out == ""
    assert err.startswith(f"deconflict verify: entry {entry}: ")


def test_verify_catches_a_bad_signature(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (logged / "export.jsonl").read_text().splitlines()
    head = json.loads(lines[-1])
    sig = head["signature"]
    head["signature"] = ("B" if sig[0] != "B" else "C") + sig[1:]
    lines[-1] = json.dumps(head)
    (logged / "bad.jsonl").write_text("\n".join(lines) + "\n")
    status, _, err = run(capsys, "verify", str(logged / "bad.jsonl"), TRUST)
    assert status == 1
    assert "tree head: signature does not verify" in err


def test_verify_receipt(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    receipt, export = str(logged / "receipt.json"), str(logged / "export.jsonl")
    status, out, _ = run(capsys, "verify-receipt", receipt, "--against", export)
    assert status == 0
    result = json.loads(out)
    assert (result["index"], result["receipt_tree_size"], result["tree_size"]) == (0, 1, 6)
    status, _, err = run(
        capsys, "verify-receipt", receipt, "--against", str(_tampered(logged, "changed byte"))
    )
    assert status == 1
    assert "entry 3" in err


def test_rotate_key_then_verify(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(logged / "ops.db")
    _, old_key, _ = run(capsys, "log", "key", "--db", db)
    status, out, _ = run(capsys, "log", "rotate-key", "--db", db)
    assert status == 0
    rotation = json.loads(json.loads(out)["leaf"])
    assert rotation["kind"] == "key-rotation"
    _, new_key, _ = run(capsys, "log", "key", "--db", db)
    assert new_key != old_key
    assert rotation["public_key"] == new_key.strip()
    status, out, _ = run(capsys, "log", "export", "--db", db, "--output", str(logged / "e2.jsonl"))
    assert (status, out) == (0, "")
    status, out, _ = run(
        capsys, "verify", str(logged / "e2.jsonl"), "--public-key", old_key.strip()
    )
    assert status == 0
    assert json.loads(out)["public_key"] == new_key.strip()
    # The receipt signed by the retired key still proves its entry.
    receipt, export = str(logged / "receipt.json"), str(logged / "e2.jsonl")
    status, _, _ = run(capsys, "verify-receipt", receipt, "--against", export)
    assert status == 0


def test_head_and_consistency(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(logged / "ops.db")
    status, out, _ = run(capsys, "log", "head", "--db", db)
    assert status == 0
    assert json.loads(json.loads(out)["sth"])["tree_size"] == 6
    status, out, _ = run(capsys, "log", "consistency", "--db", db, "--from", "3")
    assert status == 0
    proof = json.loads(out)
    assert (proof["old_size"], proof["new_size"]) == (3, 6)
    assert len(proof["consistency_proof"]) >= 1


def test_verify_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "verify", str(tmp_path / "nope.jsonl"))
    assert status == 2
    assert "neither" in err
    status, _, err = run(capsys, "log", "export", "--db", str(tmp_path / "none.db"))
    assert status == 2
    assert not (tmp_path / "none.db").exists()


def test_verify_as_a_subprocess(logged: Path) -> None:
    exe = Path(sys.executable).parent / "deconflict"
    ok = subprocess.run(
        [str(exe), "verify", str(logged / "export.jsonl"), TRUST], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [str(exe), "verify", str(_tampered(logged, "swapped lines")), TRUST],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.startswith("deconflict verify: entry 4: ")


@pytest.mark.postgres
def test_cli_on_postgres(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres: PostgresForTests
) -> None:
    schema = f"test_cli_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    db = PostgresDatabase(postgres.url, schema=schema)
    url = postgres.url_with(options=f"-csearch_path={schema}")
    keys = str(tmp_path / "keys")
    try:
        status, _, err = run(capsys, "log", "append", "--db", url, "--party", "b", "--kind", "k")
        assert status == 2
        assert "--key-dir" in err
        for i in range(3):
            status, _, _ = run(
                capsys, "log", "append", "--db", url, "--key-dir", keys,
                "--party", "blue", "--kind", "message", "--text", str(i),
            )  # fmt: skip
            assert status == 0
        status, out, _ = run(capsys, "log", "export", "--db", url, "--key-dir", keys)
        assert status == 0
        (tmp_path / "e.jsonl").write_text(out)
        status, out, _ = run(capsys, "verify", url)
        assert status == 0
        assert json.loads(json.loads(out)["sth"])["tree_size"] == 3
        status, _, _ = run(capsys, "verify", str(tmp_path / "e.jsonl"), TRUST)
        assert status == 0
    finally:
        db.drop_schema()
        db.close()


def test_concurrent_appends_from_several_processes(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "deconflict"
    db = str(tmp_path / "ops.db")
    script = (
        f'for i in 1 2 3 4 5; do "{exe}" log append --db "{db}" --party "p$1" '
        f'--kind message --text "$i" > /dev/null || exit 1; done'
    )
    procs = [
        subprocess.Popen(["sh", "-c", script, "sh", str(n)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    ok = subprocess.run([str(exe), "verify", db], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(json.loads(ok.stdout)["sth"])["tree_size"] == 20
