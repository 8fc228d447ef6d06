"""Own tracks are drawn on the own layer's canvas, dead-reckoned to the frame's now: a
triangle on the track and a whisker along it, as canvas paths for a few tracks and
through the pixel buffer for more than a thousand in view; labels are features only
when no more than 150 are in view."""

from __future__ import annotations

from typing import Any

from servicekit import client, track
from web.screens import WebServer

OWN = [0x1B, 0x4F, 0x9C]

# In one synchronous evaluation (no frame can come in between): the canvas pixels of
# tracks `ids` at the last frame's now (the centre, half-way along the whisker and beside it), the
# colour there, and how many label features the own layer holds.
PROBE = """(ids) => {
  const m = window.deconflict.map;
  const tr = m.state.tracks;
  const ctx = m.layers.own.getRenderer().context;
  const ratio = ctx.canvas.width / m.map.getSize()[0];
  const at = (x, y) => {
    const [px, py] = m.map.getPixelFromCoordinate([x, y]);
    const d = ctx.getImageData(Math.round(px * ratio), Math.round(py * ratio), 1, 1).data;
    return [d[0], d[1], d[2], d[3]];
  };
  // the bluest (blue less red) of the 3 x 3 pixels round a point: a 1 px line antialiased
  const bluest = (x, y) => {
    const [px, py] = m.map.getPixelFromCoordinate([x, y]);
    const d = ctx.getImageData(Math.round(px * ratio) - 1, Math.round(py * ratio) - 1, 3, 3).data;
    let best = -256;
    for (let k = 0; k < d.length; k += 4) best = Math.max(best, d[k + 2] - d[k]);
    return best;
  };
  const out = [];
  for (const id of ids) {
    const i = tr.ids.indexOf(id);
    const dt = Math.max(0, (m.lastFrame.at - tr.t[i]) / 1000);
    const x = tr.x0[i] + tr.vx[i] * dt;
    const y = tr.y0[i] + tr.vy[i] * dt;
    out.push({ centre: at(x, y), whisker: bluest(x + tr.vx[i] * 60, y + tr.vy[i] * 60),
               beside: bluest(x + tr.vx[i] * 60 + 2000, y + tr.vy[i] * 60 + 2000) });
  }
  return { tracks: out, labels: m.layers.own.getSource().getFeatures().length,
           drawn: m.lastFrame.ownDrawn };
}"""


def test_few_own_tracks_are_triangles_with_whiskers_and_labels(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    fleet = [track(f"b{i}", 35.0 + 0.2 * i, 39.0, 90.0, gs_mps=200.0) for i in range(3)]
    with client(server, tokens["blue"]) as b:
        assert b.post("/v1/tracks", json=fleet).status_code == 200
    blue.wait_frame(lambda f: f["own"] == len(fleet) and f["ownDrawn"] == len(fleet))
    probe = blue.eval(PROBE, [t["id"] for t in fleet])
    assert probe["labels"] == len(fleet), "each track in view has its label feature"
    for p in probe["tracks"]:
        assert p["centre"][:3] == OWN and p["centre"][3] == 255, p
        # the land is #f6f4ee (blue less red: -8); the whisker is #1b4f9c at 0.55
        assert p["whisker"] > 15, f"the whisker is drawn along the track: {p}"
        assert p["beside"] < 0, f"nothing is drawn beside it: {p}"


def test_many_own_tracks_go_through_the_pixel_buffer_without_labels(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    # 1,200 tracks on a 40 x 30 grid, 0.05 degrees apart: more than a thousand in view
    fleet = [
        track(f"g{i:04d}", 34.0 + 0.05 * (i // 40), 38.0 + 0.05 * (i % 40), 45.0, gs_mps=150.0)
        for i in range(1200)
    ]
    with client(server, tokens["blue"]) as b:
        for k in range(0, len(fleet), 400):
            assert b.post("/v1/tracks", json=fleet[k : k + 400]).status_code == 200
    blue.wait_frame(lambda f: f["ownTotal"] == len(fleet), timeout=20.0)
    blue.page.click("#fit")
    frame = blue.wait_frame(lambda f: f["own"] == len(fleet) and f["ownDrawn"] == len(fleet))
    assert len(frame["own_ids"]) == len(fleet)
    probe = blue.eval(PROBE, ["g0000", "g0641", "g1199"])
    assert probe["labels"] == 0, "no label features with more than 150 tracks in view"
    for p in probe["tracks"]:
        assert p["centre"][:3] == OWN and p["centre"][3] == 255, p
