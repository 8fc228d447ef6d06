"""The hotline's rules on a simulated clock, in process, on both stores: raise once,
update when it matters, escalate late answers, resolve or expire, suspended parties,
restart from the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deconflict.errors import Conflict, InvalidInput, NotFound
from deconflict.ledger.log import verify_store
from deconflict.service.clock import SimClock, iso
from deconflict.service.config import ServiceConfig
from deconflict.service.core import Service
from deconflict.store import open_database
from deconflict.store.keys import open_log
from servicekit import StoreTarget

T0 = 1_500_000_000.0


class Harness:
    """A service on a simulated clock with blue, red and green, recording what it pushes."""

    def __init__(self, store: StoreTarget, **config: Any) -> None:
        self.store = store
        self.clock = SimClock(T0)
        self.config = ServiceConfig(**config)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.db = open_database(store.target)
        self.service = self._open()
        for p in ("blue", "red", "green"):
            self.service.add_party(p)

    def _open(self) -> Service:
        return Service(
            self.db,
            open_log(self.db, self.store.key_dir),
            config=self.config,
            clock=self.clock,
            publish=lambda party, event: self.events.append((party, event)),
        )

    def restart(self) -> None:
        self.db.close()
        self.db = open_database(self.store.target)
        self.service = self._open()

    def report(self, party: str, id: str, lat: float, lon: float, trk: float, **kw: Any) -> None:
        self.service.report_tracks(
            party,
            [
                {
                    "id": id,
                    "time": iso(self.clock.now()),
                    "lat": lat,
                    "lon": lon,
                    "alt_m": kw.get("alt_m", 9000.0),
                    "gs_mps": kw.get("gs_mps", 250.0),
                    "track_deg": trk,
                    "vs_mps": 0.0,
                }
            ],
        )

    def head_on(self) -> None:
        """Blue eastbound, red westbound, 45 km apart: loss of separation in ~73 s."""
        self.report("blue", "b1", 35.0, 40.0, 90.0)
        self.report("red", "r1", 35.0, 40.5, 270.0)

    def alerts(self, party: str, kind: str = "separation") -> list[dict[str, Any]]:
        return [a for a in self.service.alerts_for(party) if a["kind"] == kind]

    def pushed(self, party: str, kind: str = "separation") -> list[dict[str, Any]]:
        return [
            e["alert"]
            for p, e in self.events
            if p == party and e["type"] == "alert" and e["alert"]["kind"] == kind
        ]

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def h(store: StoreTarget) -> Iterator[Harness]:
    harness = Harness(store)
    yield harness
    harness.close()


def test_a_conflict_is_raised_once_and_told_to_both(h: Harness) -> None:
    h.head_on()
    h.service.step(full=False)
    (a,) = h.alerts("blue")
    assert a["parties"] == ["blue", "red"] and a["state"] == "notified"
    assert sorted(a["subjects"]) == ["b1", "r1"]
    assert 60 < a["t"] < 85
    assert len(h.pushed("blue")) == len(h.pushed("red")) == 1
    assert h.pushed("green") == [] and h.alerts("green") == []
    # seen again a second later, unchanged: the same alert, nothing pushed
    h.clock.advance(1.0)
    h.head_on()
    h.service.step(full=True)
    assert [x["id"] for x in h.alerts("blue")] == [a["id"]]
    assert len(h.pushed("blue")) == 1


def test_a_material_change_updates_the_alert(h: Harness) -> None:
    h.head_on()
    h.service.step()
    (a,) = h.alerts("blue")
    # red slows down: the conflict moves by far more than 15 s
    h.report("red", "r1", 35.0, 40.5, 270.0, gs_mps=120.0)
    h.service.step()
    (b,) = h.alerts("blue")
    assert b["id"] == a["id"] and b["t"] > a["t"] + 15
    assert len(h.pushed("red")) == 2


def test_deadline_escalates_the_party_that_did_not_answer(h: Harness) -> None:
    h.head_on()
    h.service.step()
    (a,) = h.alerts("blue")
    h.service.answer("blue", a["id"], "wilco", "climbing")
    h.service.answer("red", a["id"], "standby")
    h.clock.advance(40.0)  # the deadline is min(60, half the time to conflict) ~ 36 s
    h.report("blue", "b1", 35.0, 40.0 + 40 * 250 / 91_000, 90.0)
    h.report("red", "r1", 35.0, 40.5 - 40 * 250 / 91_000, 270.0)
    h.service.step()
    (b,) = h.alerts("blue")
    assert b["escalated"] and b["overdue"] == ["red"]
    assert b["acks"]["blue"]["response"] == "wilco"
    assert b["acks"]["red"]["response"] == "standby"
    assert h.pushed("red")[-1]["overdue"] == ["red"]
    h.service.answer("red", a["id"], "unable")
    (c,) = h.alerts("red")
    assert c["state"] == "answered" and c["overdue"] == []


def test_resolved_when_averted_expired_when_its_time_has_passed(h: Harness) -> None:
    h.head_on()
    h.service.step()
    (a,) = h.alerts("blue")
    h.clock.advance(5.0)
    h.report("red", "r1", 35.0, 40.5, 0.0)  # red turns north: no conflict any more
    h.service.step()
    (b,) = h.alerts("blue")
    assert b["id"] == a["id"] and b["state"] == "resolved"
    with pytest.raises(Conflict):
        h.service.answer("blue", a["id"], "roger")
    # a crossing that happens: expired once its time has passed
    h.report("blue", "b7", 10.0, 10.0, 90.0)
    h.report("red", "r7", 10.0, 10.05, 270.0)
    h.service.step()
    (live,) = [x for x in h.alerts("blue") if "b7" in x["subjects"]]
    assert live["t"] == 0.0
    h.clock.advance(60.0)
    h.report("blue", "b7", 10.0, 10.0 + 60 * 250 / 109_500, 90.0)
    h.report("red", "r7", 10.0, 10.05 - 60 * 250 / 109_500, 270.0)
    h.service.step()
    (done,) = [x for x in h.alerts("blue") if "b7" in x["subjects"]]
    assert done["state"] == "expired"


def test_stale_tracks_leave_and_their_alerts_close(h: Harness) -> None:
    h.head_on()
    h.service.step()
    h.clock.advance(61.0)
    h.service.step()
    assert h.service.tracks_of("blue") == []
    (a,) = h.alerts("blue")
    assert a["state"] in ("resolved", "expired")


def test_alerts_reach_the_others_while_a_party_is_suspended(h: Harness) -> None:
    h.service.set_channel("red", True, "strike on our airfield")
    with pytest.raises(InvalidInput):
        h.service.set_channel("blue", True, "")
    h.head_on()
    h.service.step()
    (a,) = h.alerts("blue")
    assert a["suspended"] == ["red"]
    h.clock.advance(40.0)
    h.service.step(full=True)
    (b,) = h.alerts("blue")
    assert "red" not in b["overdue"], "a suspended party is marked, not overdue"
    h.service.set_channel("red", False, "back")
    channel = h.service.channel_state()
    assert channel["state"] == "open"
    assert [x["action"] for x in channel["history"]] == ["suspend", "resume"]


def test_restart_keeps_alerts_channel_and_picture(h: Harness) -> None:
    h.head_on()
    h.service.step()
    (a,) = h.alerts("blue")
    h.service.answer("red", a["id"], "wilco")
    h.service.set_channel("green", True, "maintenance")
    h.service.send_message("blue", ["red"], "hold")
    h.restart()
    (b,) = h.alerts("blue")
    assert b["id"] == a["id"] and b["acks"]["red"]["response"] == "wilco"
    assert h.service.channel_state()["suspended"] == ["green"]
    assert [m["text"] for m in h.service.messages_for("red")] == ["hold"]
    assert {t["id"] for t in h.service.tracks_of("blue")} == {"b1"}
    h.service.step(full=True)
    assert [x["id"] for x in h.alerts("blue")] == [a["id"]], "not raised twice after restart"
    verify_store(h.service.log.store)


def test_answers_only_from_involved_parties(h: Harness) -> None:
    h.head_on()
    h.service.step()
    (a,) = h.alerts("blue")
    with pytest.raises(NotFound):
        h.service.answer("green", a["id"], "roger")
    with pytest.raises(InvalidInput):
        h.service.answer("blue", a["id"], "maybe")


def test_the_sweep_rechecks_tracks_nobody_reported_again(store: StoreTarget) -> None:
    h = Harness(store, track_max_age_s=600.0, full_pass_s=10.0)
    try:
        h.head_on()
        h.service.step()
        (a,) = h.alerts("blue")
        assert a["state"] == "notified"
        h.clock.advance(5.0)
        h.service.step()  # a slice of the picture: not yet every track
        h.clock.advance(200.0)  # they have passed each other; no new report
        h.service.step()
        (b,) = h.alerts("blue")
        assert b["id"] == a["id"] and b["state"] == "expired"
    finally:
        h.close()
