"""Declaring from the map: an officer draws a declaration with OpenLayers' Draw, fills the
form and sends it; the other party gets the declaration alert and answers it; the form
refuses numbers out of the service's bounds before sending and shows a refusal of the
service; the party amends and withdraws its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from servicekit import StoreTarget, cli, client
from web.screens import Screen, WebServer


def officer(store: StoreTarget, party: str, name: str, role: str) -> str:
    return cli(store, "officer", "add", party, name, "--role", role).stdout.splitlines()[-1]


@pytest.fixture
def officers(
    browser: Any, server: WebServer, store: StoreTarget, tokens: dict[str, str]
) -> Iterator[tuple[Screen, Screen]]:
    blue = Screen.open(browser, server.url, officer(store, "blue", "Maj. Hale", "duty"))
    red = Screen.open(browser, server.url, officer(store, "red", "Capt. Orlov", "duty"))
    yield blue, red
    blue.close()
    red.close()


def map_point(screen: Screen, fx: float, fy: float) -> tuple[float, float]:
    """The page pixel at fractions (fx, fy) of the map's box."""
    box = screen.page.locator("#map").bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def draw(screen: Screen, points: list[tuple[float, float]]) -> None:
    """Press *Draw on the map* and click the points (fractions of the map's box); a line
    or polygon ends with a double click on its last point."""
    screen.page.click("#declare-draw")
    for i, (fx, fy) in enumerate(points):
        x, y = map_point(screen, fx, fy)
        if len(points) > 1 and i == len(points) - 1:
            screen.page.mouse.dblclick(x, y)
        else:
            screen.page.mouse.click(x, y)
        screen.wait(0.3)
    screen.page.locator("#declare-geometry", has_text="drawn:").wait_for(timeout=5000)


def declare(screen: Screen, type_: str, points: list[tuple[float, float]], **fields: str) -> None:
    screen.page.click("#declare-open")
    screen.page.select_option("#declare-type", type_)
    if "shape" in fields:
        screen.page.select_option("#declare-shape", fields.pop("shape"))
    draw(screen, points)
    for name, value in fields.items():
        if name == "action":
            screen.page.select_option("#declare-action", value)
        else:
            screen.page.fill(f"#declare-{name}", value)
    screen.page.click("#declare-send")


def receipt_for(screen: Screen, decl_id: str) -> str:
    loc = screen.page.locator("#declare-receipt", has_text=f"{decl_id} declared")
    loc.wait_for(timeout=10000)
    return str(loc.inner_text())


def test_blue_declares_from_the_map_and_red_answers(officers: tuple[Screen, Screen]) -> None:
    blue, red = officers
    declare(blue, "protected", [(0.5, 0.5)], id="blue-clinic", radius="2000")
    assert '"index"' in receipt_for(blue, "blue-clinic"), "the receipt shows"
    site = blue.eval("window.deconflict.state.positions.map((f) => f.properties)")
    assert [(p["id"], p["kind"], p["radius_m"]) for p in site] == [
        ("blue-clinic", "protected", 2000)
    ]

    declare(
        blue,
        "strike",
        [(0.3, 0.6)],
        id="blue-strike-1",
        radius="800",
        start="2030-06-01T06:00:00Z",
        end="2030-06-01T07:00:00Z",
    )
    receipt_for(blue, "blue-strike-1")
    declare(
        blue,
        "movement",
        [(0.2, 0.3), (0.3, 0.35), (0.4, 0.3)],
        id="blue-convoy",
        width="400",
        start="2030-06-01T06:00:00Z",
        end="2030-06-01T12:30:00Z",
    )
    receipt_for(blue, "blue-convoy")
    want = {"id": "blue-convoy", "label": "blue-convoy 06-01 06:00–06-01 12:30 UTC"}
    blue.wait_frame(lambda f: want in (f.get("movements") or []))
    intents = blue.eval("window.deconflict.state.intents.map((f) => f.geometry.type)")
    assert sorted(intents) == ["LineString", "Point"]

    # red is told of each, and answers the site's
    red.page.locator('#inbox-list li.alert[data-kind="declaration"]').nth(2).wait_for(timeout=15000)
    item = red.page.locator('#inbox-list li.alert[data-kind="declaration"]', has_text="blue-clinic")
    alert_id = str(item.get_attribute("data-id"))
    red.answer(alert_id, "roger")
    # a plan years away says when, not a count of hours
    strike = red.page.locator(
        '#inbox-list li.alert[data-kind="declaration"]', has_text="blue-strike-1"
    )
    assert "2030-06-01 06:00 UTC" in strike.inner_text()
    blue.page.locator(
        f'#inbox-list li.alert[data-id="{alert_id}"]', has_text="Capt. Orlov"
    ).wait_for(timeout=5000)
    red.wait_frame(lambda f: want in (f.get("movements") or []))
    blue.screenshot("map-declare.png")


