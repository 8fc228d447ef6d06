"""The hotlines' clock and how they share the alerts (pure: no bus)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deconflict.cluster.dueclock import DueClock, hotline_of


def test_a_passed_time_of_its_own_alert_is_given_once() -> None:
    clock = DueClock()
    clock.set("al-a", [10.0, 20.0, 30.0])
    assert clock.next_at() == 10.0
    assert clock.due(9.9, lambda a: True) == []
    assert clock.due(20.0, lambda a: True) == [("al-a", 10.0), ("al-a", 20.0)]
    assert clock.due(25.0, lambda a: True) == []
    assert clock.next_at() == 30.0


def test_new_times_replace_the_old_and_none_forgets_the_alert() -> None:
    clock = DueClock()
    clock.set("al-a", [10.0, 30.0])
    clock.set("al-a", [40.0])  # its ladder climbed, its deadline moved: old times gone
    assert clock.due(35.0, lambda a: True) == []
    assert clock.next_at() == 40.0 and len(clock) == 1
    clock.set("al-a", [])  # closed
    assert len(clock) == 0 and clock.next_at() is None
    assert clock.due(100.0, lambda a: True) == []


def test_another_hotlines_time_is_held_for_the_handover_then_dropped() -> None:
    clock = DueClock(handover_s=10.0)
    clock.set("al-a", [10.0])
    assert clock.due(11.0, lambda a: False) == []  # another's: held
    # its hotline died: this one inherits the alert and sends what it may have missed
    assert clock.due(15.0, lambda a: True) == [("al-a", 10.0)]
    clock.set("al-b", [10.0])
    assert clock.due(11.0, lambda a: False) == []
    assert clock.due(21.0, lambda a: False) == []  # past the handover: dropped
    assert clock.due(22.0, lambda a: True) == []


def test_times_not_delivered_are_due_again() -> None:
    clock = DueClock()
    clock.set("al-a", [10.0])
    clock.set("al-b", [10.0])
    given_out = clock.due(10.0, lambda a: True)
    clock.again(given_out)
    assert sorted(clock.due(10.5, lambda a: True)) == [("al-a", 10.0), ("al-b", 10.0)]
    clock.set("al-b", [])
    clock.again([("al-b", 10.0)])  # closed meanwhile: not due again
    assert clock.due(11.0, lambda a: True) == []


def test_the_heap_stays_bounded_under_many_changes() -> None:
    clock = DueClock()
    for i in range(20_000):
        clock.set("al-a", [float(i), float(i + 1)])
    assert len(clock._heap) <= 4 * len(clock) + 1024 + 2
    assert clock.due(19_999.0, lambda a: True) == [("al-a", 19_999.0)]


names = st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=8, unique=True)


@given(names, st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=50))
def test_a_hotline_leaving_moves_only_its_own_alerts(hotlines, alerts) -> None:
    leaver, rest = hotlines[0], hotlines[1:]
    for a in alerts:
        before = hotline_of(a, hotlines)
        assert before in hotlines
        assert hotline_of(a, list(reversed(hotlines))) == before
        after = hotline_of(a, rest)
        assert after == before or before == leaver
