"""Real peers the tests run as processes (a TAK router, a Mode S decoder): installed by the
project's script when missing (the tests never skip: a failed install fails them, naming
the script), started, waited for on their loopback port, and stopped."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


def ensure_installed(command: Path, script: Path, purpose: str) -> Path:
    """``command``, after running ``sh script`` if it is not there yet."""
    if not command.exists():
        out = subprocess.run(
            ["sh", str(script)], capture_output=True, text=True, timeout=600, check=False
        )
        if out.returncode != 0 or not command.exists():
            raise AssertionError(f"sh {script} failed ({purpose}):\n{out.stderr}")
    return command


def wait_listening(
    proc: subprocess.Popen[bytes], port: int, log: Path, name: str, timeout_s: float
) -> bool:
    """Whether ``proc`` accepts TCP connections on 127.0.0.1:``port`` within ``timeout_s``;
    raises (with the tail of its ``log``) when it exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
