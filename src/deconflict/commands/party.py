"""``deconflict party``: add a party (its token is printed once), list, revoke, rotate."""

from __future__ import annotations

import argparse

from ..store import open_database
from ..store.keys import open_log

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

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--db", required=True, metavar="PATH|URL", help="service database")
        q.add_argument("--key-dir", metavar="DIR", help="signing key directory")

    add = actions.add_parser("add", help="create a party and print its token")
    add.add_argument("name", help="party name: letters, digits, '_', '.', '-'")
    add.add_argument("--language", choices=("en", "ru", "ar"), default="en")
    common(add)
    add.set_defaults(func=_add)
    ls = actions.add_parser("list", help="list parties")
    common(ls)
    ls.set_defaults(func=_list)
    rv = actions.add_parser("revoke", help="revoke a party's token at once")
    rv.add_argument("name")
    common(rv)
    rv.set_defaults(func=_revoke)
    rt = actions.add_parser("rotate-token", help="give a party a new token; the old one stops")
    rt.add_argument("name")
    common(rt)
    rt.set_defaults(func=_rotate)


def _admin(args: argparse.Namespace, create: bool) -> tuple[object, object]:
    from ..service.parties import PartyAdmin

    db = open_database(args.db, create=create)
    return db, PartyAdmin(db, open_log(db, args.key_dir))


def _add(args: argparse.Namespace) -> int:
    db, admin = _admin(args, create=True)
    with db:  # type: ignore[attr-defined]
        token = admin.add(args.name, args.language)  # type: ignore[attr-defined]
    print(f"party {args.name!r} added (language {args.language}); its token, shown once:")
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    db, admin = _admin(args, create=False)
    with db:  # type: ignore[attr-defined]
        for row in admin.rows():  # type: ignore[attr-defined]
            state = "revoked" if row.revoked_at is not None else "active"
            print(f"{row.name}\t{row.language}\t{state}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    db, admin = _admin(args, create=False)
    with db:  # type: ignore[attr-defined]
        admin.revoke(args.name)  # type: ignore[attr-defined]
    print(f"party {args.name!r}: token revoked")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    db, admin = _admin(args, create=False)
    with db:  # type: ignore[attr-defined]
        token = admin.rotate(args.name)  # type: ignore[attr-defined]
    print(f"party {args.name!r}: new token, shown once (the old one no longer works):")
    print(token)
    return 0
