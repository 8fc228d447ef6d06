"""Load on a real service: live tracks re-reported at a set rate, probe conflicts injected.

Starts ``deconflict serve`` on a fresh database (SQLite, or PostgreSQL with
``--store postgres``), creates parties, and for ``--seconds`` re-reports ``--tracks``
tracks spread over ten parties at ``--rate`` updates per second over HTTP on loopback.
Every ``--probe-every`` seconds (0.25) a probe pair of two other parties is put on a
collision course; the time from the probe's second report to the separation alert on the
first probe party's WebSocket is its latency. Prints the accepted rate, latency
p50/p99/max, lost probes, and the server's CPU and peak memory.

    python bench/service.py --rate 10000 --seconds 30
    python bench/service.py --rate 1000 --store postgres

Traffic and probes go to 127.0.0.1 only, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from typing import Any

import httpx
import numpy as np
import websockets

from _loopback import iso, percentile, proc_stats, served
from deconflict.geo import dead_reckon

PARTIES = 10
BATCH = 250


class Traffic:
    """Tracks of one party flying straight at 220 m/s from random places, headings and
    flight levels (300 m apart); each report is where the track really is at its time,
    so a conflict keeps its predicted time from one report to the next."""

    def __init__(self, k: int, n: int, rng: random.Random, t0: float) -> None:
        self.t0 = t0
        self.ids = [f"p{k}-{i}" for i in range(n)]
        self.lat = np.array([rng.uniform(20.0, 40.0) for _ in range(n)])
        self.lon = np.array([rng.uniform(20.0, 50.0) for _ in range(n)])
        self.alt = np.array([300.0 * rng.randrange(10, 140) for _ in range(n)])
        self.trk = np.array([rng.uniform(0.0, 360.0) for _ in range(n)])
        self.gs = np.full(n, 220.0)

    def batch(self, start: int, t: float) -> bytes:
        when = iso(t)
        rows = slice(start, min(start + BATCH, len(self.ids)))
        zero = np.zeros(len(self.ids))[rows]
        lat, lon, alt, trk = dead_reckon(
            self.lat[rows], self.lon[rows], self.alt[rows], self.gs[rows], self.trk[rows],
            zero, t - self.t0,
        )  # fmt: skip
        lon = (lon + 180.0) % 360.0 - 180.0
        items = [
            {
                "id": tid,
                "time": when,
                "lat": float(a),
                "lon": float(o),
                "alt_m": float(h),
                "gs_mps": 220.0,
                "track_deg": float(c),
                "vs_mps": 0.0,
            }
            for tid, a, o, h, c in zip(self.ids[rows], lat, lon, alt, trk, strict=True)
        ]
        return json.dumps(items).encode()


async def run_load(base: str, tokens: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    per_party = args.tracks // PARTIES
    t_start = time.time()
    traffic = [Traffic(k, per_party, rng, t_start) for k in range(PARTIES)]
    accepted = 0
    rejected = 0
    post_ms: list[float] = []
    latencies: list[float] = []
    sent_probes: dict[str, float] = {}
    got: dict[str, float] = {}
    stop_at = time.monotonic() + args.seconds
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)

    async def reporter(k: int, client: httpx.AsyncClient) -> None:
        nonlocal accepted, rejected
        tr = traffic[k]
        # this party's share of the rate, in batches per second
        interval = BATCH / (args.rate / PARTIES)
        start = 0
        next_t = time.monotonic() + rng.uniform(0, interval)
        headers = {"Authorization": f"Bearer {tokens[f'p{k}']}", "Content-Type": "application/json"}
        while time.monotonic() < stop_at:
            delay = next_t - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            next_t += interval
            body = tr.batch(start, time.time())
            start = (start + BATCH) % per_party
            t0 = time.perf_counter()
            r = await client.post("/v1/tracks", content=body, headers=headers)
            post_ms.append((time.perf_counter() - t0) * 1000)
            if r.status_code == 200:
                accepted += r.json()["accepted"]
            else:
                rejected += 1

    async def listener() -> None:
        url = base.replace("http://", "ws://") + "/v1/stream"
        async with websockets.connect(
            url,
            additional_headers={"Authorization": f"Bearer {tokens['probe-a']}"},
            max_size=None,
        ) as ws:
            while time.monotonic() < stop_at + 5:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
                except TimeoutError:
                    continue
                ev = json.loads(raw)
                if ev.get("type") == "alert" and ev["alert"]["kind"] == "separation":
                    for s in ev["alert"]["subjects"]:
                        if s in sent_probes and s not in got:
                            got[s] = time.perf_counter()

    async def prober(client: httpx.AsyncClient) -> None:
        k = 0
        await asyncio.sleep(1.0)
        while time.monotonic() < stop_at - 1:
            k += 1
            lat = -30.0 - (k % 50) * 0.5
            lon = -60.0 - (k // 50) * 0.5
            pid = f"probe{k}-{uuid.uuid4().hex[:6]}"
            a = {
                "id": f"{pid}a",
                "time": iso(time.time()),
                "lat": lat,
                "lon": lon,
                "alt_m": 5000.0,
                "gs_mps": 200.0,
                "track_deg": 90.0,
                "vs_mps": 0.0,
            }
            b = dict(a, id=f"{pid}b", lon=lon + 0.05, track_deg=270.0)
            await client.post(
                "/v1/tracks", json=[a], headers={"Authorization": f"Bearer {tokens['probe-a']}"}
            )
            sent_probes[a["id"]] = time.perf_counter()
            r = await client.post(
                "/v1/tracks", json=[b], headers={"Authorization": f"Bearer {tokens['probe-b']}"}
            )
            sent_probes[a["id"]] = time.perf_counter() - r.elapsed.total_seconds()
            await asyncio.sleep(args.probe_every)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        listen = asyncio.ensure_future(listener())
        await asyncio.sleep(0.5)
        t_start = time.monotonic()
        await asyncio.gather(*(reporter(k, client) for k in range(PARTIES)), prober(client))
        elapsed = time.monotonic() - t_start
        await asyncio.sleep(3.0)
        listen.cancel()
    for pid, t0 in sent_probes.items():
        if pid in got:
            latencies.append((got[pid] - t0) * 1000)
    latencies.sort()
    post_ms.sort()

    pct = percentile
    return {
        "accepted_per_s": accepted / elapsed,
        "rejected_requests": rejected,
        "post_ms_p50": pct(post_ms, 0.5),
        "post_ms_p99": pct(post_ms, 0.99),
        "probes": len(sent_probes),
        "probes_lost": len(sent_probes) - len(latencies),
        "alert_ms_p50": pct(latencies, 0.5),
        "alert_ms_p99": pct(latencies, 0.99),
        "alert_ms_max": latencies[-1] if latencies else float("nan"),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=10_000.0, help="track updates per second")
    p.add_argument("--tracks", type=int, default=10_000, help="live tracks")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the run")
    p.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--probe-every", type=float, default=0.25, help="seconds between probes")
    p.add_argument(
        "--postgres",
        default=os.environ.get(
            "DECONFLICT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = p.parse_args()
    parties = [*(f"p{k}" for k in range(PARTIES)), "probe-a", "probe-b"]
    with served(args.store, args.postgres, parties, "bench") as server:
        base, tokens = server.base, server.tokens
        cpu0, _, _ = proc_stats(server.pid)
        own0 = time.process_time()
        t0 = time.monotonic()
        result = asyncio.run(run_load(base, tokens, args))
        cpu1, _, peak = proc_stats(server.pid)
        status = httpx.get(
            base + "/v1/status", headers={"Authorization": f"Bearer {tokens['p0']}"}
        ).json()
        result["detection_runs"] = status["steps"]
        result["detection_max_ms"] = float(status["max_step_ms"])
        result["commit_batches"] = status["commit_batches"]
        result["p0_alerts_live_at_end"] = status["alerts_live"]
        wall = time.monotonic() - t0
        result["server_cpu_cores"] = (cpu1 - cpu0) / wall
        result["load_generator_cpu_cores"] = (time.process_time() - own0) / wall
        result["server_peak_rss_mib"] = peak / 2**20
    print(
        f"service {args.store}: {args.tracks} tracks, target {args.rate:g} updates/s, "
        f"{args.seconds:g} s on {os.cpu_count()} cores"
    )
    for k, v in result.items():
        print(f"  {k:22s} {v:,.1f}" if isinstance(v, float) else f"  {k:22s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
