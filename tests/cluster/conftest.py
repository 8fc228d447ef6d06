"""Fixtures of the cluster tests: a real cluster per test (see clusterkit)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster.clusterkit import NatsCluster, Role, drop_database, fresh_database
from servicekit import run_cli


class Cluster:
    """Three NATS servers, two recorders, ``detectors`` detectors (two by default),
    ``hotlines`` hotlines (one by default), two gateways, parties blue and red."""

    def __init__(
        self,
        root: Path,
        pg_url: str,
        extra: tuple[str, ...] = (),
        detectors: int = 2,
        hotlines: int = 1,
    ) -> None:
        self.root = root
        self.extra = extra
        """More ``serve`` arguments for every role (the service's settings)."""
        self.nats = NatsCluster(root).start()
        self.db = fresh_database(pg_url)
        self.key_dir = root / "keys"
        self.tokens = {p: self._party(p) for p in ("blue", "red")}
        self.recorders = [self._role("recorder", f"rec{i}") for i in range(2)]
        self.detectors = [self._role("detector", f"det{i}") for i in range(detectors)]
        self.hotlines = [self._role("hotline", f"hot{i}") for i in range(hotlines)]
        self.gateways = [self._role("gateway", f"gw{i}") for i in range(2)]

    def _party(self, name: str) -> str:
        done = run_cli("party", "add", name, "--db", self.db, "--key-dir", str(self.key_dir))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def _role(self, role: str, name: str) -> Role:
        return Role(role, self.nats.urls, self.db, self.key_dir, self.root / f"{name}.log")

    def start(self) -> Cluster:
        self.recorders[0].start(*self.extra)
        self.recorders[0].wait_log("recorder: active")
        self.recorders[1].start(*self.extra)
        self.recorders[1].wait_log("recorder: standby")
        for i, d in enumerate(self.detectors):
            d.start("--name", f"det{i}", *self.extra)
        for i, h in enumerate(self.hotlines):
            h.start("--name", f"hot{i}", *self.extra)
        for i, d in enumerate(self.detectors):
            d.wait_log(f"detector det{i}: picture of")
        for h in self.hotlines:
            h.wait_log("live alerts from recorder")
        for g in self.gateways:
            g.start(*self.extra)
        for g in self.gateways:
            g.wait_answering()
        return self

    def active_recorder(self) -> Role:
        (active,) = [r for r in self.recorders if r.active and r.proc and r.proc.poll() is None]
        return active

    def stop(self) -> None:
        for role in [*self.gateways, *self.hotlines, *self.detectors, *self.recorders]:
            role.stop()
        self.nats.stop()
        drop_database(self.db)


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str) -> Iterator[Cluster]:
    c = Cluster(tmp_path, postgres_url)
    try:
        yield c.start()
    finally:
        c.stop()


@pytest.fixture
def open_cluster(tmp_path: Path, postgres_url: str) -> Iterator[Cluster]:
    """A cluster whose status shows every party the service-wide figures (who detects)."""
    c = Cluster(tmp_path, postgres_url, extra=("--public-stats",))
    try:
        yield c.start()
    finally:
        c.stop()


@pytest.fixture
def rated_cluster(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cluster]:
    """A cluster whose parties may send 2 requests a second, 6 at once."""
    monkeypatch.setenv("DECONFLICT_BURST", "6")
    c = Cluster(tmp_path, postgres_url, extra=("--rate", "2"), detectors=0)
    try:
        yield c.start()
    finally:
        c.stop()


@pytest.fixture
def hotline_cluster(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cluster]:
    """A cluster of two hotlines whose separation alerts must be answered within 10 s,
    climbing the ladder at 3 s and 6 s; status shows who watches the deadlines."""
    monkeypatch.setenv("DECONFLICT_DEADLINE_SEPARATION", "10")
    c = Cluster(
        tmp_path,
        postgres_url,
        extra=("--public-stats", "--ladder", "separation=3,6"),
        detectors=1,
        hotlines=2,
    )
    try:
        yield c.start()
    finally:
        c.stop()
