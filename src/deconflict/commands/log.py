"""``deconflict log``: append to, export, sign and rotate the key of the tamper-evident log.

Only ``log append`` creates a database (and its signing key) that does not exist yet;
every other action needs an existing log and exits 2 naming what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from ..errors import InvalidInput
from ..ledger.log import PUBLIC_KEY_META, Log
from ..ledger.signing import b64encode
from ..store import Database, open_database
from ..store.keys import KEY_DIR_ENV, open_log, rotate_key

__all__ = ["register"]


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def _with_log(
    args: argparse.Namespace, action: Callable[[Log, Database], int], *, create: bool = False
) -> int:
    """Open ``--db`` and its log (creating neither unless ``create``), run ``action``."""
    with open_database(args.db, create=create) as db:
        log = open_log(db, args.key_dir, create_key=create)
        return action(log, db)


def _append(args: argparse.Namespace) -> int:
    entry: dict[str, Any] = {"kind": args.kind, "party": args.party}
    if args.text is not None:
        entry["text"] = args.text

    def run(log: Log, db: Database) -> int:
        (appended,) = log.append([entry])
        _print_json(log.receipt(appended.index).to_dict())
        return 0

    return _with_log(args, run, create=True)


def _export(args: argparse.Namespace) -> int:
    def run(log: Log, db: Database) -> int:
        out = sys.stdout if args.output in (None, "-") else None
        if out is not None:
            for line in log.export_lines():
                out.write(line + "\n")
            return 0
        tmp = args.output + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                for line in log.export_lines():
                    f.write(line + "\n")
            os.replace(tmp, args.output)
        except OSError as exc:
            raise InvalidInput(f"--output: cannot write {args.output!r}: {exc.strerror}") from exc
        return 0

    return _with_log(args, run)


def _head(args: argparse.Namespace) -> int:
    def run(log: Log, db: Database) -> int:
        print(log.head().to_line())
        return 0

    return _with_log(args, run)


def _key(args: argparse.Namespace) -> int:
    with open_database(args.db, create=False) as db:
        published = db.ledger.get_meta(PUBLIC_KEY_META)
        if published is None:  # a log that never signed: its key file names it
            signer = open_log(db, args.key_dir, create_key=False).signer
            assert signer is not None
            published = b64encode(signer.public_key)
    print(published)
    return 0


def _rotate(args: argparse.Namespace) -> int:
    def run(log: Log, db: Database) -> int:
        appended = rotate_key(log, db, args.key_dir)
        _print_json(log.receipt(appended.index).to_dict())
        return 0

    return _with_log(args, run)


def _receipt(args: argparse.Namespace) -> int:
    def run(log: Log, db: Database) -> int:
        _print_json(log.receipt(args.index).to_dict())
        return 0

    return _with_log(args, run)


def _consistency(args: argparse.Namespace) -> int:
    def run(log: Log, db: Database) -> int:
        new_size = log.size if args.to is None else args.to
        if not 0 <= args.old <= new_size:
            raise InvalidInput(f"--from {args.old} is not between 0 and {new_size}")
        _print_json(
            {
                "old_size": args.old,
                "new_size": new_size,
                "old_root": log.root(args.old).hex(),
                "new_root": log.root(new_size).hex(),
                "consistency_proof": [h.hex() for h in log.consistency_proof(args.old, new_size)],
            }
        )
        return 0

    return _with_log(args, run)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "log",
        help="append to, export and sign the tamper-evident log",
        description=(
            "The append-only log of every submission, alert, notification, ack and channel "
            "change. Entries are hashed into an RFC 9162 Merkle tree whose heads the "
            "service signs with Ed25519 (format: docs/ledger.md)."
        ),
    )
    commands = p.add_subparsers(dest="log_command", metavar="ACTION", required=True)

    def add(name: str, help_: str, func: Callable[[argparse.Namespace], int]) -> Any:
        c = commands.add_parser(name, help=help_, description=help_)
        c.add_argument(
            "--db", required=True, metavar="PATH|URL", help="SQLite file or postgresql:// URL"
        )
        c.add_argument(
            "--key-dir",
            metavar="DIR",
            default=None,
            help=(
                f"directory of the signing key (default: ${KEY_DIR_ENV}, else beside the "
                "SQLite file as PATH.key; required for PostgreSQL)"
            ),
        )
        c.set_defaults(func=func)
        return c

    c = add(
        "append",
        "record an out-of-band event (a call on the old line, a message passed by other "
        "means); prints its receipt as JSON",
        _append,
    )
    c.add_argument("--party", required=True, help="the party it comes from or concerns")
    c.add_argument("--kind", required=True, help="what it is (e.g. phone-call, message)")
    c.add_argument("--text", default=None, help="free text")

    c = add(
        "export",
        "write the log as JSON lines: one {index, leaf} per entry, then the signed tree head",
        _export,
    )
    c.add_argument("--output", "-o", default=None, metavar="FILE", help="file (default stdout)")

    add("head", "print a signed tree head covering the whole log", _head)
    add("key", "print the log's current public key (base64)", _key)
    add(
        "rotate-key",
        "replace the signing key; the rotation entry is signed by the old key",
        _rotate,
    )
    c = add("receipt", "print the receipt of an entry under the current tree head", _receipt)
    c.add_argument("index", type=int, metavar="INDEX", help="the entry's index")
    c = add("consistency", "print a consistency proof between two tree sizes", _consistency)
    c.add_argument("--from", dest="old", type=int, required=True, metavar="M", help="old size")
    c.add_argument("--to", type=int, default=None, metavar="N", help="new size (default: all)")
