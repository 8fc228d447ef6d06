"""``bench/cluster.py`` in a short run: it drives both setups, counts every role's CPU
and the bus's bytes, and leaves no database and no process behind."""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

BENCH = Path(__file__).resolve().parents[2] / "bench" / "cluster.py"


def databases(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'dc_bench_%'")
        return {str(r[0]) for r in rows}


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def figure(section: str, name: str) -> float:
    m = re.search(rf"^\s+{re.escape(name)}\s+([-\d,.]+|nan)$", section, re.M)
    assert m, (name, section)
    return float(m.group(1).replace(",", ""))


def test_a_short_run_measures_both_and_cleans_up(postgres_url: str) -> None:
    before = databases(postgres_url)
    proc = subprocess.Popen(
        [sys.executable, str(BENCH), "--rate", "400", "--seconds", "3", "--tracks", "400",
         "--postgres", postgres_url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    single, rest = out.split("(b) cluster", 1)
    clustered, ratios = rest.split("cluster / single", 1)
    for section in (single, clustered):
        assert figure(section, "accepted") > 0
        assert figure(section, "rejected_requests") == 0
        assert figure(section, "probes") >= 1
    # every role is counted, and only the active recorder does the work
    for role in ("recorder (active) rec0", "recorder (standby) rec1", "detector det0",
                 "detector det1", "hotline hot0", "gateway gw0", "gateway gw1", "nats n0",
                 "nats n1", "nats n2", "postgres backends"):  # fmt: skip
        assert role in clustered, role
    active, standby = "recorder (active) rec0", "recorder (standby) rec1"
    assert figure(clustered, active) > figure(clustered, standby)  # CPU seconds
    # tracks went over the bus both ways: gateways' calls, the recorder's answers and events
    assert figure(clustered, "deconflict-gateway") > 100  # bytes per update
    assert figure(clustered, "deconflict-recorder") > 100
    assert figure(clustered, "deconflict-detector-det0") > 0  # its findings
    assert "accepted_per_s" in ratios
    # nothing left behind: the databases dropped, every server and role stopped
    assert databases(postgres_url) == before
    pids = [int(p) for p in re.findall(r"=(\d+)", "".join(re.findall(r"^processes.*$", out, re.M)))]
    # single; recorders, detectors, hotline, gateways, NATS servers
    assert len(pids) == 1 + 2 + 2 + 1 + 2 + 3, out[:2000]
    assert not [p for p in pids if alive(p)]


def bench_module(name: str) -> Any:
    """A module of bench/ (they import each other by their bare names)."""
    if str(BENCH.parent) not in sys.path:
        sys.path.insert(0, str(BENCH.parent))
    return importlib.import_module(name)


def listening(pid: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp* writes them) that ``pid`` listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # LISTEN
                found.append(cols[1].split(":")[0])
    return found


def test_the_bench_bus_listens_on_loopback_only(tmp_path: Path) -> None:
    nats = bench_module("_cluster").NatsServers(tmp_path).start()
    try:
        for proc in nats.procs:
            addresses = listening(proc.pid)
            # clients, routes and monitoring: three sockets, each on 127.0.0.1
            assert len(addresses) == 3, addresses
            assert set(addresses) == {"0100007F"}, addresses
        assert all(v["in_bytes"] >= 0 for v in nats.varz())
    finally:
        nats.stop()
    assert all(p.poll() is not None for p in nats.procs)


def test_a_fresh_database_keeps_the_servers_query_and_is_dropped(postgres_url: str) -> None:
    kit = bench_module("_cluster")
    url = kit.fresh_database(postgres_url, "dc_bench_test")
    try:
        assert url.partition("?")[2] == postgres_url.partition("?")[2]
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] in url
        assert kit.backend_pids(postgres_url, url) == []  # that connection is closed
    finally:
        kit.drop_database(postgres_url, url)
    assert not [d for d in databases(postgres_url) if d in url]
