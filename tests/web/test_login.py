"""Logging in: the address's fragment, the form, a refused token."""

from __future__ import annotations

from typing import Any

from web.screens import Screen, WebServer


def test_fragment_login_never_sends_the_token_in_an_address_nor_asks_another_host(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    blue.wait_frame(lambda f: f["scale"])
    assert blue.eval("window.deconflict.state.party") == "blue"
    assert "token" not in blue.page.url, "the fragment is cleared from the address bar"
    assert blue.requested, "the page made requests"
    assert not any(tokens["blue"] in url for url in blue.requested)
    assert blue.page.inner_text("#party-name") == "blue"
    outside = [u for u in blue.requested if not u.startswith((server.url, "data:"))]
    assert outside == [], "the page and its map load nothing from another host"
    assert any(u.endswith("/static/geo/countries.geojson") for u in blue.requested)


def test_form_login_and_a_refused_token(
    browser: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        page.locator("#login-form").wait_for()
        page.fill("#token", "dcf_not-a-token")
        page.click("#login-form button[type=submit]")
        page.locator("#login-error:not(:empty)").wait_for(timeout=10000)
        assert page.inner_text("#login-error") == "The token was refused"
        assert page.is_hidden("#app")
    finally:
        context.close()
    screen = Screen.open(browser, server.url, tokens["red"], login="form")
    try:
        assert screen.eval("window.deconflict.state.party") == "red"
    finally:
        screen.close()


def test_the_page_runs_under_its_content_security_policy(
    browser: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    context = browser.new_context()  # the service's policy enforced, no bypass
    violations: list[str] = []
    try:
        page = context.new_page()
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on("pageerror", lambda exc: violations.append(str(exc)))
        response = page.goto(f"{server.url}/#token={tokens['blue']}")
        assert response is not None
        assert "default-src 'none'" in response.headers["content-security-policy"]
        page.locator("#party-name:text('blue')").wait_for(timeout=15000)
        page.locator("#app").wait_for(state="visible", timeout=15000)
        assert violations == []
    finally:
        context.close()
