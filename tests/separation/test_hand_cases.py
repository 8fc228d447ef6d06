"""Separation conflicts worked out by hand (flat-earth arithmetic; the sphere differs <0.1 %)."""

from __future__ import annotations

import numpy as np
import pytest

from deconflict.detect.separation import detect
from deconflict.errors import InvalidInput
from deconflict.geo import EARTH_RADIUS_M, destination

DEG_M = np.pi * EARTH_RADIUS_M / 180.0  # metres per degree of a great circle
RH, RV, T = 9260.0, 304.8, 300.0


def only(tracks, **kw):
    c = detect(tracks, **kw)
    assert len(c) == 1, c
    return c


def test_head_on(make_tracks):
    d = 0.5 * DEG_M
    c = only(make_tracks([(0, 0, 9000, 200, 90, 0), (0, 0.5, 9000, 200, 270, 0)]))
    assert c.a.tolist() == ["t0"] and c.b.tolist() == ["t1"]
    assert c.t_in_s[0] == pytest.approx((d - RH) / 400, rel=1e-4)
    assert c.t_out_s[0] == pytest.approx((d + RH) / 400, rel=1e-4)
    assert c.tcpa_s[0] == pytest.approx(d / 400, rel=1e-4)
    assert c.dcpa_m[0] == pytest.approx(0.0, abs=0.01)


def test_crossing_at_right_angles(make_tracks):
    # A 30 km south of the crossing point heading north, B 30 km east heading west.
    a = (-30_000 / DEG_M, 0.0, 5000, 200, 0, 0)
    b = (0.0, 30_000 / DEG_M, 5000, 200, 270, 0)
    c = only(make_tracks([a, b]))
    half = RH / np.sqrt(2) / 200
    assert c.tcpa_s[0] == pytest.approx(150.0, rel=1e-3)
    assert c.t_in_s[0] == pytest.approx(150.0 - half, rel=1e-3)
    assert c.t_out_s[0] == pytest.approx(150.0 + half, rel=1e-3)
    assert c.dcpa_m[0] < 20.0


def test_overtaking_from_behind(make_tracks):
    # Same track, the faster one 20 km behind closes at 50 m/s; CPA lies beyond T.
    behind = (0.0, 0.0, 7000, 250, 90, 0)
    ahead = (0.0, 20_000 / DEG_M, 7000, 200, 90, 0)
    c = only(make_tracks([behind, ahead]))
    assert c.t_in_s[0] == pytest.approx((20_000 - RH) / 50, rel=1e-4)
    assert c.t_out_s[0] == T
    assert c.tcpa_s[0] == T
    assert c.dcpa_m[0] == pytest.approx(20_000 - 50 * T, rel=1e-3)


def test_climbing_through_a_level(make_tracks):
    # Stationary in plan 5 km apart; one climbs from 1,000 m below at 10 m/s.
    level = (10.0, 20.0, 3000, 0, 0, 0)
    lat, lon = destination(10.0, 20.0, 45.0, 5000.0)
    climber = (float(lat), float(lon), 2000, 0, 0, 10.0)
    c = only(make_tracks([level, climber]))
    assert c.t_in_s[0] == pytest.approx((1000 - RV) / 10, rel=1e-9)
    assert c.t_out_s[0] == pytest.approx((1000 + RV) / 10, rel=1e-9)
    assert c.tcpa_s[0] == 0.0
    assert c.dcpa_m[0] == pytest.approx(5000.0, rel=1e-4)


@pytest.mark.parametrize(("offset_m", "expected"), [(RH - 5.0, 1), (RH + 5.0, 0)])
def test_parallel_at_the_horizontal_threshold(make_tracks, offset_m, expected):
    # Side by side on the equator, both heading north: meridians converge by < 1 m in T.
    lat, lon = destination(0.0, 10.0, 90.0, offset_m)
    tracks = make_tracks([(0.0, 10.0, 8000, 220, 0, 0), (float(lat), float(lon), 8000, 220, 0, 0)])
    c = detect(tracks)
    assert len(c) == expected
    if expected:
        assert (c.t_in_s[0], c.t_out_s[0]) == (0.0, T)


@pytest.mark.parametrize(("dz", "expected"), [(RV - 0.1, 1), (RV, 0), (RV + 0.1, 0)])
def test_vertical_threshold(make_tracks, dz, expected):
    tracks = make_tracks([(0, 0, 0.0, 100, 90, 0), (0, 0.01, dz, 100, 270, 0)])
    assert len(detect(tracks)) == expected


