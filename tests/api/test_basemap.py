"""``serve --basemap FILE.pmtiles``: the operator's offline basemap at
``/basemap.pmtiles``, in byte ranges; ``/v1/meta`` says where; a file that is not
PMTiles v3 is refused at start naming it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pmtiles.reader import Reader
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

from deconflict.api.headers import CONTENT_SECURITY_POLICY
from deconflict.api.routes.basemap import check_basemap
from deconflict.errors import InvalidInput
from servicekit import run_cli

TILES = {(0, 0, 0): b"\x89PNG world " * 40, (1, 0, 0): b"nw " * 300, (1, 1, 1): b"se " * 500}


def pmtiles_file(path: Path) -> bytes:
    """A real PMTiles v3 archive of :data:`TILES` written by the ``pmtiles`` package;
    its bytes."""
    with write(str(path)) as w:
        for zxy, data in sorted(TILES.items(), key=lambda kv: zxy_to_tileid(*kv[0])):
            w.write_tile(zxy_to_tileid(*zxy), data)
        w.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_lon_e7": -1800000000,
                "min_lat_e7": -850000000,
                "max_lon_e7": 1800000000,
                "max_lat_e7": 850000000,
                "center_zoom": 0,
                "center_lon_e7": 0,
                "center_lat_e7": 0,
            },
            {"name": "test basemap"},
        )
    return path.read_bytes()


def served(make_app: Any, tmp_path: Path) -> tuple[Any, bytes]:
    raw = pmtiles_file(tmp_path / "base.pmtiles")
    _, http = make_app(basemap_file=check_basemap(str(tmp_path / "base.pmtiles")))
    return http, raw


def test_ranges_return_the_exact_bytes_and_a_reader_gets_every_tile(
    make_app: Any, tmp_path: Path
) -> None:
    http, raw = served(make_app, tmp_path)
    whole = http.get("/basemap.pmtiles")
    assert whole.status_code == 200 and whole.content == raw
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert whole.headers["x-content-type-options"] == "nosniff"
    for start, end in [(0, 126), (127, 300), (len(raw) - 10, len(raw) - 1), (5, 5)]:
        r = http.get("/basemap.pmtiles", headers={"Range": f"bytes={start}-{end}"})
        assert r.status_code == 206, r.text
        assert r.content == raw[start : end + 1]
        assert r.headers["content-range"] == f"bytes {start}-{end}/{len(raw)}"
    tail = http.get("/basemap.pmtiles", headers={"Range": "bytes=-7"})
    assert tail.status_code == 206 and tail.content == raw[-7:]

    # the pmtiles package's own reader, fetching over HTTP ranges only
    def get_bytes(offset: int, length: int) -> bytes:
        r = http.get("/basemap.pmtiles", headers={"Range": f"bytes={offset}-{offset + length - 1}"})
        assert r.status_code == 206
        return bytes(r.content)

    reader = Reader(get_bytes)
    assert reader.header()["tile_type"] == TileType.PNG
    assert reader.metadata() == {"name": "test basemap"}
    for (z, x, y), data in TILES.items():
        assert reader.get(z, x, y) == data


def test_a_range_outside_the_file_is_416(make_app: Any, tmp_path: Path) -> None:
    http, raw = served(make_app, tmp_path)
    for bad in (f"bytes={len(raw)}-{len(raw) + 10}", f"bytes={len(raw) + 100}-"):
        r = http.get("/basemap.pmtiles", headers={"Range": bad})
        assert r.status_code == 416, (bad, r.status_code)
        assert r.headers["content-range"] == f"bytes */{len(raw)}"
        assert raw[:50] not in r.content


def test_nothing_but_the_file_is_served(make_app: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("operator's secret")
    http, _ = served(make_app, tmp_path)
    for path in (
        "/basemap.pmtiles/../secret.txt",
        "/basemap.pmtiles/secret.txt",
        "/basemap.pmtiles%2F..%2Fsecret.txt",
        "/secret.txt",
        "/static/../secret.txt",
        "/static/..%2F..%2Fsecret.txt",
        f"/static/{os.path.relpath(secret, '/')}",
    ):
        r = http.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert b"operator's secret" not in r.content


def test_meta_says_where_the_basemap_is_and_none_without_one(make_app: Any, tmp_path: Path) -> None:
    http, _ = served(make_app, tmp_path)
    assert http.get("/v1/meta").json()["basemap"] == {"url": "/basemap.pmtiles"}
    _, plain = make_app()
    assert plain.get("/v1/meta").json()["basemap"] is None
    assert plain.get("/basemap.pmtiles").status_code == 404


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "cannot be read"),
        (b"", "not a PMTiles file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a PMTiles file"),
        (b"PMTiles\x02" + bytes(200), "version 2"),
        (b"PMTiles\x03" + bytes(20), "shorter than a header"),
    ],
)
def test_a_file_that_is_not_pmtiles_v3_is_refused_naming_it(
    tmp_path: Path, content: bytes | None, why: str
) -> None:
    path = tmp_path / "not-a-basemap.pmtiles"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        check_basemap(str(path))
    assert str(path) in str(caught.value) and why in str(caught.value)


def test_serve_refuses_a_bad_basemap_before_it_starts(tmp_path: Path) -> None:
    bad = tmp_path / "tiles.mbtiles"
    bad.write_bytes(b"SQLite format 3\x00" + bytes(200))
    out = run_cli("serve", "--db", str(tmp_path / "x.db"), "--basemap", str(bad))
    assert out.returncode == 2, out.stderr
    assert str(bad) in out.stderr and "PMTiles" in out.stderr
    assert not (tmp_path / "x.db").exists()
