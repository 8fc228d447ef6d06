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
import os
import sys
import time

import httpx

from _loopback import PARTIES, proc_stats, run_load, served


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
        result = asyncio.run(run_load([base], tokens, args))
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
