"""A hostile party floods the line with conflicts: what the other parties see meanwhile.

Starts ``deconflict serve`` on a fresh SQLite file with three parties. The victim flies
``--victim`` aircraft; the hostile party puts ``--hostile`` tracks on top of them (spread
over the victim's aircraft, same place and level), so that every hostile track is in
conflict with one victim aircraft and with the other hostile tracks there, and keeps
re-reporting them. Meanwhile a third party and the victim put a probe pair on a collision
course every ``--probe-every`` seconds far away; the time from the probe's second report
to the separation alert on the victim's WebSocket is the latency a bystander conflict
gets during the flood. The victim's own ``GET /v1/tracks`` is timed throughout.

Prints the alerts raised, the probe latency p50/p99/max and lost probes, the victim's
request latency p50/p99/max, and the server's CPU and peak memory.

    python bench/alert_flood.py --hostile 5000 --seconds 30

Traffic goes to 127.0.0.1 only, bounded in count and time. The service runs with no
request rate limit (the worst case: a party with many connections).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from typing import Any

import httpx
import websockets

from _loopback import percentile, probe_pair, proc_stats, served, state

BATCH = 1000


async def run(base: str, tokens: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(11)
    auth = {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}
    spots = [(35.0 + 0.3 * (i // 10), 38.0 + 0.3 * (i % 10)) for i in range(args.victim)]
    stop_at = time.monotonic() + args.seconds
    sent: dict[str, float] = {}
    got: dict[str, float] = {}
    victim_ms: list[float] = []
    flood_ids: set[str] = set()
    closed: list[str] = []
    hostile_posts: list[float] = []

    def victim_batch() -> list[dict[str, Any]]:
        return [state(f"v{i}", lat, lon) for i, (lat, lon) in enumerate(spots)]

    def hostile_batch(start: int) -> list[dict[str, Any]]:
        out = []
        for j in range(start, min(start + BATCH, args.hostile)):
            lat, lon = spots[j % len(spots)]
            out.append(
                state(f"h{j}", lat + rng.uniform(-0.002, 0.002), lon + rng.uniform(-0.002, 0.002))
            )
        return out

    async def victim(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            await client.post("/v1/tracks", json=victim_batch(), headers=auth["victim"])
            t0 = time.perf_counter()
            r = await client.get("/v1/tracks", headers=auth["victim"])
            r.raise_for_status()
            victim_ms.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.2)

    async def hostile(client: httpx.AsyncClient) -> None:
        await asyncio.sleep(2.0)
        while time.monotonic() < stop_at:
            for start in range(0, args.hostile, BATCH):
                t0 = time.perf_counter()
                await client.post("/v1/tracks", json=hostile_batch(start), headers=auth["hostile"])
                hostile_posts.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(args.hostile_every)

    async def listener() -> None:
        url = base.replace("http://", "ws://") + "/v1/stream"
        async with websockets.connect(url, additional_headers=auth["victim"], max_size=None) as ws:
            while time.monotonic() < stop_at + 10:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
                except TimeoutError:
                    continue
                except websockets.ConnectionClosed as e:
                    why = e.rcvd
                    closed.append(f"{why.code} {why.reason}" if why else "closed")
                    return
                ev = json.loads(raw)
                if ev.get("type") != "alert" or ev["alert"]["kind"] != "separation":
                    continue
                subjects = ev["alert"]["subjects"]
                if any(s.startswith("h") for s in subjects):
                    flood_ids.add(ev["alert"]["id"])
                for s in subjects:
                    if s in sent and s not in got:
                        got[s] = time.perf_counter()

    async def prober(client: httpx.AsyncClient) -> None:
        k = 0
        await asyncio.sleep(3.0)
        while time.monotonic() < stop_at - 2:
            k += 1
            a, b = probe_pair(k, 50)
            await client.post("/v1/tracks", json=[a], headers=auth["victim"])
            t0 = time.perf_counter()
            await client.post("/v1/tracks", json=[b], headers=auth["third"])
            pid = a["id"]
            sent[pid] = t0
            await asyncio.sleep(args.probe_every)

    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) as client:
        listen = asyncio.ensure_future(listener())
        await asyncio.sleep(0.5)
        await asyncio.gather(victim(client), hostile(client), prober(client))
        await asyncio.sleep(8.0)
        listen.cancel()
    latencies = sorted((got[p] - t0) * 1000 for p, t0 in sent.items() if p in got)
    victim_ms.sort()
    return {
        "hostile_tracks": args.hostile,
        "flood_alerts_seen": len(flood_ids),
        "hostile_post_ms_max": max(hostile_posts, default=float("nan")),
        "victim_stream_closed": "; ".join(closed) or "no",
        "probes": len(sent),
        "probes_lost": len(sent) - len(latencies),
        "probe_alert_ms_p50": percentile(latencies, 0.5),
        "probe_alert_ms_p99": percentile(latencies, 0.99),
        "probe_alert_ms_max": latencies[-1] if latencies else float("nan"),
        "victim_get_ms_p50": percentile(victim_ms, 0.5),
        "victim_get_ms_p99": percentile(victim_ms, 0.99),
        "victim_get_ms_max": victim_ms[-1] if victim_ms else float("nan"),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--victim", type=int, default=10, help="the victim's aircraft")
    p.add_argument("--hostile", type=int, default=5000, help="hostile tracks on top of them")
    p.add_argument("--hostile-every", type=float, default=5.0, help="seconds between re-reports")
    p.add_argument("--seconds", type=float, default=30.0, help="length of the run")
    p.add_argument("--probe-every", type=float, default=0.5, help="seconds between probes")
    args = p.parse_args()
    if not (1 <= args.victim <= 100 and 0 <= args.hostile <= 20_000 and args.seconds <= 300):
        p.error("--victim 1..100, --hostile 0..20000, --seconds at most 300")
    with served("sqlite", "", ["victim", "third", "hostile"], "flood") as s:
        out = asyncio.run(run(s.base, s.tokens, args))
        cpu, _, peak = proc_stats(s.pid)
    out["server_cpu_s"] = cpu
    out["server_peak_mib"] = peak / 2**20
    for k, v in out.items():
        print(f"{k:28} {v:,.1f}" if isinstance(v, float) else f"{k:28} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
