"""What the benchmarks that drive a real ``deconflict serve`` on loopback share: times
in ISO 8601, a free port, the command line, percentiles and a process's CPU and memory."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime

__all__ = ["cli", "free_port", "iso", "percentile", "proc_stats"]


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
    import os

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
