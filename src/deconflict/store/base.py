"""The :class:`Database` protocol every backend implements."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from ..ledger.storage import LedgerStore

__all__ = ["Database"]


class Database(Protocol):
    """An open database: one store per concern, closed when done."""

    target: str
    """What ``--db`` said (path or URL)."""

    @property
    def placeholder(self) -> str:
        """The driver's parameter marker in queries: ``?`` (SQLite) or ``%s`` (PostgreSQL)."""
        ...

    create: bool
    """Whether missing tables may be created (``False``: opened to read an existing log)."""

    def write(self) -> AbstractContextManager[Any]:
        """One write transaction, yielding a DB-API connection (``execute``).

        Re-entrant per thread: a ``write()`` inside another of the same thread joins it
        (as a savepoint); only the outermost commits, or rolls back on any error. Driver
        errors come out as :class:`~deconflict.errors.StoreError`.
        """
        ...

    def read(self) -> AbstractContextManager[Any]:
        """A DB-API connection to read with (this thread's write transaction if one is open)."""
        ...

    @property
    def ledger(self) -> LedgerStore:
        """The log's store."""
        ...

    def default_key_dir(self) -> Path | None:
        """Where the signing key lives when no key directory is given (``None``: nowhere)."""
        ...

    def key_file_stem(self) -> str:
        """File name stem for this database's signing key inside a key directory."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...

    def __enter__(self) -> Database: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
