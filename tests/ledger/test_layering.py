"""The ledger is pure core: it imports nothing from the store, the API, the web or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import deconflict.ledger

FORBIDDEN = ("store", "api", "web", "cli", "commands")


def test_ledger_imports_no_adapter() -> None:
    package = Path(deconflict.ledger.__file__).parent
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                parts = module.split(".")
                if node.level >= 2 or parts[0] == "deconflict":
                    name = parts[1] if parts[0] == "deconflict" else parts[0]
                    assert name not in FORBIDDEN, f"{path.name} imports {module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    assert not (parts[0] == "deconflict" and parts[1] in FORBIDDEN), path.name
