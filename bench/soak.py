"""Soak: a real service under steady load for a long, bounded time, sampled as it goes.

Starts ``deconflict serve`` on a fresh database (SQLite, or PostgreSQL with ``--store
postgres``), creates ten traffic parties and two probe parties, and for ``--seconds``
re-reports ``--tracks`` tracks at ``--rate`` updates per second over HTTP on loopback.
Every ``--probe-every`` seconds a probe pair of the two probe parties is put on a
collision course far from the traffic; the time from the probe's second report to the
separation alert on the first probe party's WebSocket is the alert latency.

Every ``--window`` seconds it prints one line: updates accepted per second, request
latency p50/p99, alert latency p50/p99, probes sent and lost, the server's resident
memory and CPU. At the end: the memory trend after warm-up (MiB per minute, least
squares over the samples), lost probes, and how latency moved from the first windows
to the last. Defaults: 10 minutes at 5,000 updates/s.

    python bench/soak.py                           # 600 s, 5000 updates/s, SQLite
    python bench/soak.py --seconds 120 --rate 2000 # a shorter run
    python bench/soak.py --json soak.json          # also write every sample

Traffic and probes go to 127.0.0.1 only, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from _loopback import bearer, paced, probe_pair, served
from _loopback import percentile as pct
from deconflict.timefmt import iso_ms

PARTIES = 10
BATCH = 250


def rss_and_cpu(pid: int) -> tuple[int, float]:
    """(resident bytes, CPU seconds used) of a process."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Window:
    """What one sampling window saw."""

    start_s: float
    accepted: int = 0
    refused: int = 0
    post_ms: list[float] = field(default_factory=list)
    alert_ms: list[float] = field(default_factory=list)
    probes: int = 0
    lost: int = 0
    rss: list[int] = field(default_factory=list)
    cpu_s: float = 0.0


class Traffic:
    """One party's tracks on random straight courses, reported in batches."""

    def __init__(self, k: int, n: int, rng: random.Random) -> None:
        self.ids = [f"p{k}-{i}" for i in range(n)]
        self.lat_deg = [rng.uniform(20.0, 40.0) for _ in range(n)]
        self.lon_deg = [rng.uniform(20.0, 50.0) for _ in range(n)]
        self.alt = [300.0 * rng.randrange(10, 140) for _ in range(n)]
        self.trk = [rng.uniform(0.0, 360.0) for _ in range(n)]

    def batch(self, start: int, t: float) -> bytes:
        when = iso_ms(t)
        return json.dumps(
            [
                {
                    "id": self.ids[i],
                    "time": when,
                    "lat": self.lat_deg[i],
                    "lon": self.lon_deg[i],
                    "alt_m": self.alt[i],
                    "gs_mps": 220.0,
                    "track_deg": self.trk[i],
                    "vs_mps": 0.0,
                }
                for i in range(start, min(start + BATCH, len(self.ids)))
            ]
        ).encode()


