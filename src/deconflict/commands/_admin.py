"""What ``deconflict party`` and ``deconflict officer`` share: the options naming the
service database and its signing keys, and the administration opened on them."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..store import open_database
from ..store.keys import open_log

if TYPE_CHECKING:
    from ..service.parties import PartyAdmin

__all__ = ["add_store_options", "administration"]


def add_store_options(q: argparse.ArgumentParser) -> None:
    """``--db`` (required) and ``--key-dir``."""
    q.add_argument("--db", required=True, metavar="PATH|URL", help="service database")
    q.add_argument("--key-dir", metavar="DIR", help="signing key directory")


@contextmanager
def administration(args: argparse.Namespace, *, create: bool = False) -> Iterator[PartyAdmin]:
    """The parties and officers of ``args.db`` (made when ``create``), its log signed
    with the keys of ``args.key_dir``; the database is closed on leaving."""
    from ..service.parties import PartyAdmin  # the service only for the commands using it

    db = open_database(args.db, create=create)
    log = open_log(db, args.key_dir)
    with db:
        yield PartyAdmin(db, log)