def test_the_form_refuses_out_of_bounds_before_sending_and_shows_the_service_refusal(
    officers: tuple[Screen, Screen], server: WebServer, tokens: dict[str, str]
) -> None:
    blue, _ = officers
    posts: list[str] = []
    blue.page.on(
        "request", lambda r: posts.append(r.url) if r.method in ("POST", "DELETE") else None
    )
    declare(blue, "protected", [(0.5, 0.5)], id="too-wide", radius="3000000")
    error = blue.page.locator("#declare-error")
    error.wait_for(timeout=5000)
    assert "radius_m" in error.inner_text() and "2500000" in error.inner_text()
    blue.page.fill("#declare-radius", "abc")
    blue.page.click("#declare-send")
    assert "radius_m" in error.inner_text()
    blue.page.fill("#declare-radius", "100")
    blue.page.fill("#declare-id", "")
    blue.page.click("#declare-send")
    assert "id" in error.inner_text()
    blue.wait(0.5)
    assert posts == [], "nothing is sent while the form is refused"

    # a zone id red holds already: the service refuses it, and the page says why
    zone = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [39.0, 34.0]},
        "properties": {"id": "shared-zone", "radius_m": 5000, "status": "claimed",
                       "parties": ["red", "blue"],
                       "rules": [{"party": "*", "action": "notify"}]},
    }  # fmt: skip
    with client(server, tokens["red"]) as r:
        assert r.post("/v1/zones", json=zone).status_code == 200
    blue.page.click("#declare-cancel")
    declare(blue, "zone", [(0.5, 0.5)], shape="circle", id="shared-zone", radius="3000")
    blue.page.locator("#declare-error", has_text="409").wait_for(timeout=5000)
    assert "shared-zone" in error.inner_text() and "taken" in error.inner_text()
    assert len(posts) == 1


def test_amend_and_withdraw_an_own_declaration(officers: tuple[Screen, Screen]) -> None:
    blue, red = officers
    declare(blue, "forces", [(0.5, 0.5)], id="blue-camp", radius="1500")
    receipt_for(blue, "blue-camp")
    own = blue.page.locator('#declare-own li[data-id="blue-camp"]')
    own.wait_for(timeout=5000)
    own.locator("button.amend").click()
    assert blue.page.input_value("#declare-radius") == "1500"
    assert blue.page.locator("#declare-id").get_attribute("readonly") is not None
    blue.page.fill("#declare-radius", "2500")
    blue.page.click("#declare-send")
    receipt_for(blue, "blue-camp")
    radii = blue.eval("window.deconflict.state.positions.map((f) => f.properties.radius_m)")
    assert radii == [2500]

    blue.page.once("dialog", lambda d: d.accept())
    blue.page.locator('#declare-own li[data-id="blue-camp"] button.withdraw').click()
    blue.page.locator("#declare-receipt", has_text="blue-camp withdrawn").wait_for(timeout=10000)
    assert blue.eval("window.deconflict.state.positions.length") == 0
    assert blue.page.locator('#declare-own li[data-id="blue-camp"]').count() == 0
    # red was told of the declaration, its amendment and its withdrawal
    red.page.locator('#inbox-list li.alert[data-kind="declaration"]').first.wait_for(timeout=15000)
    assert red.told("withdrawn")


def test_a_viewer_gets_no_declare_control(
    browser: Any, server: WebServer, store: StoreTarget, tokens: dict[str, str]
) -> None:
    viewer = Screen.open(browser, server.url, officer(store, "blue", "Lt. Reed", "viewer"))
    party = Screen.open(browser, server.url, tokens["red"])
    try:
        party.page.locator("#declare-open").wait_for(state="visible", timeout=5000)
        viewer.wait(0.5)
        assert viewer.page.locator("#declare-open").is_hidden()
    finally:
        viewer.close()
        party.close()


def test_a_zone_drawn_as_a_polygon_reaches_the_other_party_and_is_withdrawn(
    officers: tuple[Screen, Screen],
) -> None:
    blue, red = officers
    declare(
        blue,
        "zone",
        [(0.45, 0.45), (0.5, 0.45), (0.5, 0.5), (0.45, 0.5)],
        shape="polygon",
        id="blue-zone",
        name="Blue exercise area",
        parties="blue, red",
        action="forbid",
        **{"alt-min": "0", "alt-max": "6000"},
    )
    receipt_for(blue, "blue-zone")
    red.wait_frame(lambda f: "blue-zone" in f["zones"])
    zone = red.eval("window.deconflict.state.zones.get('blue-zone')")
    assert zone["geometry"]["type"] == "Polygon"
    assert zone["properties"]["rules"] == [{"party": "*", "action": "forbid"}]
    assert (zone["properties"]["alt_min_m"], zone["properties"]["alt_max_m"]) == (0, 6000)
    blue.page.once("dialog", lambda d: d.accept())
    blue.page.locator('#declare-own li[data-id="blue-zone"] button.withdraw').click()
    blue.page.locator("#declare-receipt", has_text="blue-zone withdrawn").wait_for(timeout=10000)
    blue.wait_frame(lambda f: "blue-zone" not in f["zones"])


def test_a_party_lists_and_withdraws_only_its_own_and_ids_stay_text(
    officers: tuple[Screen, Screen],
) -> None:
    blue, red = officers
    declare(blue, "protected", [(0.5, 0.5)], id="blue-clinic", radius="1000")
    receipt_for(blue, "blue-clinic")
    red.page.locator('#inbox-list li.alert[data-kind="declaration"]').first.wait_for(timeout=15000)
    red.page.click("#declare-open")
    red.wait(0.3)
    assert red.page.locator("#declare-own li").count() == 0, "red lists nothing of blue's"
    status = red.eval(
        """async () => (await fetch('/v1/positions/blue-clinic', {method: 'DELETE',
            headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('deconflict.token')}
          })).status"""
    )
    assert status == 404
    blue.wait(0.5)
    assert blue.eval("window.deconflict.state.positions.length") == 1

    # an id written as markup is shown as text on both pages, never run
    hostile = "<img src=x onerror=window.__ran=1>"
    blue.page.click("#declare-cancel")
    declare(blue, "forces", [(0.4, 0.4)], id=hostile, radius="500")
    receipt_for(blue, hostile)
    red.page.locator("#inbox-list li.alert", has_text=hostile).wait_for(timeout=10000)
    for s in (blue, red):
        assert s.eval("window.__ran") is None
        assert s.page.locator("#app img").count() == 0
    assert hostile in blue.page.inner_text("#declare-own")
