"""Everything on one map: own tracks, a zone, declared sites, a conflict."""

from __future__ import annotations

import math
from typing import Any

from servicekit import client, track
from web.screens import WebServer

ZONE = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[39.9, 34.6], [40.6, 34.6], [40.6, 35.1], [39.9, 35.1], [39.9, 34.6]]],
    },
    "properties": {
        "id": "deir-corridor",
        "name": "Deir ez-Zor corridor",
        "status": "claimed",
        "parties": ["blue", "red"],
        "rules": [{"party": "*", "action": "notify", "lead_s": 300}],
        "alt_min_m": 0,
        "alt_max_m": 15000,
    },
}
SITE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.16, 35.25]},
    "properties": {"id": "red-hospital", "kind": "protected", "radius_m": 3000},
}


def test_own_tracks_zone_declared_site_and_conflict_drawn_together(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    fleet = [
        track(
            f"b{i:02d}",
            34.2 + 0.08 * (i % 6),
            38.6 + 0.12 * (i // 6),
            (37 * i) % 360,
            alt_m=6000.0 + 150 * i,
        )
        for i in range(30)
    ]
    fleet.append(track("b-lead", 35.0, 40.0, 90.0))
    with client(server, tokens["blue"]) as b, client(server, tokens["red"]) as r:
        assert b.post("/v1/tracks", json=fleet).status_code == 200
        assert b.post("/v1/zones", json=ZONE).status_code == 200
        assert r.post("/v1/positions", json=SITE).status_code == 200
        assert r.post("/v1/tracks", json=[track("r7", 35.04, 40.5, 270.0)]).status_code == 200
    sep = blue.wait_alert("separation")
    decl = blue.wait_alert("declaration")
    frame = blue.wait_frame(
        lambda f: (
            f["ownTotal"] == len(fleet)
            and "deir-corridor" in f["zones"]
            and {sep, decl} <= set(f["alerts"])
            and {o["id"] for o in f["others"]} == {"r7"}
        )
    )
    assert frame["own"] == len(fleet), "every own track is in view after fitting"
    assert math.isfinite(frame["drawMs"])
    blue.page.click("#fit")
    blue.wait(0.5)
    blue.screenshot("map-overview.png")
