"""A real Mode S decoder as the receiver of the feed tests: Debian's ``dump1090-mutability``
(installed by ``scripts/install-dump1090.sh`` when missing: the tests never skip), run
network-only on 127.0.0.1 with free ports, fed frames on its raw input port."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from peerkit import ensure_installed, stop, wait_listening
from servicekit import free_port

ROOT = Path(__file__).resolve().parents[2]
DUMP1090 = Path("/usr/bin/dump1090-mutability")
INSTALL = ROOT / "scripts" / "install-dump1090.sh"


def ensure_dump1090() -> Path:
    """The decoder's command, installed by the project's script if it is not there yet."""
    return ensure_installed(DUMP1090, INSTALL, "the feed tests need dump1090-mutability")


def established(port: int) -> int:
    """How many TCP connections to the local ``port`` are established."""
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return len([line for line in out.stdout.splitlines() if line.strip()])


class Dump1090:
    """``dump1090-mutability --net-only`` on 127.0.0.1: ``raw_in`` takes AVR frames
    (``*HEX;``), ``sbs`` serves BaseStation lines, ``beast`` serves Beast frames."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.raw_in, self.raw_out, self.sbs, self.beast_in, self.beast = (
            free_port() for _ in range(5)
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Dump1090:
        command = [
            str(ensure_dump1090()), "--net-only", "--quiet",
            "--net-bind-address", "127.0.0.1",
            "--net-ri-port", str(self.raw_in), "--net-ro-port", str(self.raw_out),
            "--net-sbs-port", str(self.sbs), "--net-bi-port", str(self.beast_in),
            "--net-bo-port", str(self.beast), "--net-heartbeat", "0",
        ]  # fmt: skip
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        if wait_listening(self.proc, self.raw_in, self.log, "dump1090", 20.0):
            return self
        self.__exit__(None, None, None)
        raise AssertionError(f"dump1090 did not listen: {self.log.read_text()[-2000:]}")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stop(self.proc)
        self.proc = None

    def wait_for_clients(self, port: int, count: int, timeout_s: float = 30.0) -> None:
        """Wait until ``count`` clients are connected to the output ``port``."""
        deadline = time.monotonic() + timeout_s
        while established(port) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} client(s) on dump1090's port {port}")
            time.sleep(0.1)

    def send(self, frames: list[str], chunk: int = 60, pause_s: float = 0.01) -> None:
        """Send frames (hex) to the raw input port as AVR lines, ``chunk`` at a time with
        ``pause_s`` between chunks (its output clients keep up)."""
        with socket.create_connection(("127.0.0.1", self.raw_in), timeout=10.0) as s:
            for k in range(0, len(frames), chunk):
                s.sendall("".join(f"*{f};\n" for f in frames[k : k + chunk]).encode())
                time.sleep(pause_s)