async def soak(
    base: str, tokens: dict[str, str], pid: int, args: argparse.Namespace
) -> list[Window]:
    rng = random.Random(7)
    per_party = max(1, args.tracks // PARTIES)
    traffic = [Traffic(k, per_party, rng) for k in range(PARTIES)]
    t_start = time.monotonic()
    stop_at = t_start + args.seconds
    windows: list[Window] = []
    sent: dict[str, tuple[float, int]] = {}
    got: set[str] = set()

    def index() -> int:
        k = max(0, int((time.monotonic() - t_start) // args.window))
        while len(windows) <= k:
            windows.append(Window(len(windows) * args.window))
        return k

    def window() -> Window:
        return windows[index()]

    async def reporter(k: int, client: httpx.AsyncClient) -> None:
        tr, headers = traffic[k], bearer(tokens[f"p{k}"])
        async for body in paced(tr.batch, per_party, BATCH, args.rate / PARTIES, stop_at, rng):
            t0 = time.perf_counter()
            try:
                r = await client.post("/v1/tracks", content=body, headers=headers)
            except httpx.HTTPError:
                window().refused += 1
                continue
            w = window()
            w.post_ms.append((time.perf_counter() - t0) * 1000)
            if r.status_code == 200:
                w.accepted += r.json()["accepted"]
            else:
                w.refused += 1

    async def listener() -> None:
        url = base.replace("http://", "ws://") + "/v1/stream"
        headers = {"Authorization": f"Bearer {tokens['probe-a']}"}
        async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
            while time.monotonic() < stop_at + 10:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
                except TimeoutError:
                    continue
                ev = json.loads(raw)
                if ev.get("type") != "alert" or ev["alert"]["kind"] != "separation":
                    continue
                for s in ev["alert"]["subjects"]:
                    if s in sent and s not in got:
                        got.add(s)
                        t0, k = sent[s]
                        windows[k].alert_ms.append((time.perf_counter() - t0) * 1000)

    async def prober(client: httpx.AsyncClient) -> None:
        k = 0
        await asyncio.sleep(1.0)
        while time.monotonic() < stop_at - 2:
            k += 1
            a, b = probe_pair(k, 60)
            await client.post(
                "/v1/tracks", json=[a], headers={"Authorization": f"Bearer {tokens['probe-a']}"}
            )
            k_w = index()
            t0 = time.perf_counter()
            await client.post(
                "/v1/tracks", json=[b], headers={"Authorization": f"Bearer {tokens['probe-b']}"}
            )
            sent[a["id"]] = (t0, k_w)
            windows[k_w].probes += 1
            await asyncio.sleep(args.probe_every)

    async def sampler() -> None:
        _, cpu0 = rss_and_cpu(pid)
        while time.monotonic() < stop_at:
            await asyncio.sleep(min(5.0, args.window / 2))
            rss, cpu = rss_and_cpu(pid)
            w = window()
            w.rss.append(rss)
            w.cpu_s += cpu - cpu0
            cpu0 = cpu

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) as client:
        listen = asyncio.ensure_future(listener())
        await asyncio.sleep(0.5)
        t_start = time.monotonic()
        stop_at = t_start + args.seconds
        tasks = [reporter(k, client) for k in range(PARTIES)]
        await asyncio.gather(*tasks, prober(client), sampler())
        await asyncio.sleep(5.0)
        listen.cancel()
    for name, (_, k) in sent.items():
        if name not in got:
            windows[k].lost += 1
    # answers that came in after the end belong to the last whole window
    whole = max(1, int(args.seconds // args.window))
    for w in windows[whole:]:
        last = windows[whole - 1]
        last.accepted += w.accepted
        last.refused += w.refused
        last.post_ms += w.post_ms
        last.alert_ms += w.alert_ms
        last.probes += w.probes
        last.lost += w.lost
    return windows[:whole]


def report(windows: list[Window], args: argparse.Namespace) -> dict[str, Any]:
    print(
        f"{'t s':>6} {'upd/s':>7} {'refused':>7} {'post p50':>8} {'p99':>7} "
        f"{'alert p50':>9} {'p99':>7} {'probes':>6} {'lost':>4} {'rss MiB':>8} {'cpu':>5}"
    )
    for w in windows:
        rss = w.rss[-1] / 2**20 if w.rss else float("nan")
        print(
            f"{w.start_s:6.0f} {w.accepted / args.window:7.0f} {w.refused:7d} "
            f"{pct(w.post_ms, 0.5):8.1f} {pct(w.post_ms, 0.99):7.1f} "
            f"{pct(w.alert_ms, 0.5):9.1f} {pct(w.alert_ms, 0.99):7.1f} {w.probes:6d} "
            f"{w.lost:4d} {rss:8.1f} {w.cpu_s / args.window:5.2f}"
        )
    warm = [w for w in windows if w.start_s >= args.warmup and w.rss]
    samples = [(w.start_s, r / 2**20) for w in warm for r in w.rss]
    slope = float("nan")
    if len(samples) >= 2:
        xs, ys = [s[0] / 60.0 for s in samples], [s[1] for s in samples]
        slope = statistics.linear_regression(xs, ys).slope
    third = max(1, len(warm) // 3)
    head, tail = warm[:third], warm[-third:]

    def joined(ws: list[Window], attr: str) -> list[float]:
        return [x for w in ws for x in getattr(w, attr)]

    summary = {
        "seconds": args.seconds,
        "target_updates_per_s": args.rate,
        "accepted_updates_per_s": sum(w.accepted for w in windows) / args.seconds,
        "refused_requests": sum(w.refused for w in windows),
        "probes": sum(w.probes for w in windows),
        "probes_lost": sum(w.lost for w in windows),
        "rss_mib_first": samples[0][1] if samples else float("nan"),
        "rss_mib_last": samples[-1][1] if samples else float("nan"),
        "rss_mib_max": max((s[1] for s in samples), default=float("nan")),
        "rss_slope_mib_per_min": slope,
        "post_ms_p50_first_third": pct(joined(head, "post_ms"), 0.5),
        "post_ms_p50_last_third": pct(joined(tail, "post_ms"), 0.5),
        "post_ms_p99_first_third": pct(joined(head, "post_ms"), 0.99),
        "post_ms_p99_last_third": pct(joined(tail, "post_ms"), 0.99),
        "alert_ms_p50_first_third": pct(joined(head, "alert_ms"), 0.5),
        "alert_ms_p50_last_third": pct(joined(tail, "alert_ms"), 0.5),
        "alert_ms_p99_all": pct(joined(windows, "alert_ms"), 0.99),
        "alert_ms_max": max(joined(windows, "alert_ms"), default=float("nan")),
    }
    print(
        f"soak: {args.seconds:g} s at {args.rate:g} updates/s ({args.store}, {args.tracks} "
        f"tracks, {os.cpu_count()} cores); trends after {args.warmup:g} s warm-up:"
    )
    for k, v in summary.items():
        print(f"  {k:28s} {v:,.2f}" if isinstance(v, float) else f"  {k:28s} {v}")
    return summary


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=600.0, help="length of the run (600)")
    p.add_argument("--rate", type=float, default=5000.0, help="track updates per second (5000)")
    p.add_argument("--tracks", type=int, default=5000, help="live tracks (5000)")
    p.add_argument("--window", type=float, default=30.0, help="sampling window, s (30)")
    p.add_argument("--warmup", type=float, default=60.0, help="left out of the trends, s (60)")
    p.add_argument("--probe-every", type=float, default=1.0, help="seconds between probes (1)")
    p.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--postgres",
        default=os.environ.get(
            "DECONFLICT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    p.add_argument("--json", metavar="FILE", help="also write the windows and summary here")
    args = p.parse_args()
    if not 0 < args.seconds <= 24 * 3600 or args.rate <= 0 or args.window <= 0:
        p.error("--seconds in (0, 86400], --rate and --window > 0")
    args.warmup = min(args.warmup, args.seconds / 3)
    parties = [*(f"p{k}" for k in range(PARTIES)), "probe-a", "probe-b"]
    with served(args.store, args.postgres, parties, "soak") as server:
        base, tokens = server.base, server.tokens
        windows = asyncio.run(soak(base, tokens, server.pid, args))
        summary = report(windows, args)
    if args.json:
        rows = [
            {
                "t_s": w.start_s,
                "accepted": w.accepted,
                "refused": w.refused,
                "post_ms_p50": pct(w.post_ms, 0.5),
                "post_ms_p99": pct(w.post_ms, 0.99),
                "alert_ms": w.alert_ms,
                "probes": w.probes,
                "lost": w.lost,
                "rss_mib": [r / 2**20 for r in w.rss],
                "cpu_cores": w.cpu_s / args.window,
            }
            for w in windows
        ]
        Path(args.json).write_text(json.dumps({"summary": summary, "windows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
