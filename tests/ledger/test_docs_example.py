"""Every value of the worked example in docs/ledger.md, checked against the code."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deconflict.ledger import (
    LogVerifier,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_export,
    verify_inclusion,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def block(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"no {language} block in {DOC}"
    return match.group(1)


def named(name: str) -> bytes:
    pattern = rf"\b{name}\s+=\s+(?:node_hash\([^)]*\)\s+=\s+)?([0-9a-f]{{64}})"
    match = re.search(pattern, DOC.read_text(encoding="utf-8"))
    assert match, name
    return bytes.fromhex(match.group(1))


def test_worked_example_export_verifies_with_the_published_key() -> None:
    lines = [line.encode() for line in block("jsonl").splitlines()]
    key = base64.b64decode("A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=")
    head = verify_export(lines, LogVerifier(key))
    assert head.tree_size == 3
    assert head.root_hash == named("root3")


def test_worked_example_hashes_and_proofs() -> None:
    text = DOC.read_text(encoding="utf-8")
    leaves = [m.group(1).encode() for m in re.finditer(r"leaf \d \((?:\d+) bytes\):\n(.*)\n", text)]
    assert len(leaves) == 3
    for i, leaf in enumerate(leaves):
        assert f"leaf {i} ({len(leaf)} bytes)" in text
        assert hashlib.sha256(b"\x00" + leaf).digest() == leaf_hash(leaf) == named(f"h{i}")
    h0, h1, h2 = (named(f"h{i}") for i in range(3))
    assert node_hash(h0, h1) == named("n01")
    root3 = named("root3")
    assert node_hash(named("n01"), h2) == root3
    assert inclusion_ranges(0, 3) == [(1, 2), (2, 3)]
    verify_inclusion(h0, 0, 3, [h1, h2], root3)
    verify_inclusion(h2, 2, 3, [named("n01")], root3)
    verify_consistency(2, 3, named("n01"), root3, [h2])
    verify_consistency(1, 3, h0, root3, [h1, h2])


def test_the_independent_python_sketch_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "example.jsonl").write_text(block("jsonl"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    exec(compile(block("python"), "docs/ledger.md", "exec"), {})
    assert capsys.readouterr().out.startswith("verified {'root_hash': '25912d92")


README = DOC.parents[1] / "README.md"


def _sh_block(text: str, containing: str) -> str:
    for body in re.findall(r"```sh\n(.*?)```", text, re.S):
        if containing in body:
            return str(body)
    raise AssertionError(f"no sh block with {containing!r}")


def _run_documented(block: str, cwd: Path, replace: dict[str, str] | None = None) -> list[str]:
    """Run each command of a documented sh block in ``cwd``; each must exit as its comment
    says (``exit N``), else 0. Returns what the commands printed on stderr."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    errors = []
    for line in block.replace("\\\n", " ").splitlines():
        code, _, comment = line.partition("#")
        code = code.strip()
        if not code or code.startswith("cd "):
            continue
        for old, new in (replace or {}).items():
            code = code.replace(old, new)
        wanted = re.search(r"exit (\d)", comment)
        done = subprocess.run(code, shell=True, cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == (int(wanted.group(1)) if wanted else 0), (code, done.stderr)
        errors.append(done.stderr)
    return errors


def test_the_readme_ledger_commands_do_what_they_say(tmp_path: Path) -> None:
    block = _sh_block(README.read_text(encoding="utf-8"), "deconflict log append")
    assert "deconflict verify export.jsonl --public-key service.pub" in block
    errors = _run_documented(block, tmp_path)
    assert errors[-1].startswith("deconflict verify: entry 0: ")


def test_the_readme_replay_report_verifies_with_its_key(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    block = _sh_block(text, "--report aar/")
    lines = [x for x in block.splitlines() if "--report aar/" in x or "verify aar/" in x]
    assert len(lines) == 2, lines
    examples = str(DOC.parents[1] / "examples")
    _run_documented("\n".join(lines), tmp_path, {"examples": examples})
    assert (tmp_path / "aar" / "public-key.txt").is_file()
