"""A hostile party's flood, run as its own process so that it never slows the measuring
side: ``python flood.py URL TOKEN SECONDS MODE`` prints one JSON line of counts.

MODE ``requests``: small track posts from 8 threads as fast as answers come;
``bodies``: 9 MiB bodies, with and without ``Content-Length``, one after the other."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx


def _track() -> list[dict[str, object]]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        {
            "id": "f1",
            "time": now,
            "lat": -70.0,
            "lon": 0.0,
            "alt_m": 1000.0,
            "gs_mps": 100.0,
            "track_deg": 0.0,
            "vs_mps": 0.0,
        }
    ]


def main() -> int:
    url, token, seconds, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    stop_at = time.monotonic() + seconds
    counts: dict[str, int] = {}
    retry_after: set[str] = set()
    codes: set[str] = set()
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def note(r: httpx.Response) -> None:
        with lock:
            counts[str(r.status_code)] = counts.get(str(r.status_code), 0) + 1
            if r.status_code >= 400:
                codes.add(r.json()["error"]["code"])
            if "retry-after" in r.headers:
                retry_after.add(r.headers["retry-after"])

    def requests() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30.0) as c:
            while time.monotonic() < stop_at:
                note(c.post("/v1/tracks", json=_track()))

    def chunks(total: int) -> Iterator[bytes]:
        sent = 0
        while sent < total:
            yield b" " * 65536
            sent += 65536

    def bodies() -> None:
        big = b"[" + b" " * (9 << 20) + b"]"
        with httpx.Client(base_url=url, headers=headers, timeout=30.0) as c:
            while time.monotonic() < stop_at:
                note(c.post("/v1/tracks", content=big))
                note(c.post("/v1/messages", content=chunks(9 << 20)))
                note(c.post("/v1/positions", content=chunks(9 << 20)))

    target = requests if mode == "requests" else bodies
    threads = [threading.Thread(target=target) for _ in range(8 if mode == "requests" else 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(
        json.dumps({"counts": counts, "retry_after": sorted(retry_after), "codes": sorted(codes)})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
