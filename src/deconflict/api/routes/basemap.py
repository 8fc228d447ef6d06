"""``GET /basemap.pmtiles``: the operator's own offline basemap, one PMTiles v3 file
(``deconflict serve --basemap FILE``), read by the page in byte ranges.

Starlette's :class:`~starlette.responses.FileResponse` answers ``Range`` requests (206
Partial Content with ``Content-Range``, ``Accept-Ranges: bytes``, several ranges as
``multipart/byteranges``, 416 for a range outside the file) and ``If-Range`` against
its ``ETag``. The route serves that one file and nothing else: it has no path of its
own to resolve. No token: a basemap is not any party's data, and the page loads it
beside its own scripts (the service's security headers come with it).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ...errors import InvalidInput

__all__ = ["BASEMAP_URL", "MAGIC", "check_basemap", "router"]

BASEMAP_URL = "/basemap.pmtiles"
"""Where the page finds the basemap (``GET /v1/meta``'s ``basemap.url``)."""
MAGIC = b"PMTiles"
"""The first 7 bytes of a PMTiles file; the 8th is its version (3)."""
HEADER_BYTES = 127
"""Length of a PMTiles v3 header, bytes."""


def check_basemap(path: str) -> Path:
    """``path`` as the basemap to serve: a readable PMTiles version 3 file. Raises
    :class:`InvalidInput` naming the path and what is wrong."""
    where = Path(path)
    try:
        with where.open("rb") as f:
            head = f.read(HEADER_BYTES)
    except OSError as exc:
        raise InvalidInput(f"--basemap {path}: cannot be read ({exc.strerror})") from None
    if head[:7] != MAGIC:
        raise InvalidInput(f"--basemap {path}: not a PMTiles file (no 'PMTiles' magic)")
    if head[7:8] != b"\x03":
        version = head[7] if len(head) > 7 else "none"
        raise InvalidInput(f"--basemap {path}: PMTiles version {version}; only version 3")
    if len(head) < HEADER_BYTES:
        raise InvalidInput(f"--basemap {path}: {len(head)} bytes, shorter than a header")
    return where.resolve()


def router(path: Path) -> APIRouter:
    """The route serving ``path`` (checked by :func:`check_basemap`) at
    :data:`BASEMAP_URL`."""
    r = APIRouter()

    @r.get(BASEMAP_URL, include_in_schema=False)
    def get_basemap() -> FileResponse:
        """The basemap file, whole or the byte ranges asked for."""
        return FileResponse(path, media_type="application/vnd.pmtiles")

    return r
