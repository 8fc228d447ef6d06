"""The duty officer's screen in a real browser: Debian's chromium driven by Playwright.

A :class:`Screen` is one party logged in (``/#token=...``) in a browser context of its
own. It records every HTTP response body and WebSocket frame the page receives, so that a
test can say what a party's browser was ever told.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError

from servicekit import Server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


WebServer = Server
"""The service the browser talks to (the one the service tests start)."""


def launch(pw: Any) -> Any:
    """Debian's chromium, headless."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)


@dataclass
class Screen:
    """One party's page."""

    context: Any
    page: Any
    received: list[str] = field(default_factory=list)
    """Every WebSocket frame received, and with ``record`` every /v1 response body."""
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    closing: bool = False

    @classmethod
    def open(
        cls,
        browser: Any,
        base_url: str,
        token: str,
        *,
        width: int = 1400,
        height: int = 850,
        login: str = "fragment",
        record: bool = False,
    ) -> Screen:
        """Open the page and log in, by the address's fragment or by the form.

        With ``record``, every ``/v1`` response body is kept in :attr:`received` (the
        requests then go through this process: keep the test pumping events, e.g. with
        :meth:`wait`, rather than sleeping).
        """
        # the harness evaluates strings in the page (the page's own policy forbids it;
        # test_login checks the page under that policy)
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        screen = cls(context, page)
        page.on("pageerror", lambda exc: screen.errors.append(str(exc)))
        page.on("request", lambda req: screen.requested.append(req.url))
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: screen.received.append(str(payload))),
        )

        def keep(route: Any) -> None:
            try:
                response = route.fetch()
                screen.received.append(response.text())
                route.fulfill(response=response)
            except PlaywrightError:
                if not screen.closing:
                    raise

        if record:
            page.route("**/v1/**", keep)
        if login == "fragment":
            page.goto(f"{base_url}/#token={token}")
        else:
            page.goto(f"{base_url}/")
            page.fill("#token", token)
            page.click("#login-form button[type=submit]")
        page.wait_for_function(
            "window.deconflict && window.deconflict.state.connection === 'live'", timeout=15000
        )
        return screen

    def close(self) -> None:
        self.closing = True
        self.context.close()

    # -- reading the screen ----------------------------------------------------------

    def eval(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def last_frame(self) -> dict[str, Any]:
        """What the map drew last: alerts, other parties' tracks, zones, own tracks."""
        frame: dict[str, Any] = self.eval("structuredClone(window.deconflict.map.lastFrame)")
        frame["own_ids"] = self.eval("window.deconflict.map.drawnOwnIds()")
        return frame

    def wait_frame(self, check: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first drawn frame that ``check`` accepts."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.last_frame()
            if check(frame):
                return frame
            if time.monotonic() > deadline:
                raise AssertionError(f"no frame matched in {timeout} s; last: {frame}")
            self.wait(0.1)

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass while the page runs (and its requests are served)."""
        self.page.wait_for_timeout(seconds * 1000)

    def alert_item(self, alert_id: str) -> Any:
        return self.page.locator(f'#inbox-list li.alert[data-id="{alert_id}"]')

    def wait_alert(self, kind: str, timeout: float = 15.0) -> str:
        """The id of the first inbox item of ``kind``, once it shows."""
        item = self.page.locator(f'#inbox-list li.alert[data-kind="{kind}"]').first
        item.wait_for(timeout=timeout * 1000)
        return str(item.get_attribute("data-id"))

    def answer(self, alert_id: str, response: str) -> None:
        self.alert_item(alert_id).locator(f'button.respond[data-response="{response}"]').click()

    def tab(self, name: str) -> None:
        self.page.click(f'.tabs button[data-tab="{name}"]')

    def told(self, text: str) -> bool:
        """Whether ``text`` ever reached this page from the service (HTTP or stream)."""
        return any(text in body for body in self.received)

    def screenshot(self, name: str) -> Path:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        path = DOCS_IMG / name
        self.page.screenshot(path=str(path))
        return path

    def frames_of(self, type_: str) -> list[dict[str, Any]]:
        """Stream events of one type received so far."""
        out = []
        for raw in self.received:
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("type") == type_:
                out.append(obj)
        return out
