"""Fixtures: the same contract tests run against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deconflict.store import Database, open_database
from deconflict.store.postgres import PostgresDatabase
from deconflict.store.sqlite import SQLiteDatabase


def unique_schema() -> str:
    return f"test_ledger_{os.getpid()}_{uuid.uuid4().hex[:10]}"


class Backend:
    """Opens connections to one test database and can tamper with it behind the log."""

    def __init__(self, kind: str, tmp_path: Path, postgres_url: str | None = None) -> None:
        self.kind = kind
        self.schema = unique_schema()
        self.postgres_url = postgres_url
        if kind == "sqlite":
            self.target = str(tmp_path / "ledger.db")
        else:
            assert postgres_url is not None
            self.target = postgres_url
        self.opened: list[Database] = []

    def open(self, **kwargs: Any) -> Database:
        db = open_database(self.target, schema=self.schema, **kwargs)
        self.opened.append(db)
        return db

    def tamper(self, db: Database, sql_sqlite: str, sql_postgres: str) -> None:
        """Run SQL past the append-only triggers."""
        if isinstance(db, SQLiteDatabase):
            with db.write() as conn:
                for name in ("leaves_no_update", "leaves_no_delete", "nodes_no_update"):
                    conn.execute(f"DROP TRIGGER IF EXISTS ledger_{name}")
                conn.execute(sql_sqlite)
        else:
            assert isinstance(db, PostgresDatabase)
            with db.write() as conn:
                conn.execute("ALTER TABLE ledger_leaves DISABLE TRIGGER USER")
                conn.execute("ALTER TABLE ledger_nodes DISABLE TRIGGER USER")
                conn.execute(sql_postgres)

    def cleanup(self) -> None:
        for db in self.opened:
            db.close()
        if self.kind == "postgres":
            assert self.postgres_url is not None
            with PostgresDatabase(self.postgres_url, schema=self.schema) as db:
                db.drop_schema()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    b = Backend(request.param, tmp_path, url)
    yield b
    b.cleanup()


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.open()
