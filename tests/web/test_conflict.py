"""A separation conflict between two parties, as each duty officer sees it."""

from __future__ import annotations

import time
from typing import Any

from servicekit import client, track
from web.screens import WebServer


def _head_on(server: WebServer, tokens: dict[str, str]) -> None:
    """blue b1 and red r1 nearly head-on at 9,000 m, 45 km apart, passing 3.3 km abeam in
    about 90 s; red's r-far flies alone 300 km away and is in no alert."""
    with client(server, tokens["blue"]) as blue, client(server, tokens["red"]) as red:
        assert blue.post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
        reply = red.post(
            "/v1/tracks",
            json=[track("r1", 35.03, 40.5, 270.0), track("r-far", 33.0, 37.5, 10.0)],
        )
        assert reply.status_code == 200


def test_conflict_shows_on_both_maps_and_inboxes_and_an_answer_reaches_the_other_side(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    red = screens("red")
    _head_on(server, tokens)

    alert_id = blue.wait_alert("separation")
    assert red.wait_alert("separation") == alert_id
    for screen, other in ((blue, ("r1", "red")), (red, ("b1", "blue"))):
        screen.wait_frame(
            lambda f, other=other: (
                alert_id in f["alerts"]
                and any((o["id"], o["party"]) == other for o in f["others"])
                and f["own"] >= 1
            )
        )
    item = red.alert_item(alert_id)
    assert "b1" in item.inner_text() and "r1" in item.inner_text()
    assert red.alert_item(alert_id).locator('.acks li[data-party="blue"]').count() == 1
    blue.screenshot("map-conflict-blue.png")

    started = time.monotonic()
    blue.answer(alert_id, "wilco")
    red.page.locator(
        f'#inbox-list li[data-id="{alert_id}"] .acks li[data-party="blue"][data-response="wilco"]'
    ).wait_for(timeout=5000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"red saw blue's answer {elapsed:.2f} s after the click"

    # blue keeps the receipt of its answer
    blue.tab("record")
    receipt = blue.page.locator(f'#receipts li[data-alert="{alert_id}"]')
    receipt.wait_for(timeout=5000)
    assert "Wilco" in receipt.inner_text()
    red.screenshot("map-conflict-red-ru.png")
    assert blue.errors == [] and red.errors == []


def test_a_party_never_sees_another_partys_tracks_outside_alerts(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue", record=True)
    _head_on(server, tokens)
    alert_id = blue.wait_alert("separation")
    blue.wait_frame(lambda f: any(o["id"] == "r1" for o in f["others"]))
    # a few more track polls and stream events
    blue.wait(2.5)
    frame = blue.last_frame()
    assert alert_id in frame["alerts"]
    assert [o["id"] for o in frame["others"]] == ["r1"]
    assert frame["own_ids"] == ["b1"]
    assert blue.told("r1"), "the alert's own track of red reached blue"
    assert not blue.told("r-far"), "red's track outside any alert reached blue's browser"
    assert "r-far" not in blue.page.content()
