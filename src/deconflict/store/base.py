"""The :class:`Database` protocol every backend implements."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Protocol

from ..ledger.storage import LedgerStore

__all__ = ["Database"]


class Database(Protocol):
    """An open database: one store per concern, closed when done."""

    target: str
    """What ``--db`` said (path or URL)."""

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
