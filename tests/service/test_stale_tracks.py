"""Tracks leave the picture once not reported for ``track_max_age_s``: the picture finds
them without looking at every track each round, and finds exactly those a scan would."""

from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.model import TrackReport
from deconflict.service.config import ServiceConfig
from deconflict.service.picture import LivePicture

T0 = 1.8e9
AGE_S = 10.0

steps = st.lists(
    st.one_of(
        st.tuples(st.just("report"), st.integers(0, 12), st.floats(-20.0, 40.0)),
        st.tuples(st.just("round"), st.integers(0, 1), st.floats(0.0, 40.0)),
    ),
    max_size=60,
)


def report(id: str, t: float) -> TrackReport:
    return TrackReport(id, t, 30.0, 40.0, 9000.0, 200.0, 90.0, 0.0)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_stale_tracks_are_those_a_scan_of_every_track_finds(script):
    picture = LivePicture(ServiceConfig(track_max_age_s=AGE_S))
    picture.detects = False  # only the tracks are under test here
    for op, k, dt in script:
        if op == "report":
            picture.upsert_tracks("p", [report(f"t{k}", T0 + dt)])
            continue
        now = T0 + dt
        expected = sorted(q for q, (_, r) in picture.reports.items() if r.time_s < now - AGE_S)
        assert sorted(picture.drop_stale(now)) == expected
        assert sorted(picture.drop_stale(now)) == expected  # asking twice changes nothing
        if k % 2 == 0:
            picture.forget(expected)


def test_a_report_with_an_old_time_is_found_stale():
    picture = LivePicture(ServiceConfig(track_max_age_s=AGE_S))
    picture.detects = False
    picture.upsert_tracks("p", [report("a", T0)])
    assert picture.drop_stale(T0 + 5) == []
    picture.upsert_tracks("p", [report("b", T0 - 8)])  # older than any held before
    assert picture.drop_stale(T0 + 5) == ["p/b"]
    picture.forget(["p/b"])
    assert picture.drop_stale(T0 + 5) == []
    assert picture.drop_stale(T0 + 11) == ["p/a"]
