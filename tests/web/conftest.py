"""Fixtures for the browser tests: a real ``deconflict serve`` on SQLite, parties, and
Debian's chromium driven by Playwright (never a downloaded browser build).

Without ``/usr/bin/chromium`` the tests skip (``make setup`` installs it with
``scripts/install-browser.sh``); under CI they fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicekit import StoreTarget, add_party
from web.screens import CHROMIUM, Screen, WebServer, launch

if not Path(CHROMIUM).exists():
    # make setup / make test install it (scripts/install-browser.sh); never skip
    raise RuntimeError(f"{CHROMIUM} is missing: run scripts/install-browser.sh as root")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


@pytest.fixture
def store(tmp_path: Path) -> StoreTarget:
    return StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")


@pytest.fixture
def server_env() -> dict[str, str]:
    """Environment of the service (``DECONFLICT_*`` settings); a test module may override."""
    return {}


@pytest.fixture
def server(
    store: StoreTarget, tokens: dict[str, str], server_env: dict[str, str], tmp_path: Path
) -> Iterator[WebServer]:
    """A running service whose parties exist before it starts; stopped at the end."""
    s = WebServer(store, tmp_path / "server.log", server_env)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def tokens(store: StoreTarget) -> dict[str, str]:
    """Three parties: blue (English), red (Russian), green (Arabic)."""
    return {
        "blue": add_party(store, "blue", "en"),
        "red": add_party(store, "red", "ru"),
        "green": add_party(store, "green", "ar"),
    }


@pytest.fixture
def screens(browser: Any, server: WebServer, tokens: dict[str, str]) -> Iterator[Any]:
    """``open(party)``: a logged-in screen in a browser context of its own."""
    opened: list[Screen] = []

    def open_(party: str, **kw: Any) -> Screen:
        s = Screen.open(browser, server.url, tokens[party], **kw)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()
