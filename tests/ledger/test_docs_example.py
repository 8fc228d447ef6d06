"""Every value of the worked example in docs/ledger.md, checked against the code."""

from __future__ import annotations

import base64
import hashlib
import re
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
