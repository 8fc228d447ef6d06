"""Own track labels on the map never overlap: the layer is decluttered, and OpenLayers
draws only the labels that fit."""

from __future__ import annotations

from typing import Any

from servicekit import client, track
from web.screens import WebServer


def test_own_track_labels_are_decluttered(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    fleet = [track(f"b{i:02d}", 35.0 + 0.001 * i, 39.0 + 0.001 * i, 90.0) for i in range(40)]
    with client(server, tokens["blue"]) as b:
        assert b.post("/v1/tracks", json=fleet).status_code == 200
    blue.wait_frame(lambda f: f["own"] == len(fleet))
    assert blue.eval("window.deconflict.map.layers.own.getDeclutter()")
    # what OpenLayers placed in its declutter tree in the last frame (its frame state's
    # `declutter`: one RBush per group): the labels it drew, each a box in pixels
    boxes = blue.eval(
        """() => {
          const trees = window.deconflict.map.map.frameState_.declutter || {};
          return Object.values(trees).flatMap((tree) => tree.all())
            .map((b) => [b.minX, b.minY, b.maxX, b.maxY]);
        }"""
    )
    assert 1 < len(boxes) < len(fleet), "some labels are drawn, the overlapping ones are not"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    blue.screenshot("map-declutter.png")
