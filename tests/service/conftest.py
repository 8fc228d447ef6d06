"""Fixtures: an empty service database on each backend, and servers started on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicekit import Server, StoreTarget


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
