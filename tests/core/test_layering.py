"""Every layer imports only downwards (docs/design.md, *Layering*).

Two checks. The source: every import statement of every module of the package (at any
depth, ``TYPE_CHECKING`` and function-level ones included) is held against the rule of
its layer, and the import graph has no cycle. What is loaded: importing every module of
the pure core, of the service and of the feeds in a fresh interpreter loads none of the
modules their layer may not use (a lazy import inside a function is allowed there, as
``Tracks.from_csv`` reading through ``csvtable``, but not at import time)."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import deconflict
import deconflict.detect
import deconflict.feeds
import deconflict.ledger
import deconflict.service

SRC = Path(deconflict.__file__).parent

CORE_LAYERS = frozenset(
    {
        "geo",
        "model",
        "movement",
        "errors",
        "detect",
        "alerts",
        "disclosure",
        "bounds",
        "ledger",
        "entropy",
        "timefmt",
        "csvtable",
        "kinds",
    }
)
"""The pure core: records, geometry, detectors, the disclosure rule, bounds, the ledger."""
ADAPTERS = frozenset({"store", "features", "trackio", "zoneformats"})
"""Below the service, above the core they serve."""
UPPER = frozenset({"service", "api", "cluster", "scenario", "feeds", "web", "commands", "cli"})

RULES: dict[str, frozenset[str]] = {
    **{core: ADAPTERS | UPPER for core in CORE_LAYERS},
    **{adapter: UPPER for adapter in ADAPTERS},
    "service": UPPER - {"service"},
    "api": frozenset({"cluster", "scenario", "feeds", "commands", "cli"}),
    # the service's transport between processes: above the service and the API
    "cluster": frozenset({"scenario", "feeds", "commands", "cli"}),
    "scenario": frozenset({"api", "feeds", "commands", "cli"}),
    "feeds": frozenset({"store", "service", "api", "scenario", "commands", "cli"}),
    "commands": frozenset({"cli"}),
    "cli": frozenset(),
    "web": CORE_LAYERS | ADAPTERS | UPPER,
    "": frozenset({"store", *UPPER}),
}
"""Layer -> the layers it may never import. A layer is the first name under
``deconflict`` (``""`` is the package itself, whose lazy names are core and adapters;
``web`` holds the page's static files, no code)."""


def modules_of(package: object) -> list[str]:
    path = package.__path__  # type: ignore[attr-defined]
    prefix = package.__name__ + "."  # type: ignore[attr-defined]
    return sorted(m.name for m in pkgutil.iter_modules(path, prefix))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    """``deconflict.detect.zones`` -> ``detect``; ``deconflict`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


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


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Each import that goes against :data:`RULES`, as ``importer -> imported``."""
    return sorted(
        f"{mod} -> {target}"
        for mod, targets in graph.items()
        for target in targets
        if layer_of(target) in RULES[layer_of(mod)]
    )


def test_every_module_has_a_layer() -> None:
    unknown = sorted(m for m in import_graph() if layer_of(m) not in RULES)
    assert unknown == [], f"modules outside every layer of RULES: {unknown}"
    assert set(RULES) == CORE_LAYERS | ADAPTERS | UPPER | {""}


def test_every_layer_imports_only_downwards() -> None:
    assert violations(import_graph()) == []


def test_the_rules_say_what_design_says() -> None:
    core = ["geo", "model", "detect", "alerts", "disclosure", "bounds", "ledger"]
    for name in core:  # the pure core imports no web, store or command line code
        assert {"store", "api", "web", "commands", "cli", "service"} <= RULES[name], name
    assert {"features", "store"} <= RULES["detect"]
    assert "api" in RULES["service"] and "commands" in RULES["service"]
    assert {"service", "api"} <= RULES["feeds"]
    assert {"commands", "cli"} <= RULES["api"]
    assert "cluster" in RULES["service"] and "cluster" in RULES["api"]
    assert RULES["cli"] == frozenset() and RULES["commands"] == {"cli"}


def test_the_rules_catch_an_upward_import() -> None:
    graph = {
        "deconflict.service.core": {"deconflict.api.app", "deconflict.model"},
        "deconflict.detect.zones": {"deconflict.features"},
        "deconflict.feeds.run": {"deconflict.service.core", "deconflict.trackio"},
        "deconflict.api.app": {"deconflict.commands.serve", "deconflict.service.core"},
        "deconflict.commands.serve": {"deconflict.api.app", "deconflict.scenario.live"},
    }
    assert violations(graph) == [
        "deconflict.api.app -> deconflict.commands.serve",
        "deconflict.detect.zones -> deconflict.features",
        "deconflict.feeds.run -> deconflict.service.core",
        "deconflict.service.core -> deconflict.api.app",
    ]


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


# -- what importing a layer loads ------------------------------------------------------

CORE = [
    "deconflict.geo",
    "deconflict.model",
    "deconflict.errors",
    "deconflict.alerts",
    "deconflict.disclosure",
    "deconflict.bounds",
    "deconflict.entropy",
    "deconflict.timefmt",
    *modules_of(deconflict.detect),
    *modules_of(deconflict.ledger),
]
WEB = ("fastapi", "starlette", "uvicorn")
"""The web server's stack (a feed may be a client of the stream: ``websockets`` is not here)."""
CLI = ("deconflict.commands", "deconflict.cli", "argparse")
CORE_MAY_NOT_LOAD = (
    "deconflict.store",
    "deconflict.api",
    "deconflict.service",
    "deconflict.scenario",
    "deconflict.feeds",
    "deconflict.web",
    "deconflict.features",
    "deconflict.trackio",
    "deconflict.csvtable",
    "sqlite3",
    "psycopg",
    "websockets",
    *WEB,
    *CLI,
)
SERVICE_MAY_NOT_LOAD = ("deconflict.api", "deconflict.scenario", "deconflict.feeds", *WEB, *CLI)
FEEDS_MAY_NOT_LOAD = (
    "deconflict.store",
    "deconflict.service",
    "deconflict.api",
    "deconflict.scenario",
    *WEB,
    *CLI,
)


def test_core_covers_every_detector_and_ledger_module() -> None:
    for name in ("zones", "intents", "strikes", "borders", "separation", "areas", "frames"):
        assert f"deconflict.detect.{name}" in CORE
    for name in ("log", "tree", "proofs", "verify", "signing"):
        assert f"deconflict.ledger.{name}" in CORE


def forbidden_loaded(modules: list[str], forbidden: tuple[str, ...]) -> list[str]:
    """The ``forbidden`` modules loaded, in a fresh interpreter, by importing ``modules``."""
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"forbidden = {forbidden!r}\n"
        + "print(json.dumps(sorted(m for m in sys.modules "
        + "if m in forbidden or m.startswith(tuple(f + '.' for f in forbidden)))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def test_core_loads_no_adapter() -> None:
    assert forbidden_loaded(CORE, CORE_MAY_NOT_LOAD) == []


def test_service_loads_no_web_and_no_command_line() -> None:
    assert forbidden_loaded(modules_of(deconflict.service), SERVICE_MAY_NOT_LOAD) == []


def test_feeds_load_no_service_and_no_store() -> None:
    assert forbidden_loaded(modules_of(deconflict.feeds), FEEDS_MAY_NOT_LOAD) == []


def test_the_check_sees_forbidden_modules() -> None:
    assert "argparse" in forbidden_loaded(["deconflict.commands.check"], CORE_MAY_NOT_LOAD)
    assert "deconflict.features" in forbidden_loaded(["deconflict.features"], CORE_MAY_NOT_LOAD)
    assert "fastapi" in forbidden_loaded(["deconflict.api.app"], SERVICE_MAY_NOT_LOAD)
