"""The local NATS servers of the package: routed, stopped whole, a stubborn process
killed after its grace."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from deconflict.cluster.localnats import LocalNats, stop_process


def test_servers_listen_on_their_ports_and_stop(tmp_path: Path) -> None:
    with LocalNats(tmp_path / "bus", size=2, monitor=True) as nats:
        assert nats.urls == ",".join(f"nats://127.0.0.1:{p}" for p in nats.ports)
        assert len(set(nats.ports + nats.route_ports + nats.monitor_ports)) == 6
        assert all(p.poll() is None for p in nats.procs)
        nats.kill(0)
        assert nats.procs[0].poll() is not None and nats.procs[1].poll() is None
    assert all(p.poll() is not None for p in nats.procs)
    assert (tmp_path / "bus" / "n1.log").read_text()


def test_a_process_that_ignores_sigterm_is_killed_after_its_grace() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print(1, flush=True); time.sleep(60)"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stdout.readline()  # SIGTERM is ignored now
        started = time.monotonic()
        stop_process(proc, grace_s=0.5)
        assert proc.returncode == -9 and time.monotonic() - started < 5
    stop_process(proc)  # an ended process: nothing to do
