"""Duty officers and the escalation ladder, in process on a simulated clock, on both
stores: tokens and roles, answers and writes recorded with the officer, the ladder's
rungs and what each party reads of another's officers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from deconflict.api.broker import reaches
from deconflict.errors import Conflict, Forbidden, InvalidInput
from deconflict.service.auth import Unauthenticated
from deconflict.service.clock import SimClock
from deconflict.service.config import ServiceConfig, parse_ladder
from deconflict.service.core import Service
from deconflict.service.officers import PRESENT_S
from deconflict.store import open_database
from deconflict.store.keys import open_log
from servicekit import StoreTarget

T0 = 1_500_000_000.0
SITE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.14, 35.33]},
    "properties": {"id": "hospital-1", "kind": "protected", "radius_m": 500},
}


def ledger(service: Service) -> list[dict[str, Any]]:
    """Every entry of the service's ledger, parsed."""
    return [json.loads(leaf) for _, leaf in service.log.entries(0, service.log.size)]


class Desk:
    """blue and red, each with a duty officer, a supervisor and a viewer."""

    def __init__(self, store: StoreTarget) -> None:
        self.clock = SimClock(T0)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.db = open_database(store.target)
        config = ServiceConfig(ladder_s={"declaration": (30.0, 60.0), "*": (20.0, 40.0)})
        self.service = Service(
            self.db,
            open_log(self.db, store.key_dir),
            config=config,
            clock=self.clock,
            publish=lambda party, event: self.events.append((party, event)),
        )
        self.tokens: dict[str, str] = {}
        for p in ("blue", "red"):
            self.tokens[p] = self.service.add_party(p)
            for name, role in (("duty", "duty"), ("sup", "supervisor"), ("view", "viewer")):
                self.tokens[f"{p}/{name}"] = self.service.admin.add_officer(p, f"{p}-{name}", role)
        self.service.refresh_parties()

    def declaration(self, party: str) -> dict[str, Any]:
        (a,) = [x for x in self.service.alerts_for(party) if x["kind"] == "declaration"]
        return a

    def pushed(self, party: str) -> list[dict[str, Any]]:
        return [e["alert"] for p, e in self.events if p == party and e["type"] == "alert"]


@pytest.fixture
def desk(store: StoreTarget) -> Iterator[Desk]:
    d = Desk(store)
    yield d
    d.db.close()


def test_each_officer_token_names_its_party_officer_and_role(desk: Desk) -> None:
    s = desk.service
    who = s.principal(desk.tokens["red/sup"])
    assert (who.party, who.officer, who.role) == ("red", "red-sup", "supervisor")
    assert s.authenticate(desk.tokens["red/duty"]) == "red"
    machine = s.principal(desk.tokens["red"])
    assert (machine.party, machine.officer, machine.role) == ("red", None, None)
    with pytest.raises(Forbidden):
        s.principal(desk.tokens["red/view"]).check_write()
    s.principal(desk.tokens["red/duty"]).check_write()
    # revoked: at once; and every officer of a revoked party
    s.admin.revoke_officer("red", "red-duty")
    with pytest.raises(Unauthenticated):
        s.principal(desk.tokens["red/duty"])
    s.revoke_party("blue")
    with pytest.raises(Unauthenticated):
        s.principal(desk.tokens["blue/sup"])


def test_names_roles_and_duplicates_are_checked(desk: Desk) -> None:
    admin = desk.service.admin
    with pytest.raises(InvalidInput, match="role"):
        admin.add_officer("red", "x", "admiral")
    with pytest.raises(InvalidInput, match="officer name"):
        admin.add_officer("red", "<script>", "duty")
    with pytest.raises(Conflict):
        admin.add_officer("red", "red-duty", "duty")
    with pytest.raises(InvalidInput):
        parse_ladder("separation=20")
    with pytest.raises(InvalidInput, match="ladder"):
        ServiceConfig(ladder_s={"separation": (40.0, 20.0)})


def test_answers_and_writes_carry_the_officer(desk: Desk) -> None:
    s = desk.service
    s.declare("blue", SITE, expect="positions", officer="blue-duty")
    a = desk.declaration("red")
    assert a["details"]["officer"] == "blue-duty"
    done = s.answer("red", a["id"], "roger", officer="red-sup")
    assert done["alert"]["acks"]["red"] == {
        "response": "roger",
        "at": done["alert"]["acks"]["red"]["at"],
        "officer": "red-sup",
    }
    # the other party reads who answered
    assert desk.declaration("blue")["acks"]["red"]["officer"] == "red-sup"
    m = s.send_message("red", ["blue"], "seen", officer="red-duty")["message"]
    assert m["officer"] == "red-duty"
    s.set_channel("blue", True, "maintenance", officer="blue-sup")
    assert s.channel_state()["parties"]["blue"]["officer"] == "blue-sup"
    entries = ledger(s)
    assert [e["officer"] for e in entries if e.get("kind") == "ack"] == ["red-sup"]
    assert [e["officer"] for e in entries if e.get("kind") == "declaration"] == ["blue-duty"]
    assert [e["message"]["officer"] for e in entries if e.get("kind") == "message"] == ["red-duty"]
    assert [e["officer"] for e in entries if e.get("kind") == "channel"] == ["blue-sup"]
    added = [e for e in entries if e.get("kind") == "officer"]
    assert {(e["party"], e["officer"], e["role"]) for e in added} >= {("red", "red-view", "viewer")}
    # a party token's answer has no officer
    s.declare("red", {**SITE, "properties": {**SITE["properties"], "id": "h2"}}, expect="positions")
    b = next(x for x in s.alerts_for("blue") if x["subjects"] == ["h2"])
    assert s.answer("blue", b["id"], "wilco")["alert"]["acks"]["blue"]["officer"] is None


