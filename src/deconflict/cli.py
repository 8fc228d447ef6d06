"""The ``deconflict`` command line: a thin layer that parses, calls the library, maps errors.

Each subcommand lives in a module of :mod:`deconflict.commands` that defines
``register(subparsers)``; the parser it adds sets ``func(args) -> int``.

Exit status: 0 success; 1 something did not verify (:class:`VerificationError`);
2 bad input or usage (:class:`InvalidInput` and every other :class:`DeconflictError`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import __version__, commands
from .errors import DeconflictError, VerificationError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand of :mod:`deconflict.commands` (each
    module one command; a module named ``_...`` is shared by commands)."""
    parser = argparse.ArgumentParser(
        prog="deconflict",
        description="Predict conflicts between parties sharing an airspace; keep the record.",
    )
    parser.add_argument("--version", action="version", version=f"deconflict {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except VerificationError as exc:
        print(f"deconflict {args.command}: {exc}", file=sys.stderr)
        return 1
    except DeconflictError as exc:
        print(f"deconflict {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
