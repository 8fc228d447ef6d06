"""The pure core (geo, model, every detector, alerts, disclosure, every ledger module)
loads no adapter, store, command line or web module, and no module of the package
imports itself back through a cycle."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import deconflict
import deconflict.detect
import deconflict.ledger

SRC = Path(deconflict.__file__).parent


def modules_of(package: object) -> list[str]:
    path = package.__path__  # type: ignore[attr-defined]
    prefix = package.__name__ + "."  # type: ignore[attr-defined]
    return sorted(m.name for m in pkgutil.iter_modules(path, prefix))


CORE = [
    "deconflict.geo",
    "deconflict.model",
    "deconflict.errors",
    "deconflict.alerts",
    "deconflict.disclosure",
    *modules_of(deconflict.detect),
    *modules_of(deconflict.ledger),
]
FORBIDDEN = (
    "deconflict.store",
    "deconflict.commands",
    "deconflict.cli",
    "deconflict.api",
    "deconflict.service",
    "deconflict.web",
    "deconflict.features",
    "deconflict.trackio",
    "deconflict.csvtable",
    "sqlite3",
    "psycopg",
    "fastapi",
    "argparse",
)


def test_core_covers_every_detector_and_ledger_module() -> None:
    for name in ("zones", "intents", "strikes", "borders", "separation", "areas", "frames"):
        assert f"deconflict.detect.{name}" in CORE
    for name in ("log", "tree", "proofs", "verify", "signing"):
        assert f"deconflict.ledger.{name}" in CORE


def forbidden_loaded(modules: list[str]) -> list[str]:
    """The forbidden modules loaded, in a fresh interpreter, by importing ``modules``."""
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"forbidden = {FORBIDDEN!r}\n"
        + "print(json.dumps(sorted(m for m in sys.modules "
        + "if m in forbidden or m.startswith(tuple(f + '.' for f in forbidden)))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def test_core_loads_no_adapter() -> None:
    assert forbidden_loaded(CORE) == []


def test_the_check_sees_forbidden_modules() -> None:
    assert "argparse" in forbidden_loaded(["deconflict.commands.check"])
    assert forbidden_loaded(["deconflict.features"]) == ["deconflict.features"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> modules of the package it imports, from the source (every import
    statement, at any depth, ``TYPE_CHECKING`` and function-level ones included)."""
    files = {module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        is_package = path.name == "__init__.py"
        base = mod.split(".") if is_package else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base[: len(base) - node.level + 1]
                    source = ".".join([*anchor, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                for a in node.names:
                    sub = f"{source}.{a.name}"
                    targets.append(sub if sub in files else source)
            for t in targets:
                if t in files and t != mod:
                    graph[mod].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert "deconflict.model" in graph["deconflict.detect.zones"]
    assert "deconflict.commands" in graph["deconflict.cli"]
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
