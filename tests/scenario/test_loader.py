"""The scenario format: a good file loads into records; a bad one is refused with the
line and column of the node at fault, by the loader and by ``deconflict replay`` (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from deconflict.errors import InvalidInput
from deconflict.scenario.loader import load_scenario, parse_scenario, schema, shift_times

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "examples" / "scenarios"

GOOD = """\
name: two parties
start: "2017-06-18T15:00:00Z"
duration_s: 600
step_s: 5
parties:
  - {name: blue}
  - {name: red, language: ru}
positions:
  - type: Feature
    geometry: {type: Point, coordinates: [38.65, 35.70]}
    properties: {id: red-camp, party: red, kind: forces, radius_m: 2000}
events:
  - at_s: 60
    declare:
      party: blue
      strikes:
        - type: Feature
          geometry: {type: Point, coordinates: [38.66, 35.70]}
          properties: {id: s1, kind: strike, radius_m: 1000,
                       start: "2017-06-18T15:08:00Z", end: "2017-06-18T15:09:00Z"}
  - at_s: 10
    fly:
      party: red
      id: R1
      route:
        - {lat: 35.0, lon: 38.0, alt_m: 5000, speed_mps: 200}
        - {lat: 35.0, lon: 38.5, alt_m: 6000, speed_mps: 200, climb_mps: 5}
  - at_s: 120
    suspend: {party: red, reason: test}
  - at_s: 300
    resume: {party: red}
  - at_s: 400
    message: {from: blue, to: [red], text: hello}
answers:
  - {party: red, kind: '*', response: roger, after_s: 30}
  - {party: red, kind: separation, never: true}
  - {party: blue, kind: strike-proximity, subjects: [s1], response: wilco, after_s: 10}
  - {party: blue, kind: strike-proximity, response: unable, after_s: 10}
