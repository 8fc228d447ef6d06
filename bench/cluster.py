"""The same load on a single node and on a cluster, in one run, and what each part costs.

(a) ``deconflict serve`` alone on a fresh PostgreSQL database (as ``bench/service.py
--store postgres``); (b) the cluster on loopback: three NATS JetStream servers, an
active and a standby recorder, ``--detectors`` detectors (2; 0: the recorder detects),
``--hotlines`` hotlines (1; 0: the recorder watches the deadlines), two gateways, the
reporting parties spread over both gateways (a probe's second report goes to one
gateway, the alert is awaited on the other's stream). For each: the sustained accepted
update rate, request and alert latency (p50/p99/max, from the probe's second report to
the other party's WebSocket), lost probes, CPU seconds of every process (the server; the
recorders, each gateway, each NATS server; the PostgreSQL backends of the database) and
CPU µs per accepted update; for the cluster also the bytes per update that clients put
on the bus (by role) and that the NATS servers took in (clients, routes and JetStream
replication); then the cluster/single ratios. Before the load, 200 sequential ``GET
/v1/log/head`` measure one call's round trip (the cluster's includes the hop to the
recorder and back).

    python bench/cluster.py --rate 1000
    python bench/cluster.py --rate 10000 --seconds 20

Everything listens on 127.0.0.1; every process started is stopped and both databases
created are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx

from _cluster import NatsServers, backend_pids, cluster, drop_database, fresh_database
from _loopback import PARTIES, percentile, proc_stats, run_load, served

HOP_CALLS = 200


def hop_ms(base: str, token: str) -> tuple[float, float]:
    """p50 and p99 (ms) of ``HOP_CALLS`` sequential ``GET /v1/log/head`` at ``base``."""
    took: list[float] = []
    with httpx.Client(base_url=base, timeout=10) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(HOP_CALLS):
            t0 = time.perf_counter()
            client.get("/v1/log/head", headers=headers).raise_for_status()
            took.append((time.perf_counter() - t0) * 1000)
    return percentile(took, 0.5), percentile(took, 0.99)


def cpu_of(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process (gone ones count 0)."""
    out = {}
    for name, pid in pids.items():
        try:
            out[name] = proc_stats(pid)[0]
        except (FileNotFoundError, ProcessLookupError):
            out[name] = 0.0
    return out


def bus_bytes(nats: NatsServers) -> tuple[dict[str, int], int]:
    """Bytes clients sent into the bus so far, by client name, and the bytes all servers
    took in (clients, routes, replication)."""
    by_name: dict[str, int] = defaultdict(int)
    for c in nats.connections().values():
        by_name[str(c.get("name", "?"))] += int(c["in_bytes"])
    return dict(by_name), sum(int(v["in_bytes"]) for v in nats.varz())


def measure(
    bases: list[str],
    tokens: dict[str, str],
    args: argparse.Namespace,
    pids: dict[str, int],
    backends: Callable[[], list[int]],
    nats: NatsServers | None,
) -> dict[str, Any]:
    """The load of :func:`~_loopback.run_load` on ``bases``, with the CPU of ``pids``
    and of the PostgreSQL backends, and the bus's bytes when there is a bus."""
    result: dict[str, Any] = {}
    result["hop_ms_p50"], result["hop_ms_p99"] = hop_ms(bases[-1], tokens["p0"])
    pg = {f"postgres {pid}": pid for pid in backends()}
    cpu0 = cpu_of({**pids, **pg})
    bus0 = bus_bytes(nats) if nats else None
    t0 = time.monotonic()
    own0 = time.process_time()
    result.update(asyncio.run(run_load(bases, tokens, args)))
    wall = time.monotonic() - t0
    own = time.process_time() - own0
    cpu1 = cpu_of({**pids, **pg})
    bus1 = bus_bytes(nats) if nats else None
    status = httpx.get(
        bases[0] + "/v1/status", headers={"Authorization": f"Bearer {tokens['p0']}"}, timeout=30
    ).json()
    result["detection_runs"] = status["steps"]
    result["detection_max_ms"] = float(status["max_step_ms"])
    result["commit_batches"] = status["commit_batches"]
    updates = max(1, result["accepted"])
    cpu = {name: cpu1[name] - cpu0[name] for name in pids}
    cpu["postgres backends"] = sum(cpu1[n] - cpu0[n] for n in pg)
    result["cpu_s"] = cpu
    result["cpu_us_per_update"] = {n: s / updates * 1e6 for n, s in cpu.items()}
    result["cpu_total_s"] = sum(cpu.values())
    result["load_generator_cpu_s"] = own
    result["wall_s"] = wall
    if bus0 is not None and bus1 is not None:
        names = set(bus0[0]) | set(bus1[0])
        sent = {n: bus1[0].get(n, 0) - bus0[0].get(n, 0) for n in names}
        result["bus_bytes_per_update"] = {n: b / updates for n, b in sorted(sent.items())}
        result["bus_servers_in_bytes_per_update"] = (bus1[1] - bus0[1]) / updates
    return result


