"""PostgreSQL specifics: the connection pool, timeouts, roles that own nothing, and the
throwaway server the tests fall back to."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from psycopg import sql

from deconflict.cli import main
from deconflict.errors import InvalidInput, StoreError
from deconflict.ledger import Log, Signer, verify_store
from deconflict.store import open_database
from deconflict.store.keys import open_log
from deconflict.store.postgres import PostgresDatabase

if TYPE_CHECKING:
    from conftest import PostgresForTests

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema(postgres: PostgresForTests) -> Iterator[str]:
    """A fresh schema name; the schema is dropped afterwards."""
    name = f"test_pg_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    yield name
    with postgres.connect() as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def role(postgres: PostgresForTests) -> Iterator[str]:
    """A fresh login role (password ``pw``) that owns nothing; dropped afterwards."""
    name = f"test_role_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with postgres.connect() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw'").format(sql.Identifier(name)))
    yield name
    with postgres.connect() as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def grant(postgres: PostgresForTests, role: str, schema: str, *rights: str) -> None:
    with postgres.connect() as conn:
        ident = sql.Identifier
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(schema), ident(role)))
        conn.execute(
            sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(
                sql.SQL(", ").join(sql.SQL(r) for r in rights), ident(schema), ident(role)
            )
        )
        conn.execute(
            sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                ident(schema), ident(role)
            )
        )


def make_log(url: str, schema: str, n: int, key_dir: Path) -> None:
    with PostgresDatabase(url, schema=schema) as db:
        log = open_log(db, key_dir)
        log.append([{"kind": "note", "party": "blue", "n": i} for i in range(n)])
        log.sign_head()


def test_the_test_server_is_the_one_asked_for(postgres: PostgresForTests) -> None:
    asked = os.environ.get("DECONFLICT_TEST_POSTGRES", "")
    if asked == "embedded":
        assert postgres.source == "embedded"
    elif asked:
        assert (postgres.source, postgres.url) == ("env", asked)
    else:
        assert postgres.source in ("local", "embedded")
    with postgres.connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_dropped_connection_is_replaced(postgres: PostgresForTests, schema: str) -> None:
    with PostgresDatabase(postgres.url, schema=schema, pool_size=1) as db:
        log = Log(db.ledger, Signer.generate())
        log.append([{"kind": "note", "party": "blue"}])
        with db.read() as conn:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        with postgres.connect() as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        deadline = time.monotonic() + 10
        with postgres.connect() as admin:
            while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert log.append([{"kind": "note", "party": "red"}])[0].index == 1
        with db.read() as conn:
            assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] != pid
        log.sign_head()
        assert verify_store(db.ledger).tree_size == 2


def test_a_lock_held_elsewhere_times_out_with_a_clear_error(
    postgres: PostgresForTests, schema: str
) -> None:
    with PostgresDatabase(postgres.url, schema=schema, lock_timeout_s=0.3) as db:
        log = Log(db.ledger)
        log.append([{"kind": "note", "party": "blue"}])
        with postgres.connect() as other, other.transaction():
            other.execute(
                sql.SQL("LOCK TABLE {}.ledger_leaves IN ACCESS EXCLUSIVE MODE").format(
                    sql.Identifier(schema)
                )
            )
            started = time.monotonic()
            with pytest.raises(StoreError, match="lock_timeout"):
                log.append([{"kind": "note", "party": "red"}])
            assert time.monotonic() - started < 10
        assert log.append([{"kind": "note", "party": "red"}])[0].index == 1


def test_a_long_statement_times_out_with_a_clear_error(
    postgres: PostgresForTests, schema: str
) -> None:
    with PostgresDatabase(postgres.url, schema=schema, statement_timeout_s=0.2) as db:
        with pytest.raises(StoreError, match="statement_timeout"), db.read() as conn:
            conn.execute("SELECT pg_sleep(5)")
        assert db.ledger.ledger_size() == 0


def test_write_holds_one_connection_reads_take_any(postgres: PostgresForTests, schema: str) -> None:
    with PostgresDatabase(postgres.url, schema=schema, pool_size=4) as db:
        pid = "SELECT pg_backend_pid()"
        with db.write() as outer:
            mine = outer.execute(pid).fetchone()[0]
            with db.write() as inner, db.read() as reader:
                assert inner.execute(pid).fetchone()[0] == mine
                assert reader.execute(pid).fetchone()[0] == mine
            seen: list[int] = []

            def other_thread() -> None:
                with db.read() as conn:
                    seen.append(conn.execute(pid).fetchone()[0])

            t = threading.Thread(target=other_thread)
            t.start()
            t.join(timeout=30)
            assert seen and seen[0] != mine


def test_opening_an_existing_log_runs_no_ddl(
    postgres: PostgresForTests, schema: str, role: str, tmp_path: Path
) -> None:
    """A role that may read and insert but owns nothing opens, appends and signs."""
    make_log(postgres.url, schema, 3, tmp_path)
    grant(postgres, role, schema, "SELECT", "INSERT")
    url = postgres.url_with(user=role, password="pw")
    with PostgresDatabase(url, schema=schema) as db:  # create=True: nothing to create
        log = open_log(db, tmp_path)
        assert log.append([{"kind": "note", "party": "red"}])[0].index == 3
        log.sign_head()
        assert verify_store(db.ledger).tree_size == 4


def test_create_false_creates_nothing(postgres: PostgresForTests, schema: str) -> None:
    with (
        pytest.raises(InvalidInput, match="holds no ledger"),
        open_database(postgres.url, schema=schema, create=False) as db,
    ):
        db.ledger  # noqa: B018
    with postgres.connect() as conn:
        found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        assert found.fetchone() is None


def test_a_read_only_role_verifies_the_log(
    postgres: PostgresForTests,
    schema: str,
    role: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_log(postgres.url, schema, 5, tmp_path)
    grant(postgres, role, schema, "SELECT")
    url = postgres.url_with(user=role, password="pw", options=f"-csearch_path={schema}")
    assert main(["verify", url]) == 0
    out, err = capsys.readouterr()
    assert json.loads(json.loads(out)["sth"])["tree_size"] == 5, err
    assert main(["log", "key", "--db", url]) == 0
    assert capsys.readouterr().out.strip()
    # It may not write: a clear error, not a driver's.
    with open_database(url, create=False) as db, pytest.raises(StoreError, match="permission"):
        Log(db.ledger).append([{"kind": "note", "party": "red"}])


def test_processes_racing_to_create_the_schema(postgres: PostgresForTests, schema: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            with PostgresDatabase(postgres.url, schema=schema) as db:
                db.ledger.ledger_size()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
