"""Escalation and suspension marks in the inbox."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit import client
from web.screens import WebServer

CAMP = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [38.3, 34.55]},
    "properties": {"id": "camp-7", "kind": "protected", "radius_m": 1500},
}


@pytest.fixture
def server_env() -> dict[str, str]:
    return {"DECONFLICT_DEADLINE_DECLARATION": "2"}


def test_a_late_answer_is_escalated_and_a_suspended_party_is_marked_not_late(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    with client(server, tokens["green"]) as green:
        assert green.post("/v1/channel/suspend", json={"reason": "drill"}).status_code == 200
    blue = screens("blue")
    red = screens("red")
    with client(server, tokens["blue"]) as c:
        assert c.post("/v1/positions", json=CAMP).status_code == 200
    alert_id = red.wait_alert("declaration")
    for s in (red, blue):
        s.page.locator(f'#inbox-list li.alert.escalated[data-id="{alert_id}"]').wait_for(
            timeout=10000
        )
        item = s.alert_item(alert_id)
        assert "red" in item.locator(".mark.overdue").inner_text()
        assert "green" not in item.locator(".mark.overdue").inner_text()
        assert "green" in item.locator(".mark.suspended").inner_text()
        assert item.locator(".badge.escalated").count() == 1
    blue.screenshot("inbox-escalated-blue.png")

    red.answer(alert_id, "roger")
    blue.page.locator(
        f'#inbox-list li[data-id="{alert_id}"] .acks li[data-party="red"][data-response="roger"]'
    ).wait_for(timeout=5000)
    assert blue.alert_item(alert_id).locator(".mark.overdue").count() == 0
