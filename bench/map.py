"""Frame time of the map page with 10,000 own tracks moving.

Starts ``deconflict serve`` on a scratch SQLite file, creates one party, reports N tracks
spread over the map's area (random headings, 100–250 m/s) and reports them again, moved
on, every ``--repost`` seconds while it measures. The page (Debian's chromium, headless,
driven by Playwright) polls its tracks every second, dead-reckons them every frame and
draws them with their predicted-path whiskers. Frame time is the delta between
successive ``requestAnimationFrame`` callbacks (``performance.now()``), measured in the
page over ``--seconds``; draw time is the map's own drawing per frame.

Two modes: ``every-frame`` (the map redraws all tracks on every frame: the worst case)
and ``as-needed`` (the page's normal policy: redraw when something changed or a track
moved half a pixel).

    .venv/bin/python bench/map.py            # --tracks 10000 --seconds 10 --repost 2
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from _loopback import cli, free_port, percentile
from deconflict.timefmt import iso_ms

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TARGET_P95_MS = 50.0
BOX = (31.0, 35.5, 37.5, 42.5)  # south, west, north, east (degrees)
R = 6371008.8

MEASURE = """async ([seconds, every]) => {
  const map = window.deconflict.map;
  map.alwaysRedraw = every;
  const deltas = [];
  const draws = [];
  let frames0 = map.frames;
  await new Promise((done) => {
    let last = performance.now();
    const end = last + seconds * 1000;
    const tick = (now) => {
      deltas.push(now - last);
      last = now;
      if (map.frames !== frames0) {
        draws.push(map.lastFrame.drawMs);
        frames0 = map.frames;
      }
      if (now < end) requestAnimationFrame(tick);
      else done();
    };
    requestAnimationFrame(tick);
  });
  map.alwaysRedraw = false;
  return { deltas, draws, drawn: map.lastFrame.own, total: map.lastFrame.ownTotal };
}"""


class Fleet:
    """N tracks flying straight; ``reports(t)`` gives their states at time t."""

    def __init__(self, n: int, seed: int) -> None:
        rng = random.Random(seed)
        s, w, nn, e = BOX
        self.t0 = time.time()
        self.rows = [
            (
                f"t{i:05d}",
                rng.uniform(s, nn),
                rng.uniform(w, e),
                rng.uniform(3000.0, 12000.0),
                rng.uniform(100.0, 250.0),
                rng.uniform(0.0, 360.0),
            )
            for i in range(n)
        ]

    def reports(self, t: float) -> list[dict[str, Any]]:
        dt = t - self.t0
        out = []
        for id_, lat, lon, alt, gs, trk in self.rows:
            a = math.radians(trk)
            lat2 = lat + math.degrees(gs * math.cos(a) * dt / R)
            lon2 = lon + math.degrees(gs * math.sin(a) * dt / (R * math.cos(math.radians(lat))))
            out.append(
                {
                    "id": id_,
                    "time": iso_ms(t),
                    "lat": round(max(-89.0, min(89.0, lat2)), 6),
                    "lon": round((lon2 + 180.0) % 360.0 - 180.0, 6),
                    "alt_m": alt,
                    "gs_mps": gs,
                    "track_deg": trk,
                    "vs_mps": 0.0,
                }
            )
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--repost", type=float, default=2.0, help="seconds between reports")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=850)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--screenshot", metavar="PNG", help="save the page as it was measured")
    ap.add_argument(
        "--cpu-slowdown",
        type=float,
        default=1.0,
        metavar="X",
        help="run the page's CPU X times slower (DevTools throttling), as on a weaker machine",
    )
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run scripts/install-browser.sh", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="deconflict-map-bench-"))
    db, keys = str(work / "bench.db"), str(work / "keys")
    token = cli("party", "add", "bench", "--db", db, "--key-dir", keys).strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(work / "serve.log", "ab") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deconflict.cli",
                "serve",
                "--db",
                db,
                "--key-dir",
                keys,
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ,
        )
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"server did not start: {(work / 'serve.log').read_text()}")
            time.sleep(0.2)
        fleet = Fleet(args.tracks, args.seed)
        http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120.0
        )
        post_s: list[float] = []

        def report() -> None:
            t = time.perf_counter()
            r = http.post("/v1/tracks", json=fleet.reports(time.time()))
            r.raise_for_status()
            post_s.append(time.perf_counter() - t)

        def keep_reporting() -> None:
            while not stop.wait(args.repost):
                report()

        report()
        mover = threading.Thread(target=keep_reporting, daemon=True)
        mover.start()
        results = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            # the harness evaluates strings in the page, which its own policy forbids
            page = browser.new_page(
                viewport={"width": args.width, "height": args.height}, bypass_csp=True
            )
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/#token={token}")
            page.wait_for_function(
                f"window.deconflict && window.deconflict.state.tracks.n === {args.tracks}",
                timeout=60_000,
            )
            if args.cpu_slowdown > 1:
                cdp = page.context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu_slowdown})
            page.click("#fit")
            page.wait_for_timeout(2000)
            version = browser.version
            for mode, every in (("every-frame", True), ("as-needed", False)):
                results[mode] = page.evaluate(MEASURE, [args.seconds, every])
            if args.screenshot:
                page.screenshot(path=args.screenshot)
            browser.close()
        if errors:
            print("page errors:", errors, file=sys.stderr)
            return 1
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    print(
        f"map frame time: {args.tracks} own tracks moving, {args.width}x{args.height}, "
        f"chromium {version} headless (software rendering), {os.cpu_count()} CPUs, "
        f"load {load:.1f}, CPU slowdown {args.cpu_slowdown:g}x, {platform.platform()}"
    )
    print(
        f"reports: {len(post_s)} of {args.tracks} tracks, "
        f"median {percentile([p * 1000 for p in post_s], 0.50):.0f} ms each"
    )
    ok = True
    for mode, r in results.items():
        deltas = r["deltas"][1:]
        draws = r["draws"]
        p50, p95 = percentile(deltas, 0.50), percentile(deltas, 0.95)
        line = (
            f"{mode:12s} frames {len(deltas):4d}  frame p50 {p50:5.1f} ms  p95 {p95:5.1f} ms"
            f"  max {max(deltas):6.1f} ms  |  draws {len(draws):4d}  draw p50 "
            f"{percentile(draws, 0.50):5.1f} ms  p95 {percentile(draws, 0.95):5.1f} ms  "
            f"({r['drawn']} of {r['total']} tracks in view)"
        )
        print(line)
        if mode == "every-frame":
            ok = p95 < TARGET_P95_MS
            print(
                f"target: frame p95 < {TARGET_P95_MS:.0f} ms with every frame redrawn: "
                f"{'met' if ok else 'NOT met'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
