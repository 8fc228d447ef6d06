"""The engine against a deliberately simple brute-force reference, on random traffic.

The reference looks at every pair, moves both tracks along their great circles with
:func:`deconflict.geo.destination`, measures haversine distance on a dense time grid
inside the (exactly computed) vertical window, and calls it a conflict when some sample
is inside both thresholds. Engine and reference must agree up to a band of ±0.5 % on the
thresholds: a pair the reference finds with thresholds shrunk by 0.5 % must be found,
and a pair found must be one the reference finds with thresholds grown by 0.5 %.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.detect.separation import candidate_pairs, detect
from deconflict.geo import destination, haversine_m
from deconflict.model import Tracks

BACKENDS = ["numpy", "numba"]
BAND = 0.005
SAMPLES = 801


def reference_pairs(tracks: Tracks, lookahead: float, h_sep: float, v_sep: float) -> set:
    found = set()
    n = len(tracks)
    for i in range(n):
        for j in range(i + 1, n):
            dz = tracks.alt_m[j] - tracks.alt_m[i]
            dvz = tracks.vs_mps[j] - tracks.vs_mps[i]
            if dvz == 0.0:
                if abs(dz) >= v_sep:
                    continue
                start, end = 0.0, lookahead
            else:
                t1, t2 = sorted(((-v_sep - dz) / dvz, (v_sep - dz) / dvz))
                start, end = max(t1, 0.0), min(t2, lookahead)
                if start >= end:
                    continue
            t = np.linspace(start, end, SAMPLES)
            la_i, lo_i = destination(
                tracks.lat_deg[i], tracks.lon_deg[i], tracks.track_deg[i], tracks.gs_mps[i] * t
            )
            la_j, lo_j = destination(
                tracks.lat_deg[j], tracks.lon_deg[j], tracks.track_deg[j], tracks.gs_mps[j] * t
            )
            vertical = np.abs(dz + dvz * t) < v_sep
            horizontal = haversine_m(la_i, lo_i, la_j, lo_j) < h_sep
            if np.any(vertical & horizontal):
                found.add((str(tracks.id[i]), str(tracks.id[j])))
    return {tuple(sorted(p)) for p in found}


@st.composite
def traffic(draw):
    n = draw(st.integers(2, 24))
    lat0 = draw(st.floats(-85, 85))
    lon0 = draw(st.sampled_from([-179.9, 179.9, 0.0])) + draw(st.floats(-0.2, 0.2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    spread = draw(st.sampled_from([5_000.0, 30_000.0, 80_000.0]))
    bearing = rng.uniform(0, 360, n)
    dist = rng.uniform(0, spread, n)
    lat, lon = destination(np.full(n, lat0), np.full(n, lon0), bearing, dist)
    levels = draw(st.sampled_from([1, 2, 4]))
    alt = 3000.0 + 304.8 * rng.integers(0, levels, n) + rng.normal(0, 40, n)
    gs = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(30, 260, n))
    vs = np.where(rng.random(n) < 0.3, rng.uniform(-20, 20, n), 0.0)
    party = rng.choice(["blue", "red", "green"], n)
    return Tracks(
        id=[f"x{k:02d}" for k in range(n)],
        party=party,
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        gs_mps=gs,
        track_deg=rng.uniform(0, 360, n),
        vs_mps=vs,
    )


@settings(max_examples=60, deadline=None)
@given(
    tracks=traffic(),
    lookahead=st.sampled_from([60.0, 300.0]),
    between_parties=st.booleans(),
    backend=st.sampled_from(BACKENDS),
)
def test_engine_agrees_with_brute_force(tracks, lookahead, between_parties, backend, pairs_of):
    h_sep, v_sep = 9260.0, 304.8
    c = detect(
        tracks,
        lookahead=lookahead,
        h_sep=h_sep,
        v_sep=v_sep,
        between_parties=between_parties,
        backend=backend,
    )
    got = set(pairs_of(c))
    inner = reference_pairs(tracks, lookahead, h_sep * (1 - BAND), v_sep * (1 - BAND))
    outer = reference_pairs(tracks, lookahead, h_sep * (1 + BAND), v_sep * (1 + BAND))
    if between_parties:
        party = dict(zip(tracks.id.tolist(), tracks.party.tolist(), strict=True))
        inner = {p for p in inner if party[p[0]] != party[p[1]]}
        outer = {p for p in outer if party[p[0]] != party[p[1]]}
    assert inner <= got, f"missed: {sorted(inner - got)}"
    assert got <= outer, f"spurious: {sorted(got - outer)}"
    assert np.all((c.t_in_s >= 0.0) & (c.t_in_s <= c.t_out_s) & (c.t_out_s <= lookahead))
    assert np.all((c.tcpa_s >= 0.0) & (c.tcpa_s <= lookahead) & (c.dcpa_m >= 0.0))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 4))
def test_candidate_pairs_are_exactly_the_overlapping_boxes(seed, n, d):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(0, 100, (n, d)).round(0)
    hi = lo + rng.exponential(10, (n, d)).round(0)
    group = rng.integers(0, 3, n)
    i, j = candidate_pairs(lo, hi, group)
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    assert len(got) == len(i), "a pair was reported twice"
    want = {
        (a, b)
        for a in range(n)
        for b in range(a + 1, n)
        if group[a] != group[b] and np.all((lo[a] <= hi[b]) & (lo[b] <= hi[a]))
    }
    assert got == want


@settings(max_examples=40, deadline=None)
@given(tracks=traffic(), between_parties=st.booleans())
def test_backends_give_identical_results(tracks, between_parties, pairs_of):
    a = detect(tracks, between_parties=between_parties, backend="numpy")
    b = detect(tracks, between_parties=between_parties, backend="numba")
    assert pairs_of(a) == pairs_of(b)
    for name in ("t_in_s", "t_out_s", "tcpa_s", "dcpa_m"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-6)


def test_backends_agree_on_dense_regional_traffic(pairs_of):
    rng = np.random.default_rng(3)
    n = 4000
    lat, lon = destination(
        np.full(n, 33.0),
        np.full(n, 40.0),
        rng.uniform(0, 360, n),
        np.sqrt(rng.uniform(0, 1, n)) * 150e3,
    )
    tracks = Tracks(
        id=[f"d{k}" for k in range(n)],
        party=rng.choice(["a", "b"], n),
        lat_deg=lat,
        lon_deg=lon,
        alt_m=rng.integers(10, 41, n) * 304.8 + rng.uniform(-30, 30, n),
        gs_mps=rng.uniform(60, 260, n),
        track_deg=rng.uniform(0, 360, n),
        vs_mps=np.where(rng.random(n) < 0.2, rng.uniform(-15, 15, n), 0.0),
    )
    a = detect(tracks, backend="numpy")
    b = detect(tracks, backend="numba")
    assert len(a) > 100
    assert pairs_of(a) == pairs_of(b)
    np.testing.assert_allclose(a.t_in_s, b.t_in_s, rtol=1e-9, atol=1e-6)


def test_candidate_pairs_with_a_few_huge_boxes_among_tiny_ones():
    # The median box is tiny; the huge ones must not be entered in billions of cells.
    lo = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    hi = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1e9, 1e9]])
    i, j = candidate_pairs(lo, hi)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1), (0, 3), (1, 3), (2, 3)]