def test_the_ladder_climbs_on_the_clock_until_answered(desk: Desk) -> None:
    s = desk.service
    s.declare("blue", SITE, expect="positions", officer="blue-duty")
    a = desk.declaration("red")
    assert a["reach"] == ["duty"] and a["unanswered"] == []
    assert reaches("duty", {"type": "alert", "alert": a})
    assert not reaches("supervisor", {"type": "alert", "alert": a})
    assert reaches(None, {"type": "alert", "alert": a})  # the party's own token
    assert [x["id"] for x in s.alerts_for("red", "supervisor")] == []
    s.step()
    desk.clock.advance(29.0)
    s.step()
    assert len(desk.pushed("red")) == 1  # raised only
    desk.clock.advance(2.0)  # 31 s: past the first step
    s.step()
    climbed = desk.pushed("red")[-1]
    assert len(desk.pushed("red")) == 2
    assert climbed["reach"] == ["duty", "supervisor"]
    assert climbed["unanswered"] == [
        {"party": "red", "since": a["raised_at"], "rung": "supervisor"}
    ]
    # the declaring party sees red's silence too; it owes no answer, so every one of its
    # officers has seen its own declaration from the start
    seen_by_blue = desk.pushed("blue")[-1]
    assert seen_by_blue["unanswered"][0]["party"] == "red"
    assert seen_by_blue["reach"] == ["duty", "supervisor", "viewer"]
    assert desk.pushed("blue")[0]["reach"] == ["duty", "supervisor", "viewer"]
    for role in ("duty", "supervisor", "viewer"):
        assert [x["id"] for x in s.alerts_for("blue", role)] == [a["id"]]
    assert [x["id"] for x in s.alerts_for("red", "supervisor")] == [a["id"]]
    assert s.alerts_for("red", "viewer") == []
    s.step()
    assert len(desk.pushed("red")) == 2  # not pushed again on the same rung
    desk.clock.advance(30.0)  # 61 s: every officer
    s.step()
    assert desk.pushed("red")[-1]["reach"] == ["duty", "supervisor", "viewer"]
    assert desk.pushed("red")[-1]["unanswered"][0]["rung"] == "all"
    notes = ledger(s)
    rungs = [e["rung"] for e in notes if e.get("kind") == "notification" and "rung" in e]
    assert rungs == ["supervisor", "all"]
    done = s.answer("red", a["id"], "wilco", officer="red-sup")
    view = done["alert"]
    assert view["unanswered"] == [] and view["reach"] == ["duty", "supervisor", "viewer"]


def test_an_answer_before_the_first_step_keeps_the_alert_with_duty(desk: Desk) -> None:
    s = desk.service
    s.declare("blue", SITE, expect="positions")
    a = desk.declaration("red")
    s.step()
    desk.clock.advance(10.0)
    s.answer("red", a["id"], "roger", officer="red-duty")
    desk.clock.advance(100.0)
    s.step()
    b = desk.declaration("red")
    assert b["reach"] == ["duty"] and b["unanswered"] == []
    assert not [e for p, e in desk.events if e.get("alert", {}).get("unanswered")]


def test_another_party_reads_only_the_duty_roster(desk: Desk) -> None:
    s = desk.service
    officers = s.officers
    duty = s.principal(desk.tokens["blue/duty"])
    officers.connected(duty)
    own, other = s.roster_for("blue")
    assert own == {
        "party": "blue",
        "officers": [
            {"name": "blue-duty", "role": "duty", "present": True},
            {"name": "blue-sup", "role": "supervisor", "present": False},
            {"name": "blue-view", "role": "viewer", "present": False},
        ],
    }
    assert other == {"party": "red", "officers": [{"name": "red-duty", "present": False}]}
    # red reads blue's duty officer and whether it is present: nothing else
    blue_for_red = next(r for r in s.roster_for("red") if r["party"] == "blue")
    assert blue_for_red == {"party": "blue", "officers": [{"name": "blue-duty", "present": True}]}
    # present for a minute after it left, then absent (and the roster is pushed again)
    officers.left(duty)
    desk.clock.advance(PRESENT_S - 1)
    assert officers.present("blue", "blue-duty")
    desk.events.clear()
    desk.clock.advance(2.0)
    assert not officers.present("blue", "blue-duty")
    s.refresh_parties()
    rosters = [(p, e["roster"]) for p, e in desk.events if e["type"] == "roster"]
    assert {p for p, _ in rosters} == {"blue", "red"}
    for _, roster in rosters:
        blue = next(r for r in roster if r["party"] == "blue")
        assert all(not o["present"] for o in blue["officers"])


