"""``deconflict nats-local DIR``: three routed JetStream servers on loopback, their URLs
printed, all stopped on ``SIGTERM`` (or Ctrl-C); a taken port is refused."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

import nats

from deconflict.cli import main


def _first_free_block() -> int:
    """A first port whose three client and three route ports are free now."""
    for _ in range(100):
        first = random.randrange(20000, 29000)
        ports = [first + i for i in range(3)] + [first + 1000 + i for i in range(3)]
        try:
            for port in ports:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise AssertionError("no free block of ports")


async def _replicated_stream(urls: str) -> list[str]:
    """The servers of a stream kept on three of them (it needs all three routed)."""
    nc = await nats.connect(urls.split(","))
    try:
        js = nc.jetstream()
        for _ in range(100):
            try:
                await js.add_stream(name="T", subjects=["t"], num_replicas=3)
                break
            except Exception:  # the cluster is still electing its meta leader
                await asyncio.sleep(0.1)
        info = await js.stream_info("T")
        assert info.cluster is not None
        return sorted([str(info.cluster.leader), *(p.name for p in info.cluster.replicas or [])])
    finally:
        await nc.close()


def test_three_routed_servers_until_sigterm(tmp_path: Path) -> None:
    first = _first_free_block()
    err = tmp_path / "stderr"
    with err.open("w") as stderr, subprocess.Popen(
        [sys.executable, "-m", "deconflict.cli", "nats-local", str(tmp_path / "bus"),
         "--first-port", str(first)],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
    ) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            urls = ",".join(f"nats://127.0.0.1:{first + i}" for i in range(3))
            assert line == f"NATS cluster: {urls} (logs in {tmp_path / 'bus'})", err.read_text()
            assert asyncio.run(_replicated_stream(urls)) == ["n0", "n1", "n2"]
            conf = (tmp_path / "bus" / "n0.conf").read_text()
            assert f"listen: 127.0.0.1:{first}\n" in conf and "max_payload: 8MB" in conf
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0, err.read_text()
    for i in range(3):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", first + i)) != 0  # nothing listens there


def test_a_taken_port_is_refused(tmp_path: Path, capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["nats-local", str(tmp_path), "--first-port", str(port)]) == 2
    assert f"127.0.0.1:{port} is taken" in capsys.readouterr().err
    assert not (tmp_path / "n0.conf").exists()
