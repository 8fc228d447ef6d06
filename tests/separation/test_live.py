"""LivePairs (incremental detection) against a full detect over the same picture."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.detect.live import LivePairs
from deconflict.detect.separation import Conflicts, detect
from deconflict.errors import InvalidInput
from deconflict.geo import destination
from deconflict.model import Tracks

BACKENDS = ["numpy", "numba"]


def random_tracks(rng, ids, lat0, lon0, spread_m, fast=False):
    n = len(ids)
    lat, lon = destination(
        np.full(n, lat0), np.full(n, lon0), rng.uniform(0, 360, n), rng.uniform(0, spread_m, n)
    )
    top = 700.0 if fast else 260.0
    return Tracks(
        id=ids,
        party=rng.choice(["blue", "red", "green"], n),
        lat_deg=lat,
        lon_deg=lon,
        alt_m=3000.0 + 304.8 * rng.integers(0, 3, n) + rng.normal(0, 40, n),
        gs_mps=np.where(rng.random(n) < 0.1, 0.0, rng.uniform(30, top, n)),
        track_deg=rng.uniform(0, 360, n),
        vs_mps=np.where(rng.random(n) < 0.3, rng.uniform(-20, 20, n), 0.0),
    )


def expected(live: LivePairs, ids, now: float) -> Conflicts:
    """The full detect over the picture at ``now``, kept to pairs touching ``ids``."""
    full = detect(
        live.tracks_at(now),
        lookahead=live.lookahead_s,
        h_sep=live.h_sep_m,
        v_sep=live.v_sep_m,
        between_parties=live.between_parties,
        backend=live.backend,
    )
    wanted = set(np.asarray(ids).tolist())
    keep = np.array([a in wanted or b in wanted for a, b in zip(full.a, full.b, strict=True)])
    keep = keep.astype(bool).reshape(-1)
    return Conflicts(
        full.i[keep],
        full.j[keep],
        full.ids,
        full.t_in_s[keep],
        full.t_out_s[keep],
        full.tcpa_s[keep],
        full.dcpa_m[keep],
    )


def assert_same(got: Conflicts, want: Conflicts, pairs_of) -> None:
    assert pairs_of(got) == pairs_of(want)
    for name in ("t_in_s", "t_out_s", "tcpa_s", "dcpa_m"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-12, atol=1e-9)


@st.composite
def scenarios(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    lat0 = draw(st.floats(-85, 85))
    lon0 = draw(st.sampled_from([-179.9, 179.9, 0.0])) + draw(st.floats(-0.2, 0.2))
    spread = draw(st.sampled_from([5_000.0, 30_000.0, 80_000.0]))
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["upsert", "remove", "query", "query", "advance"]),
                st.integers(0, 2**31),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return seed, lat0, lon0, spread, steps


@settings(max_examples=60, deadline=None)
@given(
    scenario=scenarios(),
    backend=st.sampled_from(BACKENDS),
    between_parties=st.booleans(),
    lookahead=st.sampled_from([60.0, 300.0]),
)
def test_conflicts_of_is_the_full_detect_restricted(
    scenario, backend, between_parties, lookahead, pairs_of
):
    seed, lat0, lon0, spread, steps = scenario
    rng = np.random.default_rng(seed)
    live = LivePairs(
        lookahead_s=lookahead, between_parties=between_parties, backend=backend, slack_s=30.0
    )
    now = 1.6e9
    names = [f"x{k:02d}" for k in range(24)]
    first = list(rng.choice(names, int(rng.integers(2, 20)), replace=False))
    live.upsert(
        random_tracks(rng, first, lat0, lon0, spread), now + rng.uniform(-20, 5, len(first))
    )
    for action, arg in steps:
        sub = np.random.default_rng(arg)
        if action == "upsert":
            ids = list(sub.choice(names, int(sub.integers(1, 8)), replace=False))
            tracks = random_tracks(sub, ids, lat0, lon0, spread, fast=sub.random() < 0.2)
            live.upsert(tracks, now + sub.uniform(-30, 5, len(ids)))
        elif action == "remove":
            live.remove(list(sub.choice(names, int(sub.integers(1, 4)), replace=False)))
        elif action == "advance":
            now += float(sub.choice([0.5, 10.0, 45.0, 200.0]))
        held = live.tracks_at(now).id
        assert len(held) == len(live)
        if len(held) == 0:
            continue
        ids = list(sub.choice(held, int(sub.integers(1, len(held) + 1)), replace=False))
        assert_same(live.conflicts_of(ids, now_s=now), expected(live, ids, now), pairs_of)
    held = live.tracks_at(now).id
    assert_same(live.all_conflicts(now_s=now), expected(live, held, now), pairs_of)


@pytest.mark.parametrize("backend", BACKENDS)
def test_many_batches_over_a_busy_region(backend, pairs_of):
    # Enough changes to rebuild the grid several times, tracks leaving its original
    # extent, boxes going stale as time runs on, and tracks removed and re-added.
    rng = np.random.default_rng(11)
    live = LivePairs(backend=backend, between_parties=False)
    names = np.array([f"a{k:05d}" for k in range(2500)])
    now = 1.7e9
    live.upsert(random_tracks(rng, names, 33.0, 40.0, 150e3), np.full(names.size, now))
    found = 0
    for step in range(8):
        now += float(rng.choice([1.0, 5.0, 70.0]))
        batch = rng.choice(names, 300, replace=False)
        centre = (33.0, 40.0) if step % 2 else (35.0, 43.0)
        live.upsert(random_tracks(rng, batch, *centre, 150e3), now - rng.uniform(0, 10, 300))
        gone = rng.choice(names, 20, replace=False)
        live.remove(gone)
        query = np.setdiff1d(batch, gone)
        got = live.conflicts_of(query, now_s=now)
        assert_same(got, expected(live, query, now), pairs_of)
        found += len(got)
        if step == 4:
            live.upsert(random_tracks(rng, gone, 33.0, 40.0, 150e3), np.full(gone.size, now))
    assert found > 100
    assert_same(live.all_conflicts(now_s=now), expected(live, names, now), pairs_of)


def test_small_pictures_and_bad_input():
    live = LivePairs()
    assert len(live) == 0
    assert len(live.conflicts_of([], now_s=0.0)) == 0
    assert len(live.all_conflicts(now_s=0.0)) == 0
    assert len(live.tracks_at(0.0)) == 0
    one = Tracks(id=["a"], party=["p"], lat_deg=[0.0], lon_deg=[0.0], alt_m=[0.0], gs_mps=[100.0],
                 track_deg=[0.0], vs_mps=[0.0])  # fmt: skip
    live.upsert(one, np.array([10.0]))
    assert len(live) == 1 and len(live.conflicts_of(["a"], now_s=20.0)) == 0
    assert len(live.conflicts_of(["zz"], now_s=20.0)) == 0
    with pytest.raises(InvalidInput, match="now_s"):
        live.conflicts_of(["a"], now_s=float("nan"))
    for bad in (np.array([np.inf]), np.array([1.0, 2.0]), [[1.0]], "soon"):
        with pytest.raises(InvalidInput, match="time_s"):
            live.upsert(one, bad)
    live.upsert(Tracks.empty(), np.empty(0))
    assert len(live) == 1
    with pytest.raises(InvalidInput, match="lookahead_s"):
        LivePairs(lookahead_s=0.0)
    live.remove(["a", "never-there"])
    assert len(live) == 0


def test_states_are_dead_reckoned_from_their_own_times(pairs_of):
    # b reported 100 s before a: by now both are 1,000 m from the meeting point.
    live = LivePairs(between_parties=False)
    a = Tracks(id=["a"], party=["p"], lat_deg=[0.0], lon_deg=[0.0], alt_m=[5000.0], gs_mps=[100.0],
               track_deg=[90.0], vs_mps=[0.0])  # fmt: skip
    lat, lon = destination(0.0, 0.0, 90.0, 12_000.0 + 10_000.0)
    b = Tracks(id=["b"], party=["q"], lat_deg=[float(lat)], lon_deg=[float(lon)], alt_m=[5000.0],
               gs_mps=[100.0], track_deg=[270.0], vs_mps=[0.0])  # fmt: skip
    live.upsert(a, np.array([1100.0]))
    live.upsert(b, np.array([1000.0]))
    c = live.conflicts_of(["b"], now_s=1100.0)
    assert pairs_of(c) == [("a", "b")]
    assert c.tcpa_s[0] == pytest.approx(60.0, abs=0.05)
    assert c.t_in_s[0] == pytest.approx((12_000.0 - 9260.0) / 200.0, abs=0.05)


@settings(max_examples=150, deadline=None)
@given(
    lat0=st.floats(-80, 80),
    lon0=st.floats(-180, 180),
    heading=st.floats(0, 360),
    turn=st.floats(0, 360),
    speeds=st.tuples(st.floats(0, 300), st.floats(0, 300)),
    meet_s=st.floats(0, 1.0),
    miss=st.floats(-1.0, 1.0),
    age=st.floats(0, 1.0),
    lookahead=st.sampled_from([300.0, 900.0]),
)
def test_near_threshold_pairs_late_in_the_boxes_window(
    lat0, lon0, heading, turn, speeds, meet_s, miss, age, lookahead, pairs_of
):
    # Two tracks whose straight paths pass about Rh apart (± 60 m) some time ahead,
    # queried up to `slack` after their states: the standing boxes must still hold them.
    slack = 60.0
    t_meet = meet_s * lookahead
    s_a, s_b = speeds
    lat_a, lon_a = destination(lat0, lon0, heading, s_a * t_meet)  # A's meeting point
    lat_m, lon_m = destination(lat_a, lon_a, heading + 90.0, 9260.0 + 60.0 * miss)
    back = (heading + turn) % 360.0
    lat_b, lon_b = destination(lat_m, lon_m, back + 180.0, s_b * t_meet)
    tracks = Tracks(
        id=["a", "b"],
        party=["p", "q"],
        lat_deg=[lat0, float(lat_b)],
        lon_deg=[lon0, float(lon_b)],
        alt_m=[5000.0, 5100.0],
        gs_mps=[s_a, s_b],
        track_deg=[heading % 360.0, back],
        vs_mps=[0.0, 0.0],
    )
    live = LivePairs(lookahead_s=lookahead, slack_s=slack, backend="numba")
    live.upsert(tracks, np.array([1000.0, 1000.0]))
    live.conflicts_of(["a"], now_s=1000.0)  # builds the boxes at the states' time
    now = 1000.0 + age * slack
    for ids in (["a"], ["b"], ["a", "b"]):
        assert_same(live.conflicts_of(ids, now_s=now), expected(live, ids, now), pairs_of)
