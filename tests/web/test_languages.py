"""The interface in the party's language; Arabic laid out right to left."""

from __future__ import annotations

from typing import Any

from servicekit import client
from web.screens import WebServer

SITE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.16, 35.25]},
    "properties": {"id": "blue-clinic", "kind": "protected", "radius_m": 2500},
}


def _box(screen: Any, selector: str) -> dict[str, float]:
    box = screen.page.locator(selector).bounding_box()
    assert box is not None, selector
    return dict(box)


def test_arabic_party_gets_a_right_to_left_mirrored_interface(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    green = screens("green")
    page = green.page
    with client(server, tokens["blue"]) as blue:
        assert blue.post("/v1/positions", json=SITE).status_code == 200
    alert_id = green.wait_alert("declaration")
    item = green.alert_item(alert_id)
    assert item.locator(".kind").inner_text() == "إعلان"
    assert "إعلان من blue" in item.locator(".summary").inner_text()
    assert item.locator('button.respond[data-response="wilco"]').inner_text() == "سأنفذ"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    assert page.inner_text('.tabs button[data-tab="inbox"]').startswith("الوارد")
    side, map_ = _box(green, "#side"), _box(green, "#map-wrap")
    assert side["x"] + side["width"] <= map_["x"] + 1, "the panels sit on the left in Arabic"
    brand, logout = _box(green, "#top .brand"), _box(green, "#logout")
    assert brand["x"] > logout["x"], "the header starts on the right"
    green.screenshot("map-arabic-rtl.png")

    page.select_option("#language", "en")
    assert page.get_attribute("html", "dir") == "ltr"
    side, map_ = _box(green, "#side"), _box(green, "#map-wrap")
    assert side["x"] >= map_["x"] + map_["width"] - 1, "the panels sit on the right in English"
    assert page.inner_text('.tabs button[data-tab="inbox"]').startswith("Inbox")


def test_russian_party_reads_russian_and_its_choice_of_language_is_kept(screens: Any) -> None:
    red = screens("red")
    page = red.page
    assert page.get_attribute("html", "lang") == "ru"
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.inner_text("#channel .channel-title") == "Линия открыта"
    page.select_option("#language", "ar")
    assert page.get_attribute("html", "dir") == "rtl"
    page.reload()
    page.wait_for_function("window.deconflict && window.deconflict.state.connection === 'live'")
    assert page.get_attribute("html", "dir") == "rtl", "the switch outlives a reload"
