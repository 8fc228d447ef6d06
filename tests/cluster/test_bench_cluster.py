"""``bench/cluster.py`` in a short run: it drives both setups, counts every role's CPU
and the bus's bytes, and leaves no database and no process behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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
    for role in ("recorder (active) rec0", "recorder (standby) rec1", "gateway gw0",
                 "gateway gw1", "nats n0", "nats n1", "nats n2", "postgres backends"):  # fmt: skip
        assert role in clustered, role
    active, standby = "recorder (active) rec0", "recorder (standby) rec1"
    assert figure(clustered, active) > figure(clustered, standby)  # CPU seconds
    # tracks went over the bus both ways: gateways' calls, the recorder's answers and events
    assert figure(clustered, "deconflict-gateway") > 100  # bytes per update
    assert figure(clustered, "deconflict-recorder") > 100
    assert "accepted_per_s" in ratios
    # nothing left behind: the databases dropped, every server and role stopped
    assert databases(postgres_url) == before
    pids = [int(p) for p in re.findall(r"=(\d+)", "".join(re.findall(r"^processes.*$", out, re.M)))]
    assert len(pids) == 1 + 2 + 2 + 3, out[:2000]
    assert not [p for p in pids if alive(p)]
