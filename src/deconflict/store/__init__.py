"""Persistence: one database (SQLite file or PostgreSQL) holding each concern's tables.

:func:`open_database` takes what ``--db`` takes: a plain path opens (or creates) a SQLite
file, a ``postgresql://`` URL a PostgreSQL database through psycopg 3. A
:class:`~deconflict.store.base.Database` exposes one small store per concern — today
``ledger`` (a :class:`~deconflict.ledger.storage.LedgerStore`); tracks, alerts and
parties add theirs beside it, in the same database. :mod:`deconflict.store.keys` keeps
the log's signing key and opens a ready :class:`~deconflict.ledger.log.Log`.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as tmp:
...     with open_database(os.path.join(tmp, "d.db")) as db:
...         db.ledger.ledger_size()
0
"""

from __future__ import annotations

from .base import Database

__all__ = ["Database", "is_postgres_url", "open_database"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: str) -> bool:
    """Whether ``--db`` names a PostgreSQL database.

    >>> is_postgres_url("postgresql://localhost/deconflict"), is_postgres_url("d.db")
    (True, False)
    """
    return target.startswith(_POSTGRES_SCHEMES)


def open_database(target: str, *, create: bool = True, schema: str | None = None) -> Database:
    """Open the database ``--db`` names.

    ``create=False`` (commands that only read: ``deconflict verify``, ``log export``...)
    never creates anything: a SQLite file must exist and a PostgreSQL database must
    already hold the ledger's tables, else :class:`~deconflict.errors.InvalidInput`
    naming it; a PostgreSQL role with ``SELECT`` rights alone suffices. ``schema`` puts
    PostgreSQL tables in that schema (created if needed and ``create``); SQLite ignores it.
    Failures of the database itself raise :class:`~deconflict.errors.StoreError`.
    """
    from ..errors import InvalidInput

    if is_postgres_url(target):
        from .postgres import PostgresDatabase

        return PostgresDatabase(target, schema=schema, create=create)
    if "://" in target:
        raise InvalidInput(f"--db: unsupported URL {target!r} (a file path or postgresql://...)")
    from .sqlite import SQLiteDatabase

    return SQLiteDatabase(target, create=create)
