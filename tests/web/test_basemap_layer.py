"""The operator's offline basemap on the page: with ``serve --basemap FILE.pmtiles`` the
map reads the archive in byte ranges from the service and draws its vector tiles under
the shipped geodata (here one ``water`` tile over the whole world: the land, drawn as
lines only over a basemap, shows the water colour); without one, the shipped land."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

from servicekit import StoreTarget
from web.screens import Screen, WebServer

WATER = (0xCD, 0xDB, 0xE8)
LAND = (0xF6, 0xF4, 0xEE)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes | int) -> bytes:
    key = _varint((number << 3) | wire)
    if wire == 0:
        assert isinstance(payload, int)
        return key + _varint(payload)
    assert isinstance(payload, bytes)
    return key + _varint(len(payload)) + payload


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def water_tile(extent: int = 4096) -> bytes:
    """A Mapbox Vector Tile (protobuf, by hand) with one layer ``water`` holding one
    polygon over the whole tile."""
    moves = [(extent, 0), (0, extent), (-extent, 0)]
    geometry = [9, _zigzag(0), _zigzag(0), (3 << 3) | 2]
    for dx, dy in moves:
        geometry += [_zigzag(dx), _zigzag(dy)]
    geometry.append(15)
    packed = b"".join(_varint(v) for v in geometry)
    feature = _field(1, 0, 1) + _field(3, 0, 3) + _field(4, 2, packed)
    layer = _field(15, 0, 2) + _field(1, 2, b"water") + _field(2, 2, feature) + _field(5, 0, extent)
    return _field(3, 2, layer)


def basemap_file(path: Path) -> Path:
    with write(str(path)) as w:
        w.write_tile(zxy_to_tileid(0, 0, 0), water_tile())
        w.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.NONE,
                "min_zoom": 0,
                "max_zoom": 0,
                "min_lon_e7": -1800000000,
                "min_lat_e7": -850000000,
                "max_lon_e7": 1800000000,
                "max_lat_e7": 850000000,
                "center_zoom": 0,
                "center_lon_e7": 0,
                "center_lat_e7": 0,
            },
            {"name": "water everywhere", "vector_layers": [{"id": "water", "fields": {}}]},
        )
    return path


@pytest.fixture
def served(store: StoreTarget, tokens: dict[str, str], tmp_path: Path) -> Iterator[WebServer]:
    path = basemap_file(tmp_path / "base.pmtiles")
    s = WebServer(store, tmp_path / "basemap-server.log", {}, args=("--basemap", str(path)))
    s.start()
    yield s
    s.stop()


def map_colour(screen: Screen) -> tuple[int, int, int]:
    """The colour in the middle of the map (Palmyra's desert, land in the geodata)."""
    box = screen.page.locator("#map").bounding_box()
    png = screen.page.screenshot(
        clip={"x": box["x"] + box["width"] * 0.3, "y": box["y"] + box["height"] * 0.6,
              "width": 4, "height": 4}
    )  # fmt: skip
    rgb = Image.open(io.BytesIO(png)).convert("RGB").getpixel((2, 2))
    assert isinstance(rgb, tuple)
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def test_the_offline_basemap_is_drawn_under_the_geodata(
    browser: Any, served: WebServer, tokens: dict[str, str]
) -> None:
    ranges: list[str] = []
    screen = Screen.open(browser, served.url, tokens["blue"])
    try:
        screen.page.on(
            "request",
            lambda r: (
                ranges.append(r.headers.get("range", ""))
                if r.url.endswith("/basemap.pmtiles")
                else None
            ),
        )
        screen.page.reload()
        screen.page.wait_for_function(
            "window.deconflict && window.deconflict.state.connection === 'live'", timeout=15000
        )
        deadline = 50
        while map_colour(screen) != WATER and deadline:
            screen.wait(0.2)
            deadline -= 1
        assert map_colour(screen) == WATER, "the basemap's water under the land's lines"
        assert ranges and all(r.startswith("bytes=") for r in ranges), ranges
        assert screen.errors == []
    finally:
        screen.close()


def test_without_a_basemap_the_shipped_land_is_drawn(screens: Any) -> None:
    blue = screens("blue")
    blue.wait(1.0)
    assert map_colour(blue) == LAND
    assert not any(u.endswith("/basemap.pmtiles") for u in blue.requested)
