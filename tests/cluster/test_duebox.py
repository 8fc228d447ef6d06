"""The recorder's inbox of due alerts gives, at each look, exactly the alerts whose
soonest time said has come (the times kept in a heap, looked at only as they come due)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.cluster.duebox import DueInbox

T0 = 1_500_000_000.0


class Alive:
    def alive(self) -> tuple[str, ...]:
        return ("h1",)


said = st.lists(
    st.tuples(st.sampled_from([f"a{k}" for k in range(12)]), st.floats(0.0, 100.0)),
    max_size=6,
)
looks = st.lists(st.one_of(said, st.floats(0.0, 100.0)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(looks)
def test_each_look_takes_what_a_scan_of_every_waiting_time_would(steps: list) -> None:
    inbox = DueInbox(Alive(), wake=lambda: None, clock=lambda: T0)
    waiting: dict[str, float] = {}
    for step in steps:
        if isinstance(step, list):
            inbox.due("h1", [[a, T0 + t] for a, t in step])
            for a, t in step:
                waiting[a] = min(T0 + t, waiting.get(a, T0 + t))
        else:
            now = T0 + step
            ready = {a for a, t in waiting.items() if t <= now}
            for a in ready:
                del waiting[a]
            assert inbox.take(now) == ready
    assert inbox.take(T0 + 1e9) == set(waiting)
    assert inbox.take(T0 + 1e9) == set()


def test_many_changes_leave_the_heap_no_bigger_than_a_bound() -> None:
    inbox = DueInbox(Alive(), wake=lambda: None, clock=lambda: T0)
    for k in range(5000):
        # the same ten alerts told ever sooner times: each tells the heap once more
        inbox.due("h1", [[f"a{k % 10}", T0 + 100.0 - k * 0.01]])
    assert len(inbox._soonest) <= 2 * 10 + 1024
    assert inbox.take(T0 + 200.0) == {f"a{k}" for k in range(10)}