def test_officers_added_or_revoked_elsewhere_are_taken_in(desk: Desk, store: StoreTarget) -> None:
    from deconflict.service.parties import PartyAdmin

    other_db = open_database(store.target)
    try:
        PartyAdmin(other_db, open_log(other_db, store.key_dir)).add_officer(
            "red", "red-night", "duty"
        )
        desk.events.clear()
        desk.service.refresh_parties()
        red_for_blue = next(r for r in desk.service.roster_for("blue") if r["party"] == "red")
        assert [o["name"] for o in red_for_blue["officers"]] == ["red-duty", "red-night"]
        assert any(e["type"] == "roster" for _, e in desk.events)
    finally:
        other_db.close()


def test_another_party_cannot_read_who_a_party_made_officer(desk: Desk) -> None:
    s = desk.service
    added = [e for e in ledger(s) if e.get("kind") == "officer"]
    red_sup = next(e for e in added if e["officer"] == "red-sup")
    assert s.record.visible("red", red_sup) and not s.record.visible("blue", red_sup)
    assert not any("red-sup" in line for line in s.export_for("blue"))
    assert not any("red-sup" in str(r) for r in s.roster_for("blue"))


def test_an_officer_reconnecting_in_a_loop_changes_the_roster_once(desk: Desk) -> None:
    officers = desk.service.officers
    who = desk.service.principal(desk.tokens["red/duty"])
    arrivals = []
    for _ in range(50):
        arrivals.append(officers.connected(who))
        officers.left(who)
        desk.clock.advance(1.0)
    assert arrivals.count(True) == 1 and arrivals[0]
    assert not officers.lapsed()  # still present: nothing to push
    desk.clock.advance(PRESENT_S)
    assert officers.lapsed() and not officers.lapsed()
    assert officers.connected(who)  # absent again: its return is news once more


def test_the_ladder_climbs_inside_a_short_answer_deadline(store: StoreTarget) -> None:
    clock = SimClock(T0)
    db = open_database(store.target)
    try:
        config = ServiceConfig(
            deadlines_s={"declaration": 30.0}, ladder_s={"declaration": (600.0, 1200.0)}
        )
        s = Service(db, open_log(db, store.key_dir), config=config, clock=clock)
        s.add_party("blue")
        s.add_party("red")
        s.declare("blue", SITE, expect="positions")
        s.step()
        (a,) = s.alerts_for("red")
        clock.advance(11.0)  # past a third of the 30 s deadline
        s.step()
        assert s.alerts_for("red")[0]["reach"] == ["duty", "supervisor"]
        clock.advance(10.0)  # past two thirds: before the deadline, every officer has it
        s.step()
        (b,) = s.alerts_for("red")
        assert b["reach"] == ["duty", "supervisor", "viewer"] and not b["escalated"]
        assert a["id"] == b["id"]
    finally:
        db.close()


def test_what_a_gateway_says_it_holds_replaces_what_was_counted_from_it(desk: Desk) -> None:
    """A cluster's recorder counts streams per gateway; a gateway's whole count (sent
    after a takeover, and now and then) puts right calls lost on the way."""
    officers = desk.service.officers
    who = desk.service.principal(desk.tokens["red/duty"])
    officers.connected(who, "gw-a")
    officers.connected(who, "gw-a")  # two pages on one gateway
    officers.resync("gw-a", [("red", "red-duty", 2)])  # no change: the same count
    officers.left(who, "gw-a")
    assert officers.present("red", "red-duty")
    # gw-a's last "left" was lost: its count says it holds none
    officers.resync("gw-a", [])
    desk.clock.advance(PRESENT_S + 1)
    assert not officers.present("red", "red-duty")
    # a recorder that just took over hears of a stream it never saw open
    officers.resync("gw-b", [("red", "red-duty", 1)])
    assert officers.present("red", "red-duty")
    # another gateway's count is its own: gw-a saying it holds none changes nothing
    officers.resync("gw-a", [])
    desk.clock.advance(PRESENT_S + 1)
    assert officers.present("red", "red-duty")
    officers.left(who, "gw-b")
    officers.left(who, "gw-b")  # one too many: never below none
    desk.clock.advance(PRESENT_S + 1)
    assert not officers.present("red", "red-duty")