def test_already_in_loss_of_separation(make_tracks):
    tracks = make_tracks([(45, 5, 3000, 150, 0, 0), (45.01, 5, 3100, 150, 180, 0)])
    c = only(tracks)
    assert c.t_in_s[0] == 0.0
    assert c.dcpa_m[0] == pytest.approx(0.0, abs=1.0)


def test_just_outside_lookahead(make_tracks):
    d = 0.5 * DEG_M
    # Horizontal loss starts at (d - RH) / 400 s; a lookahead just short of it sees nothing.
    tracks = make_tracks([(0, 0, 9000, 200, 90, 0), (0, 0.5, 9000, 200, 270, 0)])
    start = (d - RH) / 400
    assert len(detect(tracks, lookahead=start - 0.01)) == 0
    assert len(detect(tracks, lookahead=start + 0.01)) == 1


def test_across_the_antimeridian(make_tracks):
    d = 0.4 * DEG_M
    tracks = make_tracks([(0.0, 179.8, 9000, 200, 90, 0), (0.0, -179.8, 9000, 200, 270, 0)])
    c = only(tracks)
    assert c.t_in_s[0] == pytest.approx((d - RH) / 400, rel=1e-4)
    assert c.tcpa_s[0] == pytest.approx(d / 400, rel=1e-4)


def test_near_the_pole(make_tracks):
    # At 85° N, two tracks 0.5° of longitude apart (about 4.8 km) on parallel headings.
    tracks = make_tracks([(85.0, 0.0, 9000, 200, 0, 0), (85.0, 0.5, 9000, 200, 0, 0)])
    c = only(tracks)
    assert c.t_in_s[0] == 0.0
    lat, lon = destination(85.0, 0.0, 90.0, 20_000.0)
    far = make_tracks([(85.0, 0.0, 9000, 200, 0, 0), (float(lat), float(lon), 9000, 200, 0, 0)])
    assert len(detect(far)) == 0


def test_stationary_identical_positions(make_tracks):
    tracks = make_tracks([(30, 30, 100, 0, 0, 0), (30, 30, 100, 0, 123, 0)])
    c = only(tracks)
    assert (c.t_in_s[0], c.t_out_s[0], c.tcpa_s[0], c.dcpa_m[0]) == (0.0, T, 0.0, 0.0)


def test_diverging_pair_is_not_a_conflict(make_tracks):
    tracks = make_tracks([(0, 0, 9000, 200, 270, 0), (0, 0.2, 9000, 200, 90, 0)])
    assert len(detect(tracks)) == 0


def test_thousands_of_tracks_in_one_small_area(make_tracks):
    rng = np.random.default_rng(7)
    n = 1500
    rows = np.column_stack(
        [
            50 + rng.uniform(-0.005, 0.005, n),
            rng.uniform(-0.005, 0.005, n),
            rng.uniform(1000, 1100, n),
            rng.uniform(0, 10, n),
            rng.uniform(0, 360, n),
            np.zeros(n),
        ]
    )
    c = detect(make_tracks(rows))
    assert len(c) == n * (n - 1) // 2
    assert np.all(c.t_in_s == 0.0)


def test_between_parties_keeps_only_pairs_of_different_parties(make_tracks):
    rows = [(0, 0, 9000, 0, 0, 0), (0, 0.01, 9000, 0, 0, 0), (0, 0.02, 9000, 0, 0, 0)]
    tracks = make_tracks(rows, parties=["blue", "blue", "red"])
    assert len(detect(tracks)) == 3
    c = detect(tracks, between_parties=True)
    assert list(zip(c.a.tolist(), c.b.tolist(), strict=True)) == [("t0", "t2"), ("t1", "t2")]


def test_output_is_sorted_by_id_strings(make_tracks):
    rows = [(0, 0.001 * k, 9000, 0, 0, 0) for k in range(12)]
    tracks = make_tracks(rows)
    c = detect(tracks)
    pairs = list(zip(c.a.tolist(), c.b.tolist(), strict=True))
    assert pairs == sorted(pairs)
    assert all(a < b for a, b in pairs)


def test_no_tracks_and_one_track(make_tracks):
    assert len(detect(make_tracks([]))) == 0
    assert len(detect(make_tracks([(0, 0, 0, 100, 0, 0)]))) == 0


@pytest.mark.parametrize("name", ["lookahead", "h_sep", "v_sep"])
@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_parameters_are_refused(make_tracks, name, value):
    tracks = make_tracks([(0, 0, 0, 100, 0, 0)])
    with pytest.raises(InvalidInput, match=name):
        detect(tracks, **{name: value})


def test_unknown_backend_is_refused(make_tracks):
    with pytest.raises(InvalidInput, match="backend"):
        detect(make_tracks([]), backend="abacus")
