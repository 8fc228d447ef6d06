"""The shipped incident scenarios, replayed: which alerts are raised, to whom, how long
before the incident, and what changes when the channel is suspended or a party never
answers. Each scenario is replayed once per test session (see ``outcomes``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from deconflict.scenario.loader import load_scenario
from deconflict.scenario.outcome import outcome
from deconflict.scenario.replay import replay
from deconflict.trackio import parse_time

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


@cache
def outcomes(name: str) -> dict[str, Any]:
    return outcome(replay(load_scenario(SCENARIOS / name), progress=False))


def alerts(name: str, kind: str, *subjects: str) -> list[dict[str, Any]]:
    return [
        a
        for a in outcomes(name)["alerts"]
        if a["kind"] == kind and all(s in a["subjects"] for s in subjects)
    ]


def at(name: str, iso: str) -> float:
    """Seconds from the scenario's start."""
    return parse_time(iso) - parse_time(outcomes(name)["scenario"]["start"])


# -- Deir ez-Zor, 2016-09-17 ------------------------------------------------------------

DECLARED = "deir-ez-zor-2016-declared.yaml"
UNDECLARED = "deir-ez-zor-2016-undeclared.yaml"


def test_deir_ez_zor_declared_positions_warn_both_parties_before_the_strike() -> None:
    found = alerts(DECLARED, "strike-proximity", "strike-tharda")
    assert sorted(tuple(a["subjects"]) for a in found) == [
        ("strike-tharda", "syr-dez-airport"),
        ("strike-tharda", "syr-tharda"),
    ]
    for a in found:
        assert a["parties"] == ["coalition", "syria"]
        # raised when the plan is declared (T+10 min), told to both at once
        assert at(DECLARED, a["raised_at"]) == 600.0
        assert set(a["told"]) == {"coalition", "syria"}
        assert all(at(DECLARED, t) == 600.0 for t in a["told"].values())
        # 50 minutes before the strike window opens at 14:00
        assert a["predicted_at"] == "2016-09-17T14:00:00.000Z"
        assert a["lead_s"] == 3000.0
        assert a["answers"]["syria"]["response"] == "roger"
        assert a["answers"]["coalition"]["response"] == "wilco"
        assert a["verdict"] == "in-time", a["why"]


def test_deir_ez_zor_aircraft_crossing_from_iraq_are_noted_to_the_coalition() -> None:
    crossings = alerts(DECLARED, "border-crossing")
    entered = {a["subjects"][0] for a in crossings if a["details"].get("to") == "syr"}
    assert entered == {"VIPER11", "VIPER12", "HOG21", "HOG22"}
    for a in crossings:
        assert a["parties"] == ["coalition"]
        assert a["lead_s"] > 0


def test_deir_ez_zor_undeclared_positions_raise_no_alert_about_the_strike() -> None:
    assert alerts(UNDECLARED, "strike-proximity") == []
    to_syria = [a for a in outcomes(UNDECLARED)["alerts"] if "syria" in a["parties"]]
    # syria only receives the plan, as a declaration naming no conflict
    assert [(a["kind"], a["subjects"]) for a in to_syria] == [("declaration", ["strike-tharda"])]
    # everything else is the same as with the positions declared
    same = [(a["kind"], a["subjects"], a["raised_at"]) for a in outcomes(UNDECLARED)["alerts"]]
    declared = [
        (a["kind"], a["subjects"], a["raised_at"])
        for a in outcomes(DECLARED)["alerts"]
        if a["kind"] != "strike-proximity"
        and not (a["kind"] == "declaration" and a["subjects"][0].startswith("syr-"))
    ]
    assert same == declared


# -- Tabqa, 2017-06-18 ------------------------------------------------------------------

TABQA = "tabqa-2017-06-18.yaml"


def test_tabqa_strike_near_declared_partner_forces_is_flagged_before_it_and_never_answered() -> (
    None
):
    (a,) = alerts(TABQA, "strike-proximity", "su22-strike", "sdf-jadin")
    assert a["parties"] == ["coalition", "syria"]
    assert at(TABQA, a["raised_at"]) == 300.0
    assert a["lead_s"] == 900.0  # the strike window opens at 15:40
    assert a["answers"]["coalition"]["response"] == "roger"
    assert a["answers"]["syria"] is None
    assert a["verdict"] == "never" and a["why"] == "syria: no answer"


def test_tabqa_fighters_closing_on_the_su22_raise_a_separation_alert_ahead() -> None:
    found = alerts(TABQA, "separation", "SU22")
    assert found
    for a in found:
        assert a["parties"] == ["coalition", "syria"]
        assert a["lead_s"] >= 60.0
        assert a["answers"]["coalition"]["response"] == "wilco"
        assert a["answers"]["syria"] is None
        assert a["verdict"] == "never"


