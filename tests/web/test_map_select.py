"""Clicking an alert's ring on the map selects the alert in the inbox (OpenLayers'
hit-testing on the alert layer); a click on empty map selects nothing."""

from __future__ import annotations

from typing import Any

from servicekit import client, track
from web.screens import WebServer

RING_PIXEL = """(id) => {
  const m = window.deconflict.map;
  const ring = m.layers.alerts.getSource().getFeatures()
    .find((f) => f.get("alertId") === id && f.getGeometry().getType() === "Point");
  const [x, y] = m.map.getPixelFromCoordinate(ring.getGeometry().getCoordinates());
  const box = document.getElementById("map").getBoundingClientRect();
  return [box.left + x, box.top + y];
}"""


def test_clicking_a_ring_selects_its_alert(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    with client(server, tokens["blue"]) as b, client(server, tokens["red"]) as r:
        assert b.post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
        assert r.post("/v1/tracks", json=[track("r1", 35.03, 40.5, 270.0)]).status_code == 200
    alert_id = blue.wait_alert("separation")
    # the first poll of the own tracks fits the view to them: click after it
    blue.wait_frame(lambda f: alert_id in f["alerts"] and f["ownTotal"] == 1)
    blue.wait(0.5)
    box = blue.page.locator("#map").bounding_box()
    blue.page.mouse.click(box["x"] + 5, box["y"] + box["height"] - 60)
    blue.wait(0.6)
    assert blue.eval("window.deconflict.state.selected") is None
    x, y = blue.eval(RING_PIXEL, alert_id)
    blue.page.mouse.click(x + 5, y)  # within the ring's hit tolerance, off its centre
    blue.page.locator(f'#inbox-list li.alert.selected[data-id="{alert_id}"]').wait_for(timeout=5000)
    assert blue.eval("window.deconflict.state.selected") == alert_id
