"""The live demo player: a scenario played into a service on a scaled clock, looping with
every loop shifted by the scenario's duration."""

from __future__ import annotations

import time
from pathlib import Path

from deconflict.ledger.log import verify_store
from deconflict.scenario.live import LiveDemo
from deconflict.scenario.loader import parse_scenario
from deconflict.scenario.recorder import Recorder
from deconflict.scenario.replay import build_config
from deconflict.service.clock import ScaledClock
from deconflict.service.core import Service
from deconflict.service.runner import DetectionRunner
from deconflict.store import open_database
from deconflict.store.keys import open_log

SCENARIO = """\
name: a strike plan, looping
start: "2016-09-17T13:00:00Z"
duration_s: 1200
parties:
  - {name: blue}
  - {name: red}
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
                       start: "2016-09-17T13:15:00Z", end: "2016-09-17T13:17:00Z"}
  - at_s: 400
    suspend: {party: red, reason: refused on the second loop (already suspended)}
answers:
  - {party: blue, kind: strike-proximity, response: wilco, after_s: 30}
"""


def test_the_demo_loops_with_times_shifted_and_answers_live(tmp_path: Path) -> None:
    scenario = parse_scenario(SCENARIO, "loop.yaml")
    db = open_database(str(tmp_path / "demo.db"))
    with db:
        clock = ScaledClock(scenario.start_s, 400.0)  # one loop in 3 s
        recorder = Recorder(clock.now, timeline=False)
        service = Service(
            db, open_log(db), config=build_config(scenario), clock=clock, publish=recorder.publish
        )
        for name, language in scenario.parties:
            service.add_party(name, language)
        runner = DetectionRunner(service)  # detection runs as in the live service
        demo = LiveDemo(scenario, service, recorder, clock)
        runner.start()
        demo.start()
        try:
            deadline = time.monotonic() + 60
            while demo.loops < 2:
                assert time.monotonic() < deadline, "the demo did not loop"
                time.sleep(0.1)
        finally:
            demo.stop()
            runner.stop()
        strikes = sorted(
            (a for a in service.alerts.values() if a.kind == "strike-proximity"),
            key=lambda a: a.raised_at,
        )
        assert len(strikes) >= 2
        first, second = strikes[:2]
        # the second loop's plan is the first's, 1,200 s later, raised as a new alert
        assert second.details["start_s"] - first.details["start_s"] == 1200.0
        assert abs((second.raised_at - first.raised_at) - 1200.0) < 60.0
        assert 300.0 <= first.raised_at - scenario.start_s < 360.0
        # blue's answer was given live, about 30 s of scenario time after each raise
        for alert in (first, second):
            ack = alert.acks["blue"]
            assert ack is not None and ack["response"] == "wilco"
        # the refused second suspension did not stop the loop; the log verifies
        assert service.channel_state()["suspended"] == ["red"]
        assert verify_store(db.ledger).tree_size == service.log.size
