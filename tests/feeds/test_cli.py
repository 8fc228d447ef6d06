"""``deconflict feed`` on the command line: token, errors, a replay with --json stats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deconflict.cli import main
from deconflict.feeds.encode import history_sbs
from deconflict.trackio import History

from .conftest import EXCERPT
from .standins import TOKEN, ReceiverStandIn, StandInService


def test_needs_a_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DECONFLICT_TOKEN", raising=False)
    assert main(["feed", str(EXCERPT), "--service", "http://127.0.0.1:9"]) == 2
    assert "DECONFLICT_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.bin"], "not a receiver URL"),
        (["sbs://127.0.0.1"], "needs HOST:PORT"),
        ([str(EXCERPT), "--speed", "-1"], "--speed"),
        ([str(EXCERPT), "--max-aircraft", "0"], "max aircraft"),
    ],
)
def test_bad_input_exits_2_naming_it(
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DECONFLICT_TOKEN", TOKEN)
    assert main(["feed", *args, "--service", "http://127.0.0.1:9"]) == 2
    out = capsys.readouterr()
    assert message in out.err and out.out == ""


def test_replay_with_json_stats(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DECONFLICT_TOKEN", TOKEN)
    with StandInService() as service:
        status = main(
            [
                "feed",
                str(EXCERPT),
                "--service",
                service.url,
                "--speed",
                "0",
                "--json",
                "--original-time",
            ]
        )
    assert status == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    last = lines[-1]
    assert last["messages"] == 1999 and last["bad"] == 0
    assert last["tracks_sent"] == sum(len(r.tracks) for r in service.accepted)
    assert len(service.latest()) == 47
    assert last["rejected"] == 0 and last["unsent"] == 0 and last["service"] == "up"
    assert last["last_post_latency_ms"] is not None


def test_undelivered_tracks_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DECONFLICT_TOKEN", TOKEN)
    with StandInService() as service:
        service.down = True
        status = main(
            ["feed", str(EXCERPT), "--service", service.url, "--speed", "0", "--drain", "1"]
        )
    assert status == 1
    assert "not delivered" in capsys.readouterr().err
    assert service.requests and not service.accepted


def test_sigterm_stops_cleanly_after_posting(history: History) -> None:
    data = "".join(line + "\r\n" for _, line in history_sbs(history)).encode()
    env = {**os.environ, "DECONFLICT_TOKEN": TOKEN}
    with StandInService() as service, ReceiverStandIn([data]) as receiver:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deconflict.cli",
                "feed",
                receiver.url("sbs"),
                "--service",
                service.url,
                "--json",
                "--batch-interval",
                "0.2",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60.0
            while len(service.latest()) < 47 and time.monotonic() < deadline:
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    last = json.loads(out.splitlines()[-1])
    assert last["source"] in ("connected", "reconnecting") and last["unsent"] == 0
    assert len(service.latest()) == 47
