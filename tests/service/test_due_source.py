"""The alerts' clocks watched elsewhere (a cluster's hotlines): while any hotline is
alive the step looks for late answers and ladder climbs only at the alerts said due,
decides from its own book what is late, and writes each escalation and climb once
however many times it is told."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from deconflict.cluster.duebox import DueInbox, timing
from deconflict.errors import InvalidInput
from deconflict.service.clock import SimClock, iso
from deconflict.service.config import ServiceConfig
from deconflict.service.core import Service
from deconflict.store import open_database
from deconflict.store.keys import open_log
from servicekit import StoreTarget

T0 = 1_500_000_000.0


class Alive:
    """Who the inbox hears beating: the names set here."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def alive(self) -> tuple[str, ...]:
        return self.names


class Desk:
    def __init__(self, store: StoreTarget) -> None:
        self.clock = SimClock(T0)
        self.db = open_database(store.target)
        self.service = Service(
            self.db,
            open_log(self.db, store.key_dir),
            config=ServiceConfig(ladder_s={"separation": (20.0, 40.0)}),
            clock=self.clock,
        )
        for p in ("blue", "red"):
            self.service.add_party(p)
        self.hotlines = Alive("h1")
        self.inbox = DueInbox(self.hotlines, wake=lambda: None, clock=self.clock.now)
        self.service.detection.due = self.inbox

    def report(self) -> None:
        """Blue eastbound, red westbound, 45 km apart at T0, where they are now."""
        dt = self.clock.now() - T0
        aircraft = (("blue", "b1", 40.0, 90.0, 1), ("red", "r1", 40.5, 270.0, -1))
        for party, id, lon, trk, sign in aircraft:
            track = {
                "id": id, "time": iso(self.clock.now()), "lat": 35.0,
                "lon": lon + sign * dt * 250 / 91_000, "alt_m": 9000.0, "gs_mps": 250.0,
                "track_deg": trk, "vs_mps": 0.0,
            }  # fmt: skip
            self.service.report_tracks(party, [track])

    def alert(self) -> Any:
        (alert,) = self.service.book.live()
        return alert

    def entries(self, **match: Any) -> list[dict[str, Any]]:
        log = self.service.log
        docs = [json.loads(leaf) for _, leaf in log.entries(0, log.size)]
        return [d for d in docs if all(d.get(k) == v for k, v in match.items())]

    def climbs(self) -> list[str]:
        """The rungs the ladder climbed, in order."""
        return [e["rung"] for e in self.entries(kind="notification") if "rung" in e]

    def later(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.report()
        self.service.step()


@pytest.fixture
def desk(store: StoreTarget) -> Iterator[Desk]:
    d = Desk(store)
    d.report()
    d.service.step()
    yield d
    d.db.close()


def test_late_answers_wait_for_a_hotline_and_are_escalated_once(desk: Desk) -> None:
    alert = desk.alert()
    assert alert.deadline is not None
    third = (alert.deadline - T0) / 3  # the steps brought inside the ~36 s deadline
    first, second = third, 2 * third
    assert timing(alert, desk.service.ladder, T0)["due"] == [
        T0 + first,
        T0 + second,
        alert.deadline,
    ]
    desk.later(alert.deadline - T0 + 1)
    assert not desk.alert().escalated  # nobody said it is due: the step did not look
    assert desk.climbs() == []
    for hotline in ("h1", "h2", "h1"):  # said due three times, by two hotlines
        desk.inbox.due(hotline, [[alert.id, alert.deadline]])
    desk.later(0.5)
    assert desk.alert().escalated and sorted(desk.alert().overdue) == ["blue", "red"]
    desk.inbox.due("h2", [[alert.id, alert.deadline]])
    desk.later(0.5)
    assert len(desk.entries(kind="alert", event="escalated")) == 1
    # the ladder climbed straight to the top rung, once
    assert desk.climbs() == ["all"]
    assert timing(desk.alert(), desk.service.ladder, desk.clock.now())["due"] == []
    # no hotline left: the recorder looks at every alert itself, and finds nothing to do
    desk.hotlines.names = ()
    desk.later(1.0)
    assert len(desk.entries(kind="alert", event="escalated")) == 1
    assert len(desk.climbs()) == 1


def test_each_rung_is_climbed_when_said_due(desk: Desk) -> None:
    alert = desk.alert()
    third = (alert.deadline - T0) / 3
    desk.later(13.0)
    desk.inbox.due("h1", [[alert.id, T0 + third]])
    desk.later(0.1)
    assert desk.climbs() == ["supervisor"]
    assert timing(alert, desk.service.ladder, desk.clock.now())["due"] == [
        T0 + 2 * third,
        alert.deadline,
    ]
    desk.inbox.due("h2", [[alert.id, T0 + third]])  # the same time again: nothing
    desk.later(0.1)
    assert len(desk.climbs()) == 1


def test_a_time_ahead_of_the_recorders_clock_waits_for_it(desk: Desk) -> None:
    alert = desk.alert()
    assert alert.deadline is not None
    desk.later(alert.deadline - T0 - 2.0)
    desk.inbox.due("h1", [[alert.id, alert.deadline]])  # a hotline's clock runs ahead
    desk.later(0.5)
    assert not desk.alert().escalated
    desk.later(2.0)
    assert desk.alert().escalated


def test_a_hotline_says_when_never_what(desk: Desk) -> None:
    alert = desk.alert()
    # told an alert is due long before its deadline: the recorder's book says it is not
    desk.inbox.due("h1", [[alert.id, T0], ["al-nobody", T0]])
    desk.later(1.0)
    assert not desk.alert().escalated and desk.climbs() == []
    for bad in ([[alert.id]], [[1, T0]], [[alert.id, "soon"]], "x", [[alert.id, T0 + 1e6]]):
        with pytest.raises(InvalidInput, match="due times"):
            desk.inbox.due("h1", bad)
    assert desk.inbox.stats()["deadlines"] == "hotlines"
    desk.inbox.due("made-up", [[alert.id, T0]])  # a name nobody heard beating: not counted
    assert set(desk.inbox.stats()["hotlines"]) == {"h1"}
    desk.hotlines.names = ()
    assert desk.inbox.stats()["deadlines"] == "recorder"


def test_a_flood_of_due_times_is_refused_whole(desk: Desk, monkeypatch) -> None:
    monkeypatch.setattr("deconflict.cluster.duebox.MAX_WAITING", 3)
    desk.inbox.due("h1", [[f"al-{i}", T0 + 60] for i in range(3)])
    with pytest.raises(InvalidInput, match="too many"):
        desk.inbox.due("h1", [["al-x", T0 + 60]])
    assert desk.inbox.take(T0 + 61) == {"al-0", "al-1", "al-2"}  # the refused one is not
