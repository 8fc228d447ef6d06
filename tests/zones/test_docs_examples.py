"""The commands shown in docs/zones.md and the README print exactly the output shown
there, and the Python shown in docs/zones.md runs."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import pytest

from deconflict.cli import main

ROOT = Path(__file__).parents[2]


def examples(text: str) -> list[tuple[list[str], str]]:
    """(argv, expected stdout) of each ``deconflict check`` sh block and the block after it."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S)
    out = []
    for (lang, body), (_, shown) in itertools.pairwise(blocks):
        if lang == "sh" and "deconflict check" in body:
            argv = shlex.split(body.replace("\\\n", " "))
            out.append((argv[argv.index("check") :], shown))
    return out


@pytest.mark.parametrize("doc", ["docs/zones.md", "README.md"])
def test_documented_output_is_real(doc, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    found = examples((ROOT / doc).read_text())
    assert found, f"no deconflict check example in {doc}"
    for argv, shown in found:
        assert main(argv) == 0
        assert capsys.readouterr().out == shown


def test_documented_python_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs/zones.md").read_text(), re.S)
    assert len(blocks) == 2
    scopes: list[dict] = []
    for code in blocks:
        scopes.append({})
        exec(compile(code, "docs/zones.md", "exec"), scopes[-1])
    a = scopes[0]["a"]
    assert a.kind == "intent-overlap" and a.key == "intent-overlap|coal-dez-cas|ru-dez-cap"
    assert (a.details["start_s"], a.details["end_s"]) == (1497945600.0, 1497951000.0)
    assert a.details["alt_min_m"] == 5000.0
    assert len(scopes[1]["e"]) == 5
