"""The alert budget of one step: bounded, fair between sets of parties, nothing lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.model import Alert
from deconflict.service.admission import Backlog
from deconflict.service.findings import Coverage, Found


def found(a: str, b: str, pa: str, pb: str, t_s: float = 0.0) -> Found:
    alert = Alert("separation", (pa, pb), (a, b), now_s=0.0, t_s=t_s, lat_deg=0.0, lon_deg=0.0,
                  details={}, geometry=None)  # fmt: skip
    key = f"{alert.key}#{','.join(alert.parties)}"
    return Found(key, alert, (a, b), {}, frozenset({f"{pa}/{a}", f"{pb}/{b}"}))


def flood(n: int) -> list[Found]:
    return [found(f"h{i}", "v1", "hostile", "victim") for i in range(n)]


NOTHING = Coverage(all_tracks=False)


def test_a_step_takes_at_most_the_budget_and_keeps_the_rest() -> None:
    backlog = Backlog(100)
    now, held = backlog.take(flood(250), NOTHING, set())
    assert len(now) == 100 and len(held) == 100 and len(backlog) == 100
    again, held = backlog.take([], NOTHING, set())
    assert len(again) == 100 and not held
    assert not {f.key for f in now} & {f.key for f in again}


def test_bystanders_are_taken_in_the_first_step_of_a_flood() -> None:
    backlog = Backlog(50)
    probe = found("b1", "c1", "third", "victim", t_s=90.0)
    now, _ = backlog.take([*flood(5000), probe], NOTHING, set())
    assert probe in now
    assert len(now) == 50


def test_the_soonest_conflicts_come_first_within_one_set_of_parties() -> None:
    backlog = Backlog(2)
    items = [found(f"h{i}", "v1", "hostile", "victim", t_s=float(100 - i)) for i in range(5)]
    now, _ = backlog.take(items, NOTHING, set())
    assert sorted(f.alert.t_s for f in now) == [96.0, 97.0]


def test_a_waiting_finding_not_found_again_by_a_run_that_looked_is_dropped() -> None:
    backlog = Backlog(1)
    a, b = found("h1", "v1", "hostile", "victim"), found("h2", "v1", "hostile", "victim")
    backlog.take([a, b], NOTHING, set())
    assert len(backlog) == 1
    looked = Coverage(all_tracks=False, tracks={"hostile/h1", "hostile/h2"})
    now, held = backlog.take([], looked, set())
    assert now == [] and not held and len(backlog) == 0


def test_a_waiting_finding_whose_track_left_is_dropped() -> None:
    backlog = Backlog(1)
    backlog.take(flood(2), NOTHING, set())
    now, _ = backlog.take([], NOTHING, {"hostile/h0", "hostile/h1"})
    assert now == []


def test_findings_that_change_nothing_cost_nothing() -> None:
    backlog = Backlog(1)
    standing = flood(10)
    new = found("b1", "c1", "third", "victim")
    now, held = backlog.take([*standing, new], NOTHING, set(), changes=lambda f: f is new)
    assert len(now) == 11 and not held


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40)), max_size=300), st.integers(1, 30))
def test_every_finding_is_taken_within_its_share_of_steps(
    pairs: list[tuple[int, int]], budget: int
) -> None:
    """Fed the same findings every run (a flood that keeps reporting), each finding is
    taken within ceil(size of its set of parties / its fair share) steps; never more
    than the budget per step."""
    names = ["a", "b", "c", "d"]
    items = {}
    for p, i in pairs:
        f = found(f"t{i}", f"u{p}", names[p], "z")
        items[f.key] = f
    backlog = Backlog(budget)
    seen: set[str] = set()

    def changes(f: Found) -> bool:
        return f.key not in seen

    for _ in range(len(items) + 1):
        now, _ = backlog.take(list(items.values()), NOTHING, set(), changes=changes)
        costly = [f for f in now if f.key not in seen]
        assert len(costly) <= budget
        seen |= {f.key for f in costly}
        if seen == set(items):
            break
    assert seen == set(items)


def test_one_set_of_parties_gets_at_most_its_rate_while_others_get_theirs() -> None:
    """Runs 20 ms apart for 2 s: the flooded pair gets its burst and then per_s a second
    (what its parties' streams must read), a bystander pair is not held back by it."""
    backlog = Backlog(100, per_s=100.0)
    pending = flood(2000)
    got = 0
    bystanders = 0
    for k in range(100):
        probe = found(f"b{k}", "c1", "third", "victim")
        now, _ = backlog.take([*pending, probe], NOTHING, set(), now=1000.0 + 0.02 * k)
        got += sum(1 for f in now if "hostile" in f.alert.parties)
        bystanders += probe in now
        pending = [f for f in pending if f not in now]
    assert got <= 100 + 100 * 2.0 + 1
    assert got >= 250
    assert bystanders == 100