"""


def test_the_schema_ships_with_the_package_and_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["title"] == "deconflict scenario"


def test_a_good_file_becomes_records_in_time_order() -> None:
    sc = parse_scenario(GOOD, "good.yaml")
    assert sc.name == "two parties"
    assert sc.start_s == 1497798000.0
    assert sc.parties == (("blue", "en"), ("red", "ru"))
    assert [(a.at_s, a.kind, a.party) for a in sc.actions] == [
        (0.0, "declare", "red"),
        (10.0, "fly", "red"),
        (60.0, "declare", "blue"),
        (120.0, "suspend", "red"),
        (300.0, "resume", "red"),
        (400.0, "message", "blue"),
    ]
    strike = sc.actions[2]
    assert strike.data["endpoint"] == "intents"
    assert strike.data["doc"]["features"][0]["properties"]["party"] == "blue"
    assert strike.where == "good.yaml:17:9"  # the list of strikes
    flight = sc.actions[1].data["flight"]
    assert flight.report_every_s == 4.0
    assert flight.route[1].climb_mps == 5.0 and flight.route[0].climb_mps is None
    assert sc.step_times()[:3] == [sc.start_s, sc.start_s + 5, sc.start_s + 10]
    assert sc.step_times()[-1] == sc.end_s


def test_answer_rules_prefer_a_subject_then_the_kind_then_star() -> None:
    sc = parse_scenario(GOOD, "good.yaml")
    rule = sc.rule_for("red", "zone-entry")
    assert rule is not None and rule.response == "roger" and rule.after_s == 30
    never = sc.rule_for("red", "separation")
    assert never is not None and never.response is None
    by_subject = sc.rule_for("blue", "strike-proximity", ("s1", "red-camp"))
    assert by_subject is not None and by_subject.response == "wilco"
    by_kind = sc.rule_for("blue", "strike-proximity", ("s2", "red-camp"))
    assert by_kind is not None and by_kind.response == "unable"
    assert sc.rule_for("blue", "separation") is None


def _error(text: str) -> str:
    with pytest.raises(InvalidInput) as info:
        parse_scenario(text, "bad.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        ("step_s: 5", "step_s: 5\nspeed: 3", "bad.yaml:5:1:", "unknown key 'speed'"),
        ("duration_s: 600", "duration_s: -600", "bad.yaml:3:13:", "duration_s"),
        ("{name: red, language: ru}", "{name: red, language: fr}", "bad.yaml:7:27:", "language"),
        ("speed_mps: 200, climb", "speed_mps: fast, climb", "bad.yaml:27:58:", "speed_mps"),
        ("suspend: {party: red", "suspend: {party: green", "bad.yaml:29:22:", "'green'"),
        ("  - at_s: 400", "  - at_s: 4000", "bad.yaml:32:11:", "after the end"),
        ("radius_m: 2000}", "radius_m: -2}", "bad.yaml:11:68:", "radius_m"),
        (
            "{party: red, kind: separation, never: true}",
            "{party: red, kind: separation, never: true, after_s: 3}",
            "bad.yaml:36:5:",
            "answers[1]",
        ),
        ('"2017-06-18T15:00:00Z"', '"2017-06-18T15:00:00+02:00"', "bad.yaml:2:8:", "UTC"),
        ("  - {name: blue}", "  - {name: blue", "bad.yaml:7:5:", "not YAML"),
        ("kind: strike, radius_m: 1000", "kind: strike, radius_m: x", "bad.yaml:19:56:", "'x'"),
    ],
)
def test_a_bad_file_names_the_line_and_column(old: str, new: str, where: str, words: str) -> None:
    assert old in GOOD
    message = _error(GOOD.replace(old, new, 1))
    assert message.startswith(where), message
    assert words in message


def test_a_key_given_twice_is_refused_where_it_repeats() -> None:
    message = _error(GOOD.replace("step_s: 5", "step_s: 5\nstep_s: 6"))
    assert message.startswith("bad.yaml:5:1:") and "given twice" in message


def test_included_features_come_from_the_file_and_take_overrides(tmp_path: Path) -> None:
    text = GOOD.replace(
        "positions:\n",
        "zones:\n  - include: zones.geojson\n    ids: [west-of-euphrates]\n"
        "    properties: {valid_from: null, name: W}\npositions:\n",
    ).replace("{name: red, language: ru}", "{name: russia}\n  - {name: coalition}")
    geo = ROOT / "examples" / "geo" / "zones.geojson"
    (tmp_path / "zones.geojson").write_text(geo.read_text())
    (tmp_path / "s.yaml").write_text(text.replace("red", "russia"))
    sc = load_scenario(tmp_path / "s.yaml")
    zone = next(a for a in sc.actions if a.data.get("endpoint") == "zones")
    assert zone.party == "russia"  # the party that consented owns the claim
    props = zone.data["doc"]["features"][0]["properties"]
    assert props["name"] == "W" and "valid_from" not in props
    assert props["consents"] == ["russia"]

    (tmp_path / "s.yaml").write_text(
        text.replace("red", "russia").replace("[west-of-euphrates]", "[nowhere]")
    )
    with pytest.raises(InvalidInput, match=r"s\.yaml:\d+:\d+: .*no feature 'nowhere'"):
        load_scenario(tmp_path / "s.yaml")


def test_shift_times_moves_every_time_of_a_feature() -> None:
    f = {
        "type": "Feature",
        "geometry": None,
        "properties": {
            "start": "2017-06-18T15:08:00Z",
            "end": "2017-06-18T15:09:00Z",
            "radius_m": 3,
        },
    }
    moved = shift_times(f, 3600.0)
    assert moved["properties"] == {
        "start": "2017-06-18T16:08:00Z",
        "end": "2017-06-18T16:09:00Z",
        "radius_m": 3,
    }
    assert f["properties"]["start"] == "2017-06-18T15:08:00Z"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_loads(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.actions and sc.parties


def test_replay_exits_2_naming_the_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("duration_s: 600", "duration_s: soon"))
    out = subprocess.run(
        [sys.executable, "-m", "deconflict.cli", "replay", str(bad), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2
    assert out.stdout == ""
    assert f"{bad}:3:13: duration_s" in out.stderr, out.stderr


def test_the_schema_documents_every_key_the_loader_reads() -> None:
    props = schema()["properties"]
    for key in (
        "name",
        "start",
        "duration_s",
        "step_s",
        "parties",
        "zones",
        "positions",
        "intents",
        "borders",
        "settings",
        "answers",
        "events",
    ):
        assert key in props
    assert set(schema()["properties"]["events"]["items"]["properties"]) == {
        "at_s",
        "fly",
        "declare",
        "consent",
        "suspend",
        "resume",
        "message",
        "stop",
        "release",
    }
    assert set(schema()["$defs"]["officer"]["properties"]) == {"name", "role", "present", "after_s"}
    json.dumps(schema())
