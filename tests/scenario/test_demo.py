"""``deconflict serve --demo``: a real server playing a shipped scenario live; a party's
login URL gives a token that sees the scenario's alerts appear over HTTP."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from servicekit import free_port

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"^(\S+) (http://127\.0\.0\.1:(\d+)/#token=(\S+))$")
OFFICER = re.compile(
    r"^  officer (.+) \((duty|supervisor|viewer)\) of (\S+): "
    r"http://127\.0\.0\.1:(\d+)/#token=(\S+)$"
)


@pytest.fixture
def demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from _demo(tmp_path)


def _demo(tmp_path: Path, *scenario: str):  # type: ignore[no-untyped-def]
    port = free_port()
    err = open(tmp_path / "demo.err", "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deconflict.cli",
            "serve",
            "--demo",
            *scenario,
            "--speed",
            "50",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ),
    )
    try:
        yield proc, port, tmp_path / "demo.err"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        err.close()
        if proc.stdout is not None:
            proc.stdout.close()


def test_demo_prints_one_login_per_party_and_alerts_appear(demo) -> None:  # type: ignore[no-untyped-def]
    proc, port, err = demo
    assert proc.stdout is not None
    logins = {}
    for _ in range(3):
        line = proc.stdout.readline().strip()
        m = URL.match(line)
        assert m, f"not a login line: {line!r}; stderr: {err.read_text()[-2000:]}"
        assert int(m.group(3)) == port
        logins[m.group(1)] = m.group(4)
    assert set(logins) == {"coalition", "syria", "russia"}
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, err.read_text()[-2000:]
        time.sleep(0.2)
    head = {"Authorization": f"Bearer {logins['coalition']}"}
    kinds: set[str] = set()
    while "strike-proximity" not in kinds:
        assert time.monotonic() < deadline, f"alerts so far: {kinds}; {err.read_text()[-2000:]}"
        r = httpx.get(base + "/v1/alerts", headers=head, timeout=5)
        assert r.status_code == 200
        kinds = {a["kind"] for a in r.json()["alerts"]}
        time.sleep(0.5)
    alert = next(a for a in r.json()["alerts"] if a["kind"] == "strike-proximity")
    assert alert["parties"] == ["coalition", "syria"]
    assert sorted(alert["subjects"]) == ["sdf-jadin", "su22-strike"]
    # the service's clock is the scenario's: the alert was raised on 2017-06-18
    assert alert["raised_at"].startswith("2017-06-18T15:2")
    # a party the alert does not involve does not see it
    other = httpx.get(
        base + "/v1/alerts", headers={"Authorization": f"Bearer {logins['russia']}"}, timeout=5
    )
    assert alert["id"] not in {a["id"] for a in other.json()["alerts"]}


def test_demo_prints_a_login_per_officer_after_the_partys_lines(tmp_path: Path) -> None:
    run = _demo(tmp_path, "deir-ez-zor-2016-callback.yaml")
    proc, port, err = next(run)
    try:
        assert proc.stdout is not None
        got: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [got.put(x) for x in proc.stdout], daemon=True).start()
        lines = [got.get(timeout=120).rstrip("\n") for _ in range(4)]
        parties = [URL.match(x) for x in lines[:2]]
        assert all(parties), f"{lines}; stderr: {err.read_text()[-2000:]}"
        assert [m.group(1) for m in parties if m] == ["coalition", "syria"]
        officers = [OFFICER.match(x) for x in lines[2:]]
        assert all(officers), lines
        found = {(m.group(1), m.group(2), m.group(3)): m.group(5) for m in officers if m}
        assert set(found) == {
            ("Maj. Hale", "duty", "coalition"),
            ("Col. Reyes", "supervisor", "coalition"),
        }
        assert {int(m.group(4)) for m in officers if m} == {port}
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, err.read_text()[-2000:]
            time.sleep(0.2)
        # each token is that officer's own: what it writes is recorded as its own
        party_tokens = {m.group(1): m.group(4) for m in parties if m}
        for (name, _, party), token in found.items():
            assert token not in party_tokens.values()
            head = {"Authorization": f"Bearer {token}"}
            body = {"to": ["syria"], "text": "radio check"}
            r = httpx.post(base + "/v1/messages", json=body, headers=head, timeout=5)
            assert r.status_code == 200, r.text
            message = r.json()["message"]
            assert (message["from"], message["officer"]) == (party, name)
    finally:
        run.close()


def test_demo_refuses_a_database(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "deconflict.cli", "serve", "--demo", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2 and "--demo" in out.stderr
    assert not (tmp_path / "x.db").exists()
