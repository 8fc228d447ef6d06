"""``deconflict officer``: add a party's officer (its token is printed once), list, revoke."""

from __future__ import annotations

import argparse

from ..service.officers import ROLES
from ._admin import add_store_options, administration

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "officer",
        help="add, list, revoke the duty officers of a party",
        description=(
            "Manage the officers of a party: each has its own token and a role (duty "
            "officers get every alert at once, supervisors when it goes unanswered, viewers "
            "read only). 'add' prints the new officer's token alone on the last line of its "
            "output: it is shown once and stored only as a hash."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create an officer of a party and print its token")
    add.add_argument("party", help="the party it acts for")
    add.add_argument("name", help="its name, as the other parties will read it")
    add.add_argument("--role", choices=ROLES, default="duty")
    add_store_options(add)
    add.set_defaults(func=_add)
    ls = actions.add_parser("list", help="list officers (of one party, or all)")
    ls.add_argument("party", nargs="?")
    add_store_options(ls)
    ls.set_defaults(func=_list)
    rv = actions.add_parser("revoke", help="revoke an officer's token at once")
    rv.add_argument("party")
    rv.add_argument("name")
    add_store_options(rv)
    rv.set_defaults(func=_revoke)


def _add(args: argparse.Namespace) -> int:
    with administration(args) as admin:
        token = admin.add_officer(args.party, args.name, args.role)
    print(f"officer {args.name!r} of {args.party!r} added ({args.role}); its token, shown once:")
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    with administration(args) as admin:
        for row in admin.officers(args.party):
            state = "revoked" if row.revoked_at is not None else "active"
            print(f"{row.party}\t{row.name}\t{row.role}\t{state}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with administration(args) as admin:
        admin.revoke_officer(args.party, args.name)
    print(f"officer {args.name!r} of {args.party!r}: token revoked")
    return 0
