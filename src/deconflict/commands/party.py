"""``deconflict party``: add a party (its token is printed once), list, revoke, rotate."""

from __future__ import annotations

import argparse

from ..model import LANGUAGES
from ._admin import add_store_options, administration

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "party",
        help="add, list, revoke parties; rotate a party's token",
        description=(
            "Manage the parties of a service database. 'add' prints the new party's token "
            "alone on the last line of its output: it is shown once and stored only as a hash."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create a party and print its token")
    add.add_argument("name", help="party name: letters, digits, '_', '.', '-'")
    add.add_argument("--language", choices=LANGUAGES, default="en")
    add_store_options(add)
    add.set_defaults(func=_add)
    ls = actions.add_parser("list", help="list parties")
    add_store_options(ls)
    ls.set_defaults(func=_list)
    rv = actions.add_parser("revoke", help="revoke a party's token at once")
    rv.add_argument("name")
    add_store_options(rv)
    rv.set_defaults(func=_revoke)
    rt = actions.add_parser("rotate-token", help="give a party a new token; the old one stops")
    rt.add_argument("name")
    add_store_options(rt)
    rt.set_defaults(func=_rotate)


def _add(args: argparse.Namespace) -> int:
    with administration(args, create=True) as admin:
        token = admin.add(args.name, args.language)
    print(f"party {args.name!r} added (language {args.language}); its token, shown once:")
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    with administration(args) as admin:
        for row in admin.rows():
            state = "revoked" if row.revoked_at is not None else "active"
            print(f"{row.name}\t{row.language}\t{state}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with administration(args) as admin:
        admin.revoke(args.name)
    print(f"party {args.name!r}: token revoked")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    with administration(args) as admin:
        token = admin.rotate(args.name)
    print(f"party {args.name!r}: new token, shown once (the old one no longer works):")
    print(token)
    return 0
