"""Readback on the page: a wilco with the position as understood, 9 km off the declared
aim point, shows as a readback mismatch on both parties' pages at once."""

from __future__ import annotations

from typing import Any

from servicekit import client, iso_now
from web.screens import WebServer


def _strike_near_red(server: WebServer, tokens: dict[str, str]) -> None:
    with client(server, tokens["red"]) as red, client(server, tokens["blue"]) as blue:
        r = red.post("/v1/positions", json={
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [40.165, 35.245]},
            "properties": {"id": "red-camp", "kind": "forces", "radius_m": 500}})  # fmt: skip
        assert r.status_code == 200, r.text
        r = blue.post("/v1/intents", json={
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [40.16, 35.245]},
            "properties": {"id": "s1", "kind": "strike", "radius_m": 300,
                           "start": iso_now(3600), "end": iso_now(4200)}})  # fmt: skip
        assert r.status_code == 200, r.text


def test_a_readback_mismatch_shows_on_both_pages(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    red = screens("red")
    _strike_near_red(server, tokens)
    alert_id = red.wait_alert("strike-proximity")
    assert blue.wait_alert("strike-proximity") == alert_id
    # red reads the aim point back 9 km east of where blue declared it
    item = red.alert_item(alert_id)
    item.locator("input.understood").fill("35.245, 40.259")
    red.answer(alert_id, "wilco")
    for s in (red, blue):
        mark = s.page.locator(
            f'#inbox-list li.readback-mismatch[data-id="{alert_id}"] '
            '.acks li[data-party="red"] .readback.mismatch'
        )
        mark.wait_for(timeout=5000)
        assert "9" in mark.inner_text()
    blue.screenshot("readback-mismatch-blue.png")
    # blue's wilco read back at the declared point matches
    blue.alert_item(alert_id).locator("input.understood").fill("35.245, 40.16")
    blue.answer(alert_id, "wilco")
    red.page.locator(
        f'#inbox-list li[data-id="{alert_id}"] .acks li[data-party="blue"] .readback:not(.mismatch)'
    ).wait_for(timeout=5000)
    assert blue.errors == [] and red.errors == []
