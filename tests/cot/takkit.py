"""Real TAK peers for the tests: ``taky`` (a CoT router, in its own virtual environment
``.venv-taky/``, installed by ``scripts/install-taky.sh``) on a loopback port, and plain
socket clients of it, as a TAK device would connect: one that listens, one that publishes.
Also a stand-in TAK listener (TCP, TLS or UDP) that keeps every byte it is sent."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from deconflict.feeds.cot import CotError, CotStream, parse_datagram, parse_proto, parse_xml
from peerkit import ensure_installed, stop, wait_listening
from servicekit import free_port

ROOT = Path(__file__).resolve().parents[2]
TAKY = ROOT / ".venv-taky" / "bin" / "taky"
INSTALL = ROOT / "scripts" / "install-taky.sh"


def ensure_taky() -> Path:
    """taky's command, installed by the project's script if it is not there yet."""
    return ensure_installed(TAKY, INSTALL, "the TAK tests need taky")


class Taky:
    """A ``taky`` process routing CoT over TCP on 127.0.0.1 (no TLS)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Taky:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.directory / "taky.conf"
        config.write_text(
            "[taky]\nhostname = taky.test\nnode_id = TAKY\nbind_ip = 127.0.0.1\n"
            f"root_dir = {self.directory}\n\n[cot_server]\nport = {self.port}\n\n"
            "[ssl]\nenabled = false\n"
        )
        command = [str(ensure_taky()), "-c", str(config), "-l", "info"]
        with open(self.directory / "taky.log", "ab") as log:
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
            )
        if wait_listening(self.proc, self.port, self.directory / "taky.log", "taky", timeout):
            return self
        self.stop()
        raise AssertionError(f"taky did not listen: {self.log()[-2000:]}")

    def log(self) -> str:
        return (self.directory / "taky.log").read_text(errors="replace")

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


class TakClient:
    """A plain TCP client of a TAK server: what it receives is kept as parsed events (by
    uid, every version in order); it can also publish."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(0.2)
        self.events: list[Any] = []
        self.raw: list[bytes] = []
        self._stream = CotStream()
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closing.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            for kind, piece in self._stream.feed(data):
                try:
                    ev = parse_xml(piece) if kind == "xml" else parse_proto(piece)
                except CotError:
                    continue
                with self._cond:
                    self.events.append(ev)
                    self.raw.append(piece)
                    self._cond.notify_all()

    def publish(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait_for(self, match: Any, timeout: float = 30.0) -> Any:
        """The first event received (or coming) that ``match`` accepts."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in self.events:
                    if match(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(e.uid, e.type) for e in self.events[-8:]]
                    raise AssertionError(f"no matching CoT event in {timeout} s; last: {seen}")
                self._cond.wait(left)

    def close(self) -> None:
        self._closing.set()
        self.sock.close()
        self._thread.join(5)


class StandInTak:
    """A TAK listener on 127.0.0.1 that keeps what it is sent: ``tcp``, ``tls`` (with
    ``context``, a server context that may require a client certificate) or ``udp``."""

    def __init__(self, kind: str, context: ssl.SSLContext | None = None, port: int = 0) -> None:
        self.kind = kind
        self.context = context
        self.data = bytearray()
        self.datagrams: list[bytes] = []
        self.connections = 0
        self.lock = threading.Lock()
        family_type = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, family_type)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        if kind != "udp":
            self.sock.listen(4)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self) -> str:
        return f"{self.kind}://127.0.0.1:{self.port}"

    def __enter__(self) -> StandInTak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                if self.kind == "udp":
                    data, _ = self.sock.recvfrom(65536)
                    with self.lock:
                        self.datagrams.append(data)
                    continue
                conn, _ = self.sock.accept()
            except (TimeoutError, ssl.SSLError, OSError):
                continue
            threading.Thread(target=self._take, args=(conn,), daemon=True).start()

    def _take(self, conn: socket.socket) -> None:
        try:
            if self.context is not None:
                conn.settimeout(10)
                conn = self.context.wrap_socket(conn, server_side=True)
            conn.settimeout(0.2)
            with self.lock:
                self.connections += 1
            while not self._closing.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                with self.lock:
                    self.data += data
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def events(self) -> list[Any]:
        """Every event received so far, parsed."""
        with self.lock:
            if self.kind == "udp":
                return [parse_datagram(d) for d in self.datagrams]
            pieces = CotStream().feed(bytes(self.data))
        return [parse_xml(p) if k == "xml" else parse_proto(p) for k, p in pieces]