def test_tabqa_the_claimed_east_west_area_warns_syria_alone_of_its_su22() -> None:
    # a zone Syria never consented to tells its claimant nothing of Syria's aircraft
    (a,) = alerts(TABQA, "zone-entry", "SU22", "east-west-area")
    assert a["parties"] == ["syria"]
    assert set(a["told"]) == {"syria"}
    assert a["details"]["status"] == "claimed"
    assert a["lead_s"] > 0
    assert a["answers"]["syria"] is None
    assert a["verdict"] == "never"


def test_tabqa_russias_west_of_euphrates_claim_warns_the_coalition_and_tells_russia_nothing() -> (
    None
):
    suspended_at = 2400.0
    found = alerts(TABQA, "zone-entry", "west-of-euphrates")
    assert {a["subjects"][0] for a in found} == {"HORNET1", "HORNET2"}
    for a in found:
        assert a["parties"] == ["coalition"]
        assert set(a["told"]) == {"coalition"}
        assert at(TABQA, a["raised_at"]) >= suspended_at
        assert a["answers"]["coalition"]["response"] == "roger"
    russia = [w for w in outcomes(TABQA)["withheld"] if w["party"] == "russia"]
    assert not {a["id"] for a in found} & {w["alert"] for w in russia}
    (change,) = outcomes(TABQA)["channel"]
    assert change["party"] == "russia" and change["action"] == "suspend"


# -- al-Tanf, 2017 ----------------------------------------------------------------------

TANF = "al-tanf-2017.yaml"


def test_al_tanf_the_convoy_is_warned_before_contact_and_turns_back() -> None:
    (a,) = alerts(TANF, "zone-entry", "SYR-CONVOY", "al-tanf-55km")
    assert a["parties"] == ["syria"]  # Syria never consented to the coalition's area
    assert set(a["told"]) == {"syria"}
    assert a["lead_s"] >= 150.0
    assert a["answers"]["syria"]["response"] == "wilco"
    assert a["answers"]["syria"]["after_s"] == 60.0
    assert a["verdict"] == "in-time", a["why"]
    # the convoy turned back: the alert was resolved before the predicted entry
    assert a["state"] == "resolved"
    assert parse_time(a["closed_at"]) < parse_time(a["predicted_at"])


def test_al_tanf_the_armed_drone_is_flagged_but_nobody_answers_for_it() -> None:
    (entry,) = alerts(TANF, "zone-entry", "SYR-UAV1")
    assert entry["parties"] == ["syria"]
    assert entry["lead_s"] > 0
    assert entry["answers"]["syria"] is None
    assert entry["verdict"] == "never" and entry["why"] == "syria: no answer"
    closing = alerts(TANF, "separation", "SYR-UAV1", "EAGLE1")
    assert closing
    assert all(a["parties"] == ["coalition", "syria"] and a["lead_s"] >= 60 for a in closing)
    assert all(a["answers"]["coalition"]["response"] == "wilco" for a in closing)


# -- April 2017, the channel suspended ---------------------------------------------------

SHAYRAT = "shayrat-2017-04-channel-suspended.yaml"


def test_shayrat_alerts_while_suspended_are_delivered_marked_and_never_answered() -> None:
    found = alerts(SHAYRAT, "separation")
    pairs = [tuple(a["subjects"]) for a in found]
    assert pairs == [("RAPTOR1", "RUS11"), ("RAPTOR2", "RUS12"), ("RAPTOR3", "RUS13")]
    before, during, after = found
    for a in (before, after):
        assert a["suspended"] == []
        assert a["answers"]["russia"]["response"] == "wilco"
        assert a["answers"]["coalition"]["response"] == "wilco"
        assert a["verdict"] == "in-time", a["why"]
    assert 900.0 < at(SHAYRAT, during["raised_at"]) < 2400.0
    assert during["suspended"] == ["russia"]
    assert set(during["told"]) == {"coalition", "russia"}  # still delivered, marked
    assert during["answers"]["coalition"]["response"] == "wilco"
    assert during["answers"]["russia"] is None
    assert during["overdue"] == []  # a suspended party is not marked overdue
    assert during["verdict"] == "never" and during["why"] == "russia: channel suspended"
    assert [c["action"] for c in outcomes(SHAYRAT)["channel"]] == ["suspend", "resume"]
    for a in found:
        assert a["lead_s"] >= 250.0


@pytest.mark.parametrize("name", [DECLARED, TABQA, TANF, SHAYRAT])
def test_every_alert_reaches_every_party_it_involves(name: str) -> None:
    for a in outcomes(name)["alerts"]:
        assert set(a["told"]) == set(a["parties"])
