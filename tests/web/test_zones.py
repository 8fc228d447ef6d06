"""Zones coloured by rule and status; consent from the screen."""

from __future__ import annotations

from typing import Any

from servicekit import client
from web.screens import WebServer

ZONE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [38.63, 33.50]},
    "properties": {
        "id": "tanf-55km",
        "name": "al-Tanf 55 km",
        "status": "claimed",
        "parties": ["blue", "red"],
        "radius_m": 55000,
        "rules": [
            {"party": "red", "action": "forbid", "lead_s": 600},
            {"party": "*", "action": "advisory", "lead_s": 0},
        ],
        "alt_min_m": 0,
        "alt_max_m": 20000,
    },
}


def test_a_claimed_zone_shows_who_has_not_consented_until_it_is_agreed(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    red = screens("red")
    with client(server, tokens["blue"]) as c:
        assert c.post("/v1/zones", json=ZONE).status_code == 200
    for s, rule in ((blue, "advisory"), (red, "forbid")):
        s.tab("zones")
        row = s.page.locator('#zone-list li[data-id="tanf-55km"]')
        row.wait_for(timeout=5000)
        assert row.get_attribute("data-status") == "claimed"
        assert row.get_attribute("data-rule") == rule
        assert "red" in row.locator(".awaiting").inner_text()
        s.wait_frame(lambda f: "tanf-55km" in f["zones"])
    assert blue.page.locator('#zone-list li[data-id="tanf-55km"] button.consent').count() == 0

    red.page.click('#zone-list li[data-id="tanf-55km"] button.consent')
    for s in (red, blue):
        s.page.locator('#zone-list li[data-id="tanf-55km"][data-status="agreed"]').wait_for(
            timeout=5000
        )
        assert s.page.locator('#zone-list li[data-id="tanf-55km"] .awaiting').count() == 0
