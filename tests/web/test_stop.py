"""A stop request between two duty officers: A presses Stop on a subject of an alert,
B hears the cue, finds it at the top of its inbox and answers wilco; A sees the answer."""

from __future__ import annotations

import time
from typing import Any

from servicekit import client, track
from web.screens import WebServer


def _head_on(server: WebServer, tokens: dict[str, str]) -> None:
    """blue b1 and red r1 nearly head-on at 9,000 m, 45 km apart: a separation alert."""
    with client(server, tokens["blue"]) as blue, client(server, tokens["red"]) as red:
        assert blue.post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
        assert red.post("/v1/tracks", json=[track("r1", 35.03, 40.5, 270.0)]).status_code == 200


def test_stop_pressed_by_one_party_is_cued_first_and_answered_by_the_other(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    red = screens("red")
    _head_on(server, tokens)
    separation = blue.wait_alert("separation")
    assert red.wait_alert("separation") == separation

    # blue presses Stop on red's r1 (not on its own b1, which has no button)
    item = blue.alert_item(separation)
    assert item.locator('button.stop[data-subject="b1"]').count() == 0
    item.locator('button.stop[data-subject="r1"]').click()

    # red: the cue is played and the stop request is the first of its inbox
    first = red.page.locator("#inbox-list li").first
    red.page.wait_for_function("() => (window.deconflictCues || 0) >= 1", timeout=5000)
    red.page.locator('#inbox-list li[data-kind="stop-request"]').wait_for(timeout=5000)
    assert first.get_attribute("data-kind") == "stop-request"
    stop_id = first.get_attribute("data-id")
    assert "blue" in first.inner_text() and "r1" in first.inner_text()

    started = time.monotonic()
    red.answer(stop_id, "wilco")
    blue.page.locator(
        f'#inbox-list li[data-id="{stop_id}"] .acks li[data-party="red"][data-response="wilco"]'
    ).wait_for(timeout=5000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"blue saw red's wilco {elapsed:.2f} s after the click"
    # blue, who asked, heard no cue of its own request
    assert blue.page.evaluate("() => window.deconflictCues || 0") == 0
    assert blue.errors == [] and red.errors == []
