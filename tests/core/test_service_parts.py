"""The service is split by what it holds (docs/service.md, *Parts*): each part is a small
module with one job that knows nothing of the wiring, keeps what must survive a restart
behind its own store protocol (which the service's store satisfies), and stays within
the layering (docs/design.md): no part imports the API, the command line, the scenario
player or the feeds, and the pure core imports no part."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import deconflict
from deconflict.service.alertbook import AlertStore
from deconflict.service.channel import ChannelStore
from deconflict.service.idempotency import IdempotencyStore
from deconflict.service.messages import MessageStore
from deconflict.service.record import RecordStore
from deconflict.service.roster import PartyStore
from deconflict.store.records import ServiceStore

SRC = Path(deconflict.__file__).parent
SERVICE = SRC / "service"
WIRING = {"core", "runner"}
"""The service itself and its detection loop: what wires the parts."""
CORE_LAYERS = ("geo", "model", "errors", "detect", "alerts", "disclosure", "bounds", "ledger")
PROTOCOLS = (AlertStore, ChannelStore, IdempotencyStore, MessageStore, PartyStore, RecordStore)


def imports_of(path: Path, root: Path = SRC) -> set[str]:
    """The modules of the package (at ``root``) that ``path`` imports, as absolute names,
    from every import statement at any depth."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    base = parts[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                out.add(".".join([*anchor, *([node.module] if node.module else [])]))
                out.update(".".join([*anchor, a.name]) for a in node.names if not node.module)
            else:
                out.add(node.module or "")
    return {m for m in out if m.startswith("deconflict")}


def test_no_part_imports_the_wiring() -> None:
    parts = [p for p in SERVICE.glob("*.py") if p.stem not in WIRING | {"__init__"}]
    assert {"alertbook", "alertshape", "channel", "messages", "record", "roster"} <= {
        p.stem for p in parts
    }
    for path in parts:
        wiring = {f"deconflict.service.{w}" for w in WIRING}
        assert not imports_of(path) & wiring, f"{path.name} imports the service's wiring"


def test_the_parts_stay_in_their_layer() -> None:
    upper = ("deconflict.api", "deconflict.commands", "deconflict.cli", "deconflict.scenario")
    for path in SERVICE.glob("*.py"):
        above = sorted(m for m in imports_of(path) if m.startswith((*upper, "deconflict.feeds")))
        assert above == [], f"{path.name} imports {above}"
    for layer in CORE_LAYERS:
        paths = [*(SRC / layer).rglob("*.py")] if (SRC / layer).is_dir() else []
        paths += [SRC / f"{layer}.py"] if (SRC / f"{layer}.py").exists() else []
        for path in paths:
            service = sorted(m for m in imports_of(path) if m.startswith("deconflict.service"))
            assert service == [], f"{path.relative_to(SRC)} imports {service}"


def test_every_module_of_the_service_is_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in SERVICE.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 600} == {}


def test_the_store_keeps_what_every_part_asks_of_it() -> None:
    for protocol in PROTOCOLS:
        for name, wanted in inspect.getmembers(protocol, inspect.isfunction):
            if name.startswith("_"):
                continue
            have = getattr(ServiceStore, name, None)
            assert have is not None, f"ServiceStore has no {name} ({protocol.__name__})"
            assert list(inspect.signature(have).parameters) == list(
                inspect.signature(wanted).parameters
            ), f"ServiceStore.{name} differs from {protocol.__name__}.{name}"


def test_the_check_catches_an_import_of_the_wiring(tmp_path: Path) -> None:
    text = (SERVICE / "alertbook.py").read_text(encoding="utf-8") + "\nfrom .core import Service\n"
    probe = tmp_path / "deconflict" / "service" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(text, encoding="utf-8")
    found = imports_of(probe, tmp_path / "deconflict")
    assert "deconflict.service.core" in found and "deconflict.service.hotline" in found
