"""The Deir ez-Zor callback (2016-09-17) as a scenario: a stop request on the coalition's
strike, answered through the escalation ladder by the officer on watch, or left
unanswered — visibly to both parties — when nobody is; and the officer and stop-request
fields of the format, refused when wrong."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from deconflict.errors import InvalidInput
from deconflict.scenario.loader import parse_scenario
from deconflict.scenario.outcome import outcome
from deconflict.scenario.replay import replay

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
LADDER = "deir-ez-zor-2016-callback.yaml"
ABSENT = "deir-ez-zor-2016-callback-absent.yaml"
SUPERVISOR = "      - {name: Col. Reyes, role: supervisor, present: true, after_s: 6}\n"


def text_of(name: str) -> str:
    return (SCENARIOS / name).read_text(encoding="utf-8")


def play(text: str) -> dict[str, Any]:
    return outcome(replay(parse_scenario(text, "callback.yaml", SCENARIOS), progress=False))


@cache
def played(name: str) -> dict[str, Any]:
    return play(text_of(name))


def stop_alert(result: dict[str, Any]) -> dict[str, Any]:
    (found,) = [a for a in result["alerts"] if a["kind"] == "stop-request"]
    return found


def test_the_two_files_differ_only_in_the_supervisors_presence() -> None:
    ladder = [ln for ln in text_of(LADDER).splitlines() if not ln.startswith(("#", "name"))]
    absent = [ln for ln in text_of(ABSENT).splitlines() if not ln.startswith(("#", "name"))]
    changed = [(a, b) for a, b in zip(ladder, absent, strict=False) if a != b]
    assert [a for a, _ in changed if "officers" in a or "role" in a] == [SUPERVISOR.rstrip("\n")]


def test_with_the_ladder_the_supervisor_answers_wilco_within_the_deadline() -> None:
    a = stop_alert(played(LADDER))
    assert a["subjects"] == ["strike-tharda"]
    assert a["parties"] == ["coalition", "syria"] and a["must_answer"] == ["coalition"]
    answer = a["answers"]["coalition"]
    assert answer["response"] == "wilco" and answer["officer"] == "Col. Reyes"
    # the duty officer is away: the supervisor is reached at the ladder's first step (10 s)
    # and takes its 6 s; inside the 60 s deadline
    assert answer["after_s"] == 16.0
    assert a["verdict"] == "in-time"
    assert "coalition by Col. Reyes" in a["why"] and "0 releases made" in a["why"]
    assert a["state"] == "answered" and not a["escalated"] and a["overdue"] == []
    # until the answer, both parties were shown the coalition as unanswered
    assert a["shown_unanswered"] == {"coalition": ["coalition"], "syria": ["coalition"]}
    assert a["releases_after"] == 0


def test_with_the_ladder_the_releases_after_the_answer_are_held() -> None:
    result = played(LADDER)
    a = stop_alert(result)
    made = [r for r in result["releases"] if r["made"]]
    held = [r for r in result["releases"] if not r["made"]]
    assert (len(made), len(held)) == (22, 15)
    assert all(r["at"] < a["raised_at"] for r in made)
    assert {r["held_by"] for r in held} == {a["id"]}


def test_with_nobody_present_the_stop_request_is_unanswered_to_both() -> None:
    result = played(ABSENT)
    a = stop_alert(result)
    assert a["answers"] == {"coalition": None, "syria": None}
    assert a["verdict"] == "never"
    assert "coalition: no answer" in a["why"] and "no officer of this party present" in a["why"]
    # the ladder's mark reached both parties' views; the deadline passed: escalated
    assert a["shown_unanswered"] == {"coalition": ["coalition"], "syria": ["coalition"]}
    assert a["escalated"] and a["overdue"] == ["coalition"]
    assert a["state"] not in ("answered", "resolved")
    assert [w["why"] for w in result["withheld"]] == ["no officer of this party present"]
    # as on the day: the 15 releases still planned are made
    assert a["releases_after"] == 15
    assert sum(r["made"] for r in result["releases"]) == 37


def test_a_present_duty_officer_answers_at_once() -> None:
    text = text_of(LADDER).replace(
        "{name: Maj. Hale, role: duty, present: false}",
        "{name: Maj. Hale, role: duty, present: true, after_s: 3}",
    )
    answer = stop_alert(play(text))["answers"]["coalition"]
    assert (answer["officer"], answer["after_s"]) == ("Maj. Hale", 3.0)


def test_a_supervisor_never_answers_before_the_ladder_reaches_it() -> None:
    text = text_of(LADDER).replace(SUPERVISOR, SUPERVISOR.replace("after_s: 6", "after_s: 0"))
    answer = stop_alert(play(text))["answers"]["coalition"]
    assert (answer["officer"], answer["after_s"]) == ("Col. Reyes", 10.0)


def test_a_present_viewer_does_not_answer() -> None:
    text = text_of(LADDER).replace(SUPERVISOR, SUPERVISOR.replace("supervisor", "viewer"))
    a = stop_alert(play(text))
    assert a["answers"]["coalition"] is None and a["verdict"] == "never"


def test_the_replay_is_the_same_byte_for_byte() -> None:
    assert play(text_of(ABSENT)) == played(ABSENT)


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("role: supervisor", "role: admiral", r"parties\[0\]\.officers\[1\]\.role"),
        ("name: Col. Reyes", "name: '<script>'", r"parties\[0\]\.officers\[1\]\.name"),
        ("name: Col. Reyes", "name: Maj. Hale", r"officers\[1\]\.name: .*named twice"),
        ("present: true", "present: yes please", r"officers\[1\]\.present"),
        ("after_s: 6", "after_s: -6", r"officers\[1\]\.after_s"),
        ("after_s: 6", "after_s: 6, token: x", r"officers\[1\]\.token: unknown key"),
        ("subject: strike-tharda", "subject: ''", r"events\[2\]\.stop\.subject"),
        ("party: syria\n", "party: syria\n      officer: Col. Reyes\n",
         r"events\[2\]\.stop\.officer: 'Col. Reyes' is not an officer of 'syria'"),
        ("strike: strike-tharda,", "strike: strike-elsewhere,",
         r"events\[1\]\.release\.strike: no strike 'strike-elsewhere'"),
        ("count: 37", "count: 99", r"events\[1\]\.release\.count: .*after the end"),
        ("party: syria\n      subject", "party: russia\n      subject",
         r"events\[2\]\.stop\.party: 'russia' is not one of"),
    ],
)  # fmt: skip
def test_bad_officer_and_request_fields_are_refused_by_name(old: str, new: str, where: str) -> None:
    text = text_of(LADDER)
    assert old in text
    with pytest.raises(InvalidInput, match=where):
        parse_scenario(text.replace(old, new, 1), "callback.yaml", SCENARIOS)
