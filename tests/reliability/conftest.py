"""Fixtures: an empty service database on each backend, servers started on it with any
options, and a PostgreSQL server of the test's own that it may stop and start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reliability.relkit import Serve, ThrowawayPostgres
from servicekit import StoreTarget


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
