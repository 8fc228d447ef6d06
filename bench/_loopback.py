"""What the benchmarks that drive a real ``deconflict serve`` on loopback share: times
in ISO 8601, a free port, the command line, percentiles and a process's CPU and memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

__all__ = ["Served", "cli", "free_port", "iso", "percentile", "proc_stats", "served"]


def iso(t: float) -> str:
    """POSIX seconds as ISO 8601 UTC with milliseconds and ``Z``."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
