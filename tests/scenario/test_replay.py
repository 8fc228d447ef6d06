"""Replay: the same file gives the same bytes; the record it ends with verifies; the
after-action report names that record and ships its export."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deconflict.ledger.signing import SignedTreeHead
from deconflict.scenario.loader import load_scenario, parse_scenario
from deconflict.scenario.outcome import outcome_json
from deconflict.scenario.replay import replay
from deconflict.scenario.report import write_report

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

STRIKE = """\
name: a strike on declared forces
start: "2016-09-17T13:00:00Z"
duration_s: 1500
step_s: 10
parties:
  - {name: blue}
  - {name: red, language: ar}
positions:
  - type: Feature
    geometry: {type: Point, coordinates: [40.16, 35.24]}
    properties: {id: red-hill, party: red, kind: forces, radius_m: 2000}
events:
  - at_s: 300
    declare:
      party: blue
      strikes:
        - type: Feature
          geometry: {type: Point, coordinates: [40.16, 35.245]}
          properties: {id: s1, kind: strike, radius_m: 1500,
                       start: "2016-09-17T13:20:00Z", end: "2016-09-17T13:22:00Z"}
  - at_s: 400
    message: {from: blue, to: [red], text: strike window 13:20-13:22}
  - at_s: 500
    suspend: {party: red, reason: a test}
answers:
  - {party: blue, kind: '*', response: wilco, after_s: 120}
  - {party: red, kind: declaration, response: roger, after_s: 60}
  - {party: red, kind: strike-proximity, response: roger, after_s: 400}
"""


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "deconflict.cli", *args],
        capture_output=True,
        timeout=600,
        check=False,
    )


def test_the_same_file_gives_byte_identical_json_twice() -> None:
    path = SCENARIOS / "shayrat-2017-04-channel-suspended.yaml"
    first = _cli("replay", str(path), "--json")
    second = _cli("replay", str(path), "--json")
    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout == second.stdout
    assert first.stdout.count(b"\n") == 1
    out = json.loads(first.stdout)
    head = SignedTreeHead.from_dict(out).verify()
    assert head.tree_size == out["log"]["tree_size"] > 0
    assert out["alerts"]


def test_an_answer_after_the_channel_is_suspended_is_withheld(tmp_path: Path) -> None:
    out = json.loads(outcome_json(replay(parse_scenario(STRIKE, "s.yaml"), progress=False)))
    (strike,) = [a for a in out["alerts"] if a["kind"] == "strike-proximity"]
    assert strike["raised_at"] == "2016-09-17T13:05:00.000Z"
    assert strike["lead_s"] == 900.0
    assert strike["answers"]["blue"] == {
        "response": "wilco",
        "at": "2016-09-17T13:07:00.000Z",
        "after_s": 120.0,
        "officer": None,
    }
    # red would have answered at 13:11:40, but suspended its channel at 13:08:20
    assert strike["answers"]["red"] is None
    assert strike["suspended"] == ["red"]
    assert strike["verdict"] == "never" and strike["why"] == "red: channel suspended"
    assert {(w["party"], w["alert"]) for w in out["withheld"]} == {("red", strike["id"])}
    declaration = next(a for a in out["alerts"] if a["subjects"] == ["s1"])
    assert declaration["kind"] == "declaration"
    assert declaration["answers"]["red"]["response"] == "roger"
    assert declaration["verdict"] == "in-time"


def test_the_report_names_the_signed_head_and_its_export_verifies(tmp_path: Path) -> None:
    result = replay(parse_scenario(STRIKE, "s.yaml"), progress=False)
    index = write_report(result, tmp_path / "report")
    page = index.read_text()
    head = json.loads(result.head.sth)
    assert f"<td>{head['tree_size']}</td>" in page
    assert head["root_hash"] in page
    assert "strike-proximity" in page and "red: channel suspended" in page
    assert "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page  # nothing from outside
    assert (tmp_path / "report" / "map.png").read_bytes().startswith(b"\x89PNG")
    assert "strike window 13:20-13:22" in page  # the message, on the timeline
    export = tmp_path / "report" / "export.jsonl"
    verified = _cli("verify", str(export), "--public-key", result.head.to_dict()["public_key"])
    assert verified.returncode == 0, verified.stderr.decode()
    assert json.loads(verified.stdout)["sth"] == result.head.sth
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(export.read_text().replace("a test", "a tset"))
    key_file = tmp_path / "report" / "public-key.txt"
    assert key_file.read_text().strip() == result.head.to_dict()["public_key"]
    assert _cli("verify", str(tampered), "--public-key", str(key_file)).returncode == 1
    refused = _cli("verify", str(export))  # the key the export carries proves nothing
    assert refused.returncode == 2 and b"--public-key" in refused.stderr


def test_replay_prints_a_line_per_alert_and_writes_the_report(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(STRIKE)
    out = _cli("replay", str(path), "--report", str(tmp_path / "r"))
    assert out.returncode == 0, out.stderr.decode()
    lines = out.stdout.decode().splitlines()
    assert any("strike-proximity" in line and "never" in line for line in lines)
    assert lines[-1].startswith("3 alert(s); log: ")
    assert (tmp_path / "r" / "index.html").exists()
    assert load_scenario(path).name == "a strike on declared forces"


def test_speed_paces_the_replay_without_changing_it() -> None:
    scenario = parse_scenario(STRIKE, "s.yaml")
    fast = outcome_json(replay(scenario, progress=False))
    started = time.monotonic()
    paced = outcome_json(replay(scenario, speed=1000.0, progress=False))
    assert time.monotonic() - started >= 1.4  # 1,500 s of scenario at 1,000x
    assert paced == fast


def test_a_progress_bar_goes_to_stderr_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = parse_scenario(STRIKE, "s.yaml")
    replay(scenario, progress=True)
    shown = capsys.readouterr()
    assert "151/151" in shown.err and shown.out == ""
    replay(scenario)  # stderr is not a terminal here: no bar
    assert capsys.readouterr().err == ""