def single(args: argparse.Namespace, parties: list[str]) -> dict[str, Any]:
    """(a): ``deconflict serve`` on a fresh database."""
    db = fresh_database(args.postgres, "dc_bench_single")
    try:
        with served("postgres", db, parties, "single") as server:
            print(f"processes (a): server={server.pid}", flush=True)
            return measure(
                [server.base],
                server.tokens,
                args,
                {"server": server.pid},
                lambda: backend_pids(args.postgres, db),
                None,
            )
    finally:
        drop_database(args.postgres, db)


def clustered(args: argparse.Namespace, parties: list[str]) -> dict[str, Any]:
    """(b): the cluster, the load spread over its two gateways."""
    with cluster(args.postgres, parties, detectors=args.detectors, hotlines=args.hotlines) as c:
        named = " ".join(f"{name.split()[-1]}={pid}" for name, pid in c.processes().items())
        print(f"processes (b): {named}", flush=True)
        return measure(
            [g.url for g in c.gateways],
            c.tokens,
            args,
            c.processes(),
            lambda: backend_pids(args.postgres, c.db),
            c.nats,
        )


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages now."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def show(title: str, result: dict[str, Any], digits: int = 1) -> None:
    print(title, flush=True)
    for k, v in result.items():
        if isinstance(v, dict):
            print(f"  {k}")
            for name, x in v.items():
                print(f"    {name:34s} {x:,.2f}")
        elif isinstance(v, float):
            print(f"  {k:30s} {v:,.{digits}f}")
        else:
            print(f"  {k:30s} {v}")


def ratios(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """cluster / single of the figures both have."""
    keys = (
        "accepted_per_s", "post_ms_p50", "post_ms_p99", "hop_ms_p50", "alert_ms_p50",
        "alert_ms_p99", "alert_ms_max", "cpu_total_s",
    )  # fmt: skip
    return {k: b[k] / a[k] if a[k] else float("nan") for k in keys}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=1_000.0, help="track updates per second")
    p.add_argument("--tracks", type=int, default=10_000, help="live tracks")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each load")
    p.add_argument("--probe-every", type=float, default=0.25, help="seconds between probes")
    p.add_argument(
        "--detectors",
        type=int,
        default=2,
        help="detectors in the cluster (0: the recorder detects)",
    )
    p.add_argument(
        "--hotlines",
        type=int,
        default=1,
        help="hotlines in the cluster (0: the recorder watches the deadlines)",
    )
    p.add_argument(
        "--postgres",
        default=os.environ.get(
            "DECONFLICT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server to create (and drop) the benchmark's databases on",
    )
    args = p.parse_args()
    parties = [*(f"p{k}" for k in range(PARTIES)), "probe-a", "probe-b"]
    print(
        f"cluster vs single: {args.tracks} tracks, target {args.rate:g} updates/s, "
        f"{args.seconds:g} s each on {os.cpu_count()} cores",
        flush=True,
    )
    print(f"load average before (a): {loadavg()}", flush=True)
    a = single(args, parties)
    show("(a) single node, PostgreSQL", a)
    print(f"load average before (b): {loadavg()}", flush=True)
    b = clustered(args, parties)
    show(
        f"(b) cluster: 3 NATS, 1 active + 1 standby recorder, {args.detectors} detectors, "
        f"{args.hotlines} hotlines, 2 gateways",
        b,
    )
    show("cluster / single", ratios(a, b), digits=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
