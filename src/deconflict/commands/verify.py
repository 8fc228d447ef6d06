"""``deconflict verify`` and ``deconflict verify-receipt``: check the log as any party can."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import InvalidInput, VerificationError
from ..ledger.entry import canonical_json
from ..ledger.log import verify_store
from ..ledger.receipt import Receipt, verify_receipt_against
from ..ledger.signing import b64decode
from ..ledger.verify import LogVerifier, verify_export
from ..store import is_postgres_url, open_database
from ..store.sqlite import is_sqlite_file

__all__ = ["register"]


def _trusted_key(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        key = b64decode(text, "--public-key")
    except VerificationError as exc:
        raise InvalidInput(str(exc)) from exc
    if len(key) != 32:
        raise InvalidInput("--public-key: an Ed25519 public key is 32 bytes")
    return key


@contextmanager
def _open_export(name: str) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        f = open(name, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InvalidInput(f"cannot read {name!r}: {exc.strerror}") from exc
    with f:
        yield f


def _print_verified(verifier: LogVerifier) -> None:
    if verifier.verified is not None:
        print(verifier.verified.to_line())
    else:
        print(canonical_json({"tree_size": 0, "root_hash": verifier.frontier.root().hex()}))


def _verify(args: argparse.Namespace) -> int:
    trusted = _trusted_key(args.public_key)
    verifier = LogVerifier(trusted)
    target: str = args.log
    if is_postgres_url(target) or is_sqlite_file(target):
        with open_database(target, create=False) as db:
            head = verify_store(db.ledger, verifier=verifier)
        _print_verified(verifier)
        if verifier.size > head.tree_size:
            print(
                f"note: entries {head.tree_size}..{verifier.size - 1} verify but no signed "
                "tree head covers them yet",
                file=sys.stderr,
            )
        return 0
    if target != "-" and not Path(target).is_file():
        raise InvalidInput(f"{target!r} is neither a file, a SQLite database nor a URL")
    with _open_export(target) as f:
        verify_export(f, verifier)
    _print_verified(verifier)
    return 0


def _verify_receipt(args: argparse.Namespace) -> int:
    trusted = _trusted_key(args.public_key)
    try:
        text = Path(args.receipt).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {args.receipt!r}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise VerificationError("receipt: not UTF-8") from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VerificationError(f"receipt: not JSON ({exc})") from exc
    receipt = Receipt.from_dict(obj)
    with _open_export(args.against) as f:
        head = verify_receipt_against(receipt, f, trusted)
    print(
        canonical_json(
            {
                "index": receipt.index,
                "leaf_hash": receipt.leaf_hash.hex(),
                "receipt_tree_size": receipt.signed_head.head.tree_size,
                "tree_size": head.tree_size,
                "root_hash": head.root_hash.hex(),
            }
        )
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    key_help = "pin the log's first public key (base64); default: trust the one it carries"
    p = sub.add_parser(
        "verify",
        help="check a log store or export end to end",
        description=(
            "Re-hash every entry, follow the key chain and check the signed tree heads of a "
            "log: a SQLite file, a postgresql:// URL, or an export (JSON lines; '-' reads "
            "stdin). Exit 0 printing the verified tree head; exit 1 naming the first entry "
            "that does not verify."
        ),
    )
    p.add_argument("log", metavar="LOG", help="SQLite file, postgresql:// URL or export file")
    p.add_argument("--public-key", default=None, metavar="BASE64", help=key_help)
    p.set_defaults(func=_verify)

    p = sub.add_parser(
        "verify-receipt",
        help="prove that an entry of a receipt is in a later export of the log",
        description=(
            "Check a receipt (from 'deconflict log append' or 'log receipt') on its own, "
            "then against a later export: the export verifies, holds the same entry at the "
            "same index and extends the receipt's tree head. Exit 0 or 1."
        ),
    )
    p.add_argument("receipt", metavar="RECEIPT", help="receipt JSON file")
    p.add_argument("--against", required=True, metavar="EXPORT", help="export file ('-': stdin)")
    p.add_argument("--public-key", default=None, metavar="BASE64", help=key_help)
    p.set_defaults(func=_verify_receipt)
