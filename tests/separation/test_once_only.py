"""Each conflicting pair is reported once, whatever time slices its swept boxes meet in."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.detect import engine
from deconflict.detect.separation import detect
from deconflict.geo import destination
from deconflict.model import Tracks

BACKENDS = ["numpy", "numba"]


@pytest.fixture(params=[2, 3, 4], ids=lambda k: f"{k}-slices")
def slices(request, monkeypatch):
    """The lookahead cut into 2 (the default), 3 or 4 time slices."""
    monkeypatch.setattr(engine, "SLICES", request.param)
    return request.param


def drifting_pair() -> Tracks:
    """A at 0°N 0°E and B 9,200 m east, both north at 250 m/s; B drifts away at 9.4 m/s.

    With the lookahead in 3 slices their swept boxes overlap in the first and the last
    slice but not in the middle one.
    """
    lat, lon = destination(0.0, 0.0, 90.0, 9200.0)
    return Tracks(
        id=["A", "B"],
        party=["p", "q"],
        lat_deg=[0.0, float(lat)],
        lon_deg=[0.0, float(lon)],
        alt_m=[9000.0, 9000.0],
        gs_mps=[250.0, 250.18],
        track_deg=[0.0, 2.155],
        vs_mps=[0.0, 0.0],
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_pair_met_in_non_adjacent_slices_is_reported_once(backend, slices, pairs_of):
    c = detect(drifting_pair(), backend=backend)
    assert pairs_of(c) == [("A", "B")]
    assert c.t_in_s[0] == 0.0 and c.t_out_s[0] == pytest.approx(6.378, abs=1e-3)


@st.composite
def close_pairs(draw):
    """Two to four tracks within a few Rh of each other: every slice pattern occurs."""
    n = draw(st.integers(2, 4))
    lat0 = draw(st.floats(-80, 80))
    lon0 = draw(st.floats(-180, 180))
    bearing = draw(st.lists(st.floats(0, 360), min_size=n, max_size=n))
    dist = draw(st.lists(st.floats(0, 40_000), min_size=n, max_size=n))
    lat, lon = destination(np.full(n, lat0), np.full(n, lon0), bearing, dist)
    heading = draw(st.floats(0, 360))
    spread = draw(st.sampled_from([0.0, 1.0, 5.0, 45.0, 180.0]))
    track = [heading + draw(st.floats(-spread, spread)) if spread else heading for _ in range(n)]
    gs = draw(st.lists(st.floats(0, 300), min_size=n, max_size=n))
    alt = draw(st.lists(st.sampled_from([3000.0, 3200.0, 3500.0]), min_size=n, max_size=n))
    vs = draw(st.lists(st.sampled_from([0.0, 0.0, 3.0, -5.0]), min_size=n, max_size=n))
    return Tracks(
        id=[f"k{m}" for m in range(n)],
        party=["p", "q", "p", "q"][:n],
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        gs_mps=gs,
        track_deg=np.mod(track, 360.0),
        vs_mps=vs,
    )


@settings(max_examples=300, deadline=None)
@given(tracks=close_pairs(), lookahead=st.sampled_from([60.0, 300.0, 900.0]))
def test_no_pair_is_reported_twice(tracks, lookahead, pairs_of):
    default = engine.SLICES
    try:
        for slices in (2, 3, 4):
            engine.SLICES = slices
            numpy = detect(tracks, lookahead=lookahead, backend="numpy")
            numba = detect(tracks, lookahead=lookahead, backend="numba")
            assert pairs_of(numpy) == pairs_of(numba)
            n = len(tracks)
            assert len(numpy) <= n * (n - 1) // 2
    finally:
        engine.SLICES = default
