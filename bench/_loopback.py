"""What the benchmarks that drive a real ``deconflict serve`` on loopback share: times
in ISO 8601, a free port, the command line, percentiles, a process's CPU and memory, and
the load itself (:class:`Traffic`, :func:`run_load`: live tracks re-reported at a rate,
probe conflicts injected, alert latency to the other party's stream)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import websockets

from deconflict.geo import dead_reckon
from deconflict.timefmt import iso_ms

__all__ = [
    "BATCH",
    "PARTIES",
    "Served",
    "Traffic",
    "bearer",
    "cli",
    "free_port",
    "paced",
    "percentile",
    "probe_pair",
    "proc_stats",
    "run_load",
    "served",
    "state",
]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str) -> str:
    """``deconflict ARGS``; its standard output (raises if it fails)."""
    out = subprocess.run(
        [sys.executable, "-m", "deconflict.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return out.stdout


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by rank; NaN when empty."""
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def proc_stats(pid: int) -> tuple[float, int, int]:
    """(CPU seconds used, resident bytes now, peak resident bytes) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = peak = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    return cpu, rss, peak


@dataclass
class Served:
    """A running ``deconflict serve`` on a fresh database, with its parties' tokens."""

    base: str
    pid: int
    tokens: dict[str, str]


@contextmanager
def served(store: str, postgres: str, parties: list[str], prefix: str) -> Iterator[Served]:
    """Start ``deconflict serve`` on a fresh SQLite file or PostgreSQL schema (``store``)
    with ``parties`` made and no rate limit; stop it and drop the schema at the end."""
    tmp = Path(tempfile.mkdtemp(prefix=f"deconflict-{prefix}-"))
    schema = None
    if store == "sqlite":
        target = str(tmp / f"{prefix}.db")
    else:
        import psycopg

        schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in postgres else "?"
        target = f"{postgres}{sep}options=-csearch_path%3D{schema}"
    keys = ["--db", target, "--key-dir", str(tmp / "keys")]
    tokens = {name: cli("party", "add", name, *keys).split()[-1] for name in parties}
    port = free_port()
    env = {
        **os.environ,
        "DECONFLICT_RATE_PER_S": "100000",
        "DECONFLICT_BURST": "100000",
        "DECONFLICT_PUBLIC_STATS": "1",  # the detection and commit figures
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "deconflict.cli", "serve", *keys, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield Served(base, server.pid, tokens)
    finally:
        server.terminate()
        server.wait(30)
        if schema is not None:
            import psycopg

            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


PARTIES = 10
BATCH = 250


def state(tid: str, lat: float, lon: float, track_deg: float = 90.0) -> dict[str, Any]:
    """One report of a track at 5,000 m, 200 m/s, level, now."""
    return {
        "id": tid,
        "time": iso_ms(time.time()),
        "lat": lat,
        "lon": lon,
        "alt_m": 5000.0,
        "gs_mps": 200.0,
        "track_deg": track_deg,
        "vs_mps": 0.0,
    }


def probe_pair(k: int, columns: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Probe ``k``: two new tracks 0.05° of longitude apart flying at each other (a
    separation conflict about 14 s ahead), in cell ``k`` of a grid of 0.5° cells ``columns``
    wide south-west of 30°S 60°W, far from other traffic."""
    lat = -30.0 - (k % columns) * 0.5
    lon = -60.0 - (k // columns % columns) * 0.5
    pid = f"probe{k}-{uuid.uuid4().hex[:6]}"
    return state(f"{pid}a", lat, lon), state(f"{pid}b", lat, lon + 0.05, 270.0)


async def paced(
    batch: Callable[[int, float], bytes],
    n: int,
    size: int,
    rate: float,
    stop_at: float,
    rng: random.Random,
) -> AsyncIterator[bytes]:
    """``batch(start, t)`` of ``size`` tracks out of ``n``, in turn, ``rate`` tracks/s at an
    even pace (a random phase first) until ``stop_at`` (``time.monotonic`` seconds)."""
    interval = size / rate
    start = 0
    next_t = time.monotonic() + rng.uniform(0, interval)
    while time.monotonic() < stop_at:
        delay = next_t - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        next_t += interval
        yield batch(start, time.time())
        start = (start + size) % n


def bearer(token: str) -> dict[str, str]:
    """Headers of a JSON request made with ``token``."""
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


class Traffic:
    """Tracks of one party flying straight at 220 m/s from random places, headings and
    flight levels (300 m apart); each report is where the track really is at its time,
    so a conflict keeps its predicted time from one report to the next."""

    def __init__(self, k: int, n: int, rng: random.Random, t0: float) -> None:
        self.t0 = t0
        self.ids = [f"p{k}-{i}" for i in range(n)]
        self.lat_deg = np.array([rng.uniform(20.0, 40.0) for _ in range(n)])
        self.lon_deg = np.array([rng.uniform(20.0, 50.0) for _ in range(n)])
        self.alt = np.array([300.0 * rng.randrange(10, 140) for _ in range(n)])
        self.trk = np.array([rng.uniform(0.0, 360.0) for _ in range(n)])
        self.gs = np.full(n, 220.0)

    def batch(self, start: int, t: float) -> bytes:
        when = iso_ms(t)
        rows = slice(start, min(start + BATCH, len(self.ids)))
        zero = np.zeros(len(self.ids))[rows]
        lat, lon, alt, trk = dead_reckon(
            self.lat_deg[rows], self.lon_deg[rows], self.alt[rows], self.gs[rows], self.trk[rows],
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


async def run_load(
    bases: list[str], tokens: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """Report ``args.tracks`` tracks of :data:`PARTIES` parties at ``args.rate`` updates
    per second for ``args.seconds`` and inject a probe conflict every
    ``args.probe_every`` seconds; party ``k`` reports to ``bases[k % len(bases)]``.

    A probe's first report (probe-a) goes to ``bases[-1]``, its second (probe-b) to
    ``bases[0]``, and its latency runs from that second report to the separation alert
    on probe-a's WebSocket at ``bases[-1]``: with two gateways, the alert crosses from
    one to the other. Returns the accepted rate (updates/s), request and alert latency
    percentiles (ms) and the probes sent and lost."""
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
        tr, headers = traffic[k], bearer(tokens[f"p{k}"])
        # this party's share of the rate
        async for body in paced(tr.batch, per_party, BATCH, args.rate / PARTIES, stop_at, rng):
            t0 = time.perf_counter()
            r = await client.post("/v1/tracks", content=body, headers=headers)
            post_ms.append((time.perf_counter() - t0) * 1000)
            if r.status_code == 200:
                accepted += r.json()["accepted"]
            else:
                rejected += 1

    async def listener() -> None:
        url = bases[-1].replace("http://", "ws://") + "/v1/stream"
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

    async def prober(first: httpx.AsyncClient, second: httpx.AsyncClient) -> None:
        k = 0
        await asyncio.sleep(1.0)
        while time.monotonic() < stop_at - 1:
            k += 1
            a, b = probe_pair(k, 50)
            await first.post(
                "/v1/tracks", json=[a], headers={"Authorization": f"Bearer {tokens['probe-a']}"}
            )
            sent_probes[a["id"]] = time.perf_counter()
            r = await second.post(
                "/v1/tracks", json=[b], headers={"Authorization": f"Bearer {tokens['probe-b']}"}
            )
            sent_probes[a["id"]] = time.perf_counter() - r.elapsed.total_seconds()
            await asyncio.sleep(args.probe_every)

    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=b, limits=limits, timeout=30.0)
            )
            for b in bases
        ]
        listen = asyncio.ensure_future(listener())
        await asyncio.sleep(0.5)
        t_start = time.monotonic()
        await asyncio.gather(
            *(reporter(k, clients[k % len(clients)]) for k in range(PARTIES)),
            prober(clients[-1], clients[0]),
        )
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
        "accepted": accepted,
        "load_s": elapsed,
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
