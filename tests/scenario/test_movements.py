"""A scenario declares a ground movement among its intents; a strike near the route is
told to both parties and answered by the scenario's rules."""

from __future__ import annotations

import json

import pytest

from deconflict.errors import InvalidInput
from deconflict.scenario.loader import parse_scenario
from deconflict.scenario.outcome import outcome_json
from deconflict.scenario.replay import replay

CONVOY = """\
name: convoy and strike
start: "2016-09-17T12:00:00Z"
duration_s: 900
step_s: 5
parties:
  - {name: un}
  - {name: blue}
intents:
  - type: Feature
    geometry: {type: LineString, coordinates: [[40.10, 35.30], [40.16, 35.33], [40.20, 35.33]]}
    properties: {id: convoy, party: un, kind: movement, width_m: 300,
                 start: "2016-09-17T12:30:00Z", end: "2016-09-17T14:00:00Z"}
events:
  - at_s: 300
    declare:
      party: blue
      strikes:
        - type: Feature
          geometry: {type: Point, coordinates: [40.18, 35.335]}
          properties: {id: s1, kind: strike, radius_m: 200,
                       start: "2016-09-17T13:00:00Z", end: "2016-09-17T13:05:00Z"}
answers:
  - {party: un, kind: '*', response: roger, after_s: 30}
  - {party: blue, kind: strike-proximity, response: wilco, after_s: 60}
  - {party: blue, kind: declaration, response: roger, after_s: 20}
"""


def test_a_strike_near_a_declared_convoy_route_is_raised_and_answered() -> None:
    out = json.loads(outcome_json(replay(parse_scenario(CONVOY, "c.yaml"), progress=False)))
    (near,) = [a for a in out["alerts"] if a["kind"] == "strike-proximity"]
    assert near["subjects"] == ["s1", "convoy"]
    assert near["raised_at"] == "2016-09-17T12:05:00.000Z"
    assert near["answers"]["blue"]["response"] == "wilco"
    assert near["answers"]["un"]["response"] == "roger"
    declared = next(a for a in out["alerts"] if a["subjects"] == ["convoy"])
    assert declared["kind"] == "declaration"
    assert declared["answers"]["blue"]["response"] == "roger"


def test_a_bad_movement_in_a_scenario_is_refused_naming_it() -> None:
    bad = CONVOY.replace("width_m: 300", "width_m: 0")
    with pytest.raises(InvalidInput, match="width_m"):
        parse_scenario(bad, "c.yaml")
