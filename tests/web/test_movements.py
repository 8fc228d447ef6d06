"""A ground movement on the map of the party that declared it and of the others, with
its window."""

from __future__ import annotations

from typing import Any

from servicekit import client
from web.screens import WebServer

CONVOY = {
    "type": "Feature",
    "geometry": {"type": "LineString", "coordinates": [[38.6, 33.4], [38.7, 33.5], [38.8, 33.5]]},
    "properties": {"id": "convoy-3", "kind": "movement", "width_m": 500,
                   "start": "2030-06-01T06:00:00Z", "end": "2030-06-01T12:30:00Z"},
}  # fmt: skip


def test_a_movement_is_drawn_with_its_window_for_every_party(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    red = screens("red")
    with client(server, tokens["blue"]) as c:
        r = c.post("/v1/intents", json=CONVOY)
        assert r.status_code == 200, r.text
    want = {"id": "convoy-3", "label": "convoy-3 06-01 06:00–06-01 12:30 UTC"}
    for s in (blue, red):
        frame = s.wait_frame(lambda f: want in (f.get("movements") or []))
        assert frame["movements"].count(want) == 1
