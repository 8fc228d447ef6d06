"""A real service for the tests: a ``deconflict serve`` subprocess on SQLite or PostgreSQL,
parties made with ``deconflict party add``, real HTTP and WebSocket clients.

The fixtures that start them are in ``tests/service/conftest.py``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StoreTarget:
    """Where a test service keeps its data."""

    kind: str
    target: str
    key_dir: Path


def cli(store: StoreTarget, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``deconflict ARGS --db ... --key-dir ...`` in a subprocess."""
    cmd = [sys.executable, "-m", "deconflict.cli", *args]
    cmd += ["--db", store.target, "--key-dir", str(store.key_dir)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {out.returncode}\n{out.stderr}")
    return out


def add_party(store: StoreTarget, name: str, language: str = "en") -> str:
    """Create a party; its token (the last line of the output)."""
    out = cli(store, "party", "add", name, "--language", language)
    return out.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A ``deconflict serve`` subprocess on ``store`` (its output in ``log_path``)."""

    store: StoreTarget
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    args: tuple[str, ...] = ()
    """More ``serve`` arguments (e.g. ``--borders F``)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> Server:
        """Start it and wait until it answers (it warms its detectors first)."""
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "deconflict.cli", "serve",
            "--db", self.store.target, "--key-dir", str(self.store.key_dir),
            "--port", str(self.port), *self.args,
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()  # a fixture that fails to start never reaches its teardown
        raise AssertionError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        """``kill -9``: no chance to clean up."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``deconflict ARGS`` in a subprocess, as a user runs it (no --db added)."""
    return subprocess.run(
        [sys.executable, "-m", "deconflict.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def client(server: Server, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    )


def iso_now(offset_s: float = 0.0) -> str:
    return (
        datetime.fromtimestamp(time.time() + offset_s, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def track(id: str, lat: float, lon: float, track_deg: float, **kw: Any) -> dict[str, Any]:
    """A track object at the present, 250 m/s level at 9,000 m unless told otherwise."""
    return {
        "id": id,
        "time": kw.pop("time", iso_now()),
        "lat": lat,
        "lon": lon,
        "alt_m": kw.pop("alt_m", 9000.0),
        "gs_mps": kw.pop("gs_mps", 250.0),
        "track_deg": track_deg,
        "vs_mps": kw.pop("vs_mps", 0.0),
        **kw,
    }


class Stream:
    """``WS /v1/stream`` of one party; events collected as they come."""

    def __init__(self, base_url: str, token: str, *, header: bool = True) -> None:
        url = base_url.replace("http://", "ws://") + "/v1/stream"
        headers = {"Authorization": f"Bearer {token}"} if header else None
        self._connection = connect(url, additional_headers=headers, open_timeout=10)
        self.ws = self._connection.__enter__()
        if not header:
            self.ws.send(json.dumps({"type": "auth", "token": token}))
        self.events: list[dict[str, Any]] = []
        self.closed: str | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                event = json.loads(raw)
                with self._cond:
                    self.events.append(event)
                    self._cond.notify_all()
        except Exception as exc:  # the connection ended
            self.closed = repr(exc)
        finally:
            with self._cond:
                self.closed = self.closed or "closed"
                self._cond.notify_all()

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first event (already received or coming) that ``match`` accepts."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if match(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching event in {timeout} s: {self.events[-5:]}")
                self._cond.wait(left)

    def send(self, obj: dict[str, Any]) -> None:
        self.ws.send(json.dumps(obj))

    def close(self) -> None:
        self._connection.__exit__(None, None, None)
        self._thread.join(5)


def alert_event(kind: str, **want: Any) -> Callable[[dict[str, Any]], bool]:
    """Matches an ``alert`` event of ``kind`` whose alert has the given fields."""

    def match(e: dict[str, Any]) -> bool:
        if e.get("type") != "alert" or e["alert"]["kind"] != kind:
            return False
        return all(e["alert"].get(k) == v for k, v in want.items())

    return match
