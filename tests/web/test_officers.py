"""Officers at the page: two of red (a duty officer who does not answer, a supervisor)
and one of blue, each in a browser context of its own; the ladder climbs to red's
supervisor after its first step and blue reads "unanswered at red for N min"."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit import StoreTarget, cli
from web.screens import Screen, WebServer

CAMP = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [38.3, 34.55]},
    "properties": {"id": "camp-7", "kind": "protected", "radius_m": 1500},
}


@pytest.fixture
def server_env() -> dict[str, str]:
    return {"DECONFLICT_LADDER_DECLARATION": "3,8"}


def officer(store: StoreTarget, party: str, name: str, role: str) -> str:
    return cli(store, "officer", "add", party, name, "--role", role).stdout.splitlines()[-1]


def test_the_ladder_reaches_the_supervisor_when_duty_does_not_answer(
    browser: Any, server: WebServer, store: StoreTarget, tokens: dict[str, str]
) -> None:
    names = {
        "red-duty": ("red", "Capt. Orlov", "duty"),
        "red-sup": ("red", "Col. Petrov", "supervisor"),
        "blue-duty": ("blue", "Maj. Hale", "duty"),
        "blue-view": ("blue", "Lt. Reed", "viewer"),
    }
    officers = {k: officer(store, *v) for k, v in names.items()}
    opened: list[Screen] = []
    try:
        for key in ("red-duty", "red-sup", "blue-duty"):
            opened.append(Screen.open(browser, server.url, officers[key]))
        duty, sup, blue = opened
        assert sup.page.inner_text("#officer-name").startswith("Col. Petrov")
        # blue sees red's duty officer on watch, and nothing of red's supervisor
        blue.page.locator(
            '#duty-roster [data-party="red"] .officer.present[data-name="Capt. Orlov"]'
        ).wait_for(timeout=10000)
        assert "Petrov" not in blue.page.inner_text("#duty-roster")
        blue.page.evaluate(
            """async (site) => {
              const r = await fetch('/v1/positions', {method: 'POST', body: JSON.stringify(site),
                headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('deconflict.token'),
                          'Content-Type': 'application/json'}});
              if (!r.ok) throw new Error(await r.text());
            }""",
            CAMP,
        )
        alert_id = duty.wait_alert("declaration")
        assert sup.alert_item(alert_id).count() == 0  # not yet: duty has it first
        # the duty officer does not answer: past 3 s the supervisor has it
        sup.alert_item(alert_id).wait_for(timeout=15000)
        mark = blue.alert_item(alert_id).locator('.mark.unanswered[data-party="red"]')
        mark.wait_for(timeout=10000)
        assert mark.inner_text() == "unanswered at red for 0 min"
        assert sup.alert_item(alert_id).locator('.mark.unanswered[data-party="red"]').count() == 1
        # blue's own site: nothing to ask anyone to stop
        assert blue.alert_item(alert_id).locator("button.stop").count() == 0
        blue.screenshot("officers-unanswered-blue.png")
        sup.screenshot("officers-supervisor-red.png")
        sup.answer(alert_id, "wilco")
        answered = blue.alert_item(alert_id).locator('.acks li[data-party="red"]')
        answered.locator("text=Col. Petrov").wait_for(timeout=10000)
        blue.page.locator(
            f'#inbox-list li[data-id="{alert_id}"]:not(:has(.mark.unanswered[data-party="red"]))'
        ).wait_for(timeout=10000)
        # green, silent, is still shown unanswered to all
        assert blue.alert_item(alert_id).locator('.mark.unanswered[data-party="green"]').count()
        # a viewer reads the alert and is given no buttons to answer it
        viewer = Screen.open(browser, server.url, officers["blue-view"])
        opened.append(viewer)
        # blue's own declaration (the alert does not await blue) reaches every officer of
        # blue at once, the viewer included
        viewer.page.locator("#inbox-list li.alert").first.wait_for(timeout=10000)
        before = viewer.page.locator("#inbox-list li.alert").count()
        red_site = {**CAMP, "properties": {**CAMP["properties"], "id": "red-post"}}
        duty.page.evaluate(
            """async (site) => {
              await fetch('/v1/positions', {method: 'POST', body: JSON.stringify(site),
                headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('deconflict.token'),
                          'Content-Type': 'application/json'}});
            }""",
            red_site,
        )
        # blue's duty officer has it at once, with its buttons; the viewer once the ladder
        # reaches every officer (8 s), with none
        blue.page.locator("#inbox-list li.alert button.respond").first.wait_for(timeout=10000)
        assert viewer.page.locator("#inbox-list li.alert").count() == before
        viewer.page.locator(
            '#inbox-list li.alert[data-kind="declaration"] .mark.unanswered[data-party="blue"]'
        ).wait_for(timeout=20000)
        assert viewer.page.locator("#inbox-list button.respond").count() == 0
        assert "viewer" in viewer.page.inner_text("#officer-name")
        for s in opened:
            assert s.errors == []
    finally:
        for s in opened:
            s.close()
