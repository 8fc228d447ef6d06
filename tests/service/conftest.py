"""Fixtures: an empty service database on each backend, and servers started on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicekit import Server, StoreTarget


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    """An empty service database on each backend."""
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


@pytest.fixture
def server_factory(store: StoreTarget, tmp_path: Path) -> Iterator[Any]:
    """Start servers on ``store``; all are stopped at the end."""
    started: list[Server] = []

    def make(**env: str) -> Server:
        s = Server(store, tmp_path / f"server{len(started)}.log", env)
        started.append(s)
        return s.start()

    yield make
    for s in started:
        s.stop()
