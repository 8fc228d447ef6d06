"""Fixtures: an empty service database on each backend, servers started on it with any
options, and a PostgreSQL server of the test's own that it may stop and start."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reliability.relkit import Serve, ThrowawayPostgres
from servicekit import StoreTarget


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    """An empty service database on each backend."""
    key_dir = tmp_path / "keys"
    if request.param == "sqlite":
        yield StoreTarget("sqlite", str(tmp_path / "service.db"), key_dir)
        return
    pg = request.getfixturevalue("postgres")
    schema = f"test_rel_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with pg.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield StoreTarget("postgres", pg.url_with(options=f"-csearch_path={schema}"), key_dir)
    finally:
        with pg.connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def serve(store: StoreTarget, tmp_path: Path) -> Iterator[Any]:
    """``serve(*args, **env)`` starts ``deconflict serve`` on ``store``; all stop at the end.

    Keywords ``scheme`` and ``verify`` go to :class:`Serve`; the others are environment
    variables."""
    started: list[Serve] = []

    def make(*args: str, scheme: str = "http", verify: Any = True, **env: str) -> Serve:
        s = Serve(
            store, tmp_path / f"server{len(started)}.log", args, env, scheme=scheme, verify=verify
        )
        started.append(s)
        return s.start()

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server for this test alone (it may be stopped and started)."""
    pg = ThrowawayPostgres()
    try:
        yield pg
    finally:
        pg.close()
