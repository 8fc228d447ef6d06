"""``deconflict feed`` on the command line: token, errors, a replay with --json stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deconflict.cli import main

from .conftest import EXCERPT
from .standins import TOKEN, StandInService


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
