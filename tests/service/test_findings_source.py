"""Detection done elsewhere (a cluster's detectors): the step turns their runs into
alerts as it does its own — the time to a conflict counted from the step's time, an
alert closed only on the word of a run that looked at its home track."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deconflict.service.clock import SimClock
from deconflict.service.config import ServiceConfig
from deconflict.service.core import Service
from deconflict.service.findings import Coverage, Found
from deconflict.service.picture import LivePicture
from deconflict.service.reports import TrackReport
from deconflict.store import open_database
from deconflict.store.keys import open_log
from servicekit import StoreTarget

T0 = 1_500_000_000.0


class Runs:
    """A :class:`~deconflict.service.step.FindingsSource`: the runs given to it."""

    def __init__(self) -> None:
        self.runs: list[tuple[list[Found], Coverage]] = []

    def active(self) -> bool:
        return True

    def take(self) -> list[tuple[list[Found], Coverage]]:
        runs, self.runs = self.runs, []
        return runs

    def stats(self) -> dict[str, Any]:
        return {"detection": "elsewhere"}


@pytest.fixture
def service(store: StoreTarget) -> Iterator[tuple[Service, SimClock, Runs]]:
    clock = SimClock(T0)
    db = open_database(store.target)
    s = Service(db, open_log(db, store.key_dir), config=ServiceConfig(), clock=clock)
    s.add_party("blue")
    s.add_party("red")
    runs = Runs()
    s.detection.source = runs
    yield s, clock, runs
    db.close()


def head_on() -> list[Found]:
    """A separation finding between blue/a and red/b, made at T0 (as a detector would)."""
    picture = LivePicture(ServiceConfig())
    picture.upsert_tracks("blue", [TrackReport("a", T0, 35.0, 40.0, 9e3, 200.0, 90.0, 0.0)])
    picture.upsert_tracks("red", [TrackReport("b", T0, 35.0, 40.5, 9e3, 200.0, 270.0, 0.0)])
    found, _ = picture.evaluate(T0, full=True)
    assert [f.alert.kind for f in found] == ["separation"]
    return found


def test_a_run_made_a_moment_ago_counts_its_time_from_the_step(service) -> None:
    s, clock, runs = service
    found = head_on()
    t_s = found[0].alert.t_s
    clock.advance(2.0)  # the run reached the recorder two seconds after it was made
    runs.runs.append((found, Coverage(all_tracks=False, tracks={"blue/a"}, owned=frozenset())))
    s.step()
    (alert,) = s.alerts_for("red")
    assert alert["subjects"] == ["a", "b"]
    assert alert["t"] == pytest.approx(t_s - 2.0, abs=1e-3)
    assert s.status()["detection"] == "elsewhere"


def test_an_alert_closes_only_on_the_word_of_a_run_that_looked_at_its_home(service) -> None:
    s, clock, runs = service
    runs.runs.append((head_on(), Coverage(all_tracks=False, owned=frozenset())))
    s.step()
    # another detector looked at red/b (not the pair's home) and did not find it
    clock.advance(1.0)
    runs.runs.append(([], Coverage(all_tracks=False, tracks={"red/b"}, owned=frozenset())))
    s.step()
    assert [a["state"] for a in s.alerts_for("blue")] == ["notified"]
    # the home's owner looked at blue/a and did not find it: the conflict went away
    runs.runs.append(
        ([], Coverage(all_tracks=False, tracks={"blue/a"}, owned=frozenset({"blue/a"})))
    )
    s.step()
    assert [a["state"] for a in s.alerts_for("blue")] == ["resolved"]


def test_a_run_on_an_older_picture_does_not_close_what_a_newer_one_found(service) -> None:
    """Two detectors both own the pair's home for a moment (one joined, the other has not
    heard of it yet): the one whose copy of the picture lags, without the pair's second
    track, must not close the alert the up-to-date one raised."""
    s, clock, runs = service
    home = frozenset({"blue/a"})
    runs.runs.append((head_on(), Coverage(all_tracks=False, tracks=set(home), version=7)))
    s.step()
    clock.advance(0.5)
    lagging = Coverage(all_tracks=False, tracks=set(home), owned=home, version=5)
    runs.runs.append(([], lagging))
    s.step()
    assert [a["state"] for a in s.alerts_for("blue")] == ["notified"]
    # a run on a picture as new as the finding's, or newer, may close it
    runs.runs.append(([], Coverage(all_tracks=False, tracks=set(home), owned=home, version=7)))
    s.step()
    assert [a["state"] for a in s.alerts_for("blue")] == ["resolved"]
