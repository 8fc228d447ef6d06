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
from ..ledger.signing import b64encode
from ..ledger.verify import LogVerifier, verify_export
from ..ledger.witness import WitnessState, key_at
from ..store import is_postgres_url, open_database
from ..store.sqlite import is_sqlite_file
from .witness import load_state, read_public_key

__all__ = ["register"]


def _trusted_key(text: str | None) -> bytes | None:
    return None if text is None else read_public_key(text)


NO_KEY = (
    "the export carries its own key, which proves nothing: give the service's key with "
    "--public-key K (base64, or a file holding it: deconflict log key), or a witness "
    "state directory with --state DIR, or say --trust-embedded-key"
)


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


def _witness_pin(state: WitnessState, verifier: LogVerifier, name: str) -> None:
    """The export agrees with what the witness whose state is ``name`` kept: the log's
    key at the size of its head is the key it pins, and the export extends that head."""
    kept = state.head.head if state.head is not None else None
    size = kept.tree_size if kept is not None else verifier.size
    if key_at(verifier.keys, size) != state.public_key:
        raise VerificationError(
            f"tree head: the log's key at size {size} is not the key {name} pins "
            f"({b64encode(state.public_key)})"
        )
    if kept is not None and kept.tree_size <= verifier.size:
        root = verifier.roots.get(kept.tree_size)
        if root is not None and root != kept.root_hash:
            raise VerificationError(
                f"entry {kept.tree_size - 1}: the export does not extend the head {name} "
                f"kept (size {kept.tree_size}, root {kept.root_hash.hex()})"
            )


def _verify(args: argparse.Namespace) -> int:
    trusted = _trusted_key(args.public_key)
    state = load_state(args.state) if args.state is not None else None
    if args.state is not None and state is None:
        raise InvalidInput(f"--state: {args.state!r} holds no witness state")
    if trusted is None and state is not None:
        trusted = state.keys[0][1] if state.keys else state.public_key
    watch = {state.head.head.tree_size} if state is not None and state.head is not None else set()
    verifier = LogVerifier(trusted, watch_sizes=watch)
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
    if trusted is None and not args.trust_embedded_key:
        raise InvalidInput(NO_KEY)
    with _open_export(target) as f:
        verify_export(f, verifier)
    if state is not None:
        _witness_pin(state, verifier, repr(args.state))
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
    key_help = "the log's first public key: base64, or a file holding it (deconflict log key)"
    p = sub.add_parser(
        "verify",
        help="check a log store or export end to end",
        description=(
            "Re-hash every entry, follow the key chain and check the signed tree heads of a "
            "log: a SQLite file, a postgresql:// URL, or an export (JSON lines; '-' reads "
            "stdin). An export is checked against the service's key given with --public-key "
            "or pinned by a witness (--state), never the key it carries unless told "
            "--trust-embedded-key (exit 2 otherwise). Exit 0 printing the verified tree "
            "head; exit 1 naming the first entry that does not verify."
        ),
    )
    p.add_argument("log", metavar="LOG", help="SQLite file, postgresql:// URL or export file")
    p.add_argument("--public-key", default=None, metavar="K", help=key_help)
    p.add_argument(
        "--state",
        default=None,
        metavar="DIR",
        help="a witness's state directory (deconflict witness --state): its pinned key, and "
        "the head it kept, which the export must extend",
    )
    p.add_argument(
        "--trust-embedded-key",
        action="store_true",
        help="check an export against the key it carries itself (proves only that it is "
        "intact, not whose it is)",
    )
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
