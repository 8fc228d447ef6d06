"""Dead reckoning on the sphere: geo.dead_reckon, Tracks.advanced, History.at."""

from __future__ import annotations

import numpy as np
import pytest

from deconflict.geo import EARTH_RADIUS_M, dead_reckon, haversine_m
from deconflict.model import Tracks

DEG_M = np.pi * EARTH_RADIUS_M / 180.0  # metres per degree of great circle


def test_east_along_the_equator_and_across_the_antimeridian():
    lat, lon, alt, trk = dead_reckon(0.0, 179.5, 1000.0, 100.0, 90.0, 2.0, DEG_M / 100.0)
    assert (float(lat), float(lon), float(trk)) == pytest.approx((0.0, -179.5, 90.0), abs=1e-9)
    assert float(alt) == pytest.approx(1000.0 + 2.0 * DEG_M / 100.0)


def test_north_along_a_meridian():
    lat, lon, _, trk = dead_reckon(10.0, 20.0, 0.0, 250.0, 0.0, 0.0, 3 * DEG_M / 250.0)
    assert (float(lat), float(lon), float(trk)) == pytest.approx((13.0, 20.0, 0.0), abs=1e-9)


def test_north_east_for_a_quarter_of_a_great_circle_turns_east():
    """From (0, 0) at 045, a quarter circle later the track is at 45N 90E heading 090."""
    quarter = np.pi / 2 * EARTH_RADIUS_M
    lat, lon, _, trk = dead_reckon(0.0, 0.0, 0.0, 200.0, 45.0, 0.0, quarter / 200.0)
    assert (float(lat), float(lon), float(trk)) == pytest.approx((45.0, 90.0, 90.0), abs=1e-9)


def test_zero_time_or_speed_is_exact_identity():
    args = (np.array([12.3, -89.0]), np.array([180.0, -180.0]), np.array([5.0, 6.0]))
    kin = (np.array([0.0, 150.0]), np.array([271.0, 359.0]), np.array([1.0, -1.0]))
    lat, lon, alt, trk = dead_reckon(*args, *kin, np.array([60.0, 0.0]))
    assert lat.tolist() == [12.3, -89.0] and lon.tolist() == [180.0, -180.0]
    assert trk.tolist() == [271.0, 359.0]
    assert alt.tolist() == [5.0 + 60.0, 6.0]


def test_arrays_of_dt_match_one_at_a_time():
    rng = np.random.default_rng(3)
    n = 50
    cols = [rng.uniform(-80, 80, n), rng.uniform(-180, 180, n), rng.uniform(0, 12e3, n),
            rng.uniform(0, 300, n), rng.uniform(0, 360, n), rng.normal(0, 5, n)]  # fmt: skip
    dt = rng.uniform(-600, 600, n)
    together = dead_reckon(*cols, dt)
    for k in range(n):
        one = dead_reckon(*(c[k] for c in cols), dt[k])
        for a, b in zip(together, one, strict=True):
            assert a[k] == pytest.approx(float(b), abs=1e-9)
    # distance flown is speed x time, on the sphere
    d = haversine_m(cols[0], cols[1], together[0], together[1])
    expected = np.minimum(np.abs(cols[3] * dt), 2 * np.pi * EARTH_RADIUS_M - np.abs(cols[3] * dt))
    np.testing.assert_allclose(d, expected, atol=1e-3)
    assert ((together[1] >= -180.0) & (together[1] < 180.0)).all()
    assert ((together[3] >= 0.0) & (together[3] < 360.0)).all()


def tracks(n=20, seed=5):
    rng = np.random.default_rng(seed)
    return Tracks(
        id=[f"t{k}" for k in range(n)],
        party=["p"] * n,
        lat_deg=rng.uniform(-85, 85, n),
        lon_deg=rng.uniform(-180, 180, n),
        alt_m=rng.uniform(0, 12e3, n),
        gs_mps=rng.uniform(0, 300, n),
        track_deg=rng.uniform(0, 360, n),
        vs_mps=rng.normal(0, 5, n),
    )


def close(a: Tracks, b: Tracks) -> None:
    assert a.id.tolist() == b.id.tolist()
    np.testing.assert_allclose(
        haversine_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg), 0.0, atol=1e-4
    )
    np.testing.assert_allclose(a.alt_m, b.alt_m, atol=1e-9)
    turn = (a.track_deg - b.track_deg + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(turn, 0.0, atol=1e-7)


def test_advanced_composes_and_reverses():
    t = tracks()
    close(t.advanced(100.0).advanced(200.0), t.advanced(300.0))
    close(t.advanced(250.0).advanced(-250.0), t)
    assert t.advanced(0.0).lat_deg.tolist() == t.lat_deg.tolist()


def test_advanced_per_track_and_bad_dt():
    t = tracks(3)
    dt = np.array([0.0, 10.0, -10.0])
    moved = t.advanced(dt)
    for k in range(3):
        one = t.take([k]).advanced(dt[k])
        assert float(moved.lat_deg[k]) == float(one.lat_deg[0])
    assert not moved.lat_deg.flags.writeable
    with pytest.raises(ValueError, match=r"dt_s: expected a number or shape \(3,\)"):
        t.advanced(np.zeros(2))
    with pytest.raises(ValueError, match="dt_s: must be finite"):
        t.advanced(np.nan)


def test_history_at_dead_reckons_along_the_great_circle(tmp_path):
    from deconflict.trackio import read_history

    path = tmp_path / "h.csv"
    path.write_text(
        "time,id,party,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n"
        "2020-01-01T00:00:00Z,a,p,0,0,1000,200,45,1\n"
    )
    quarter_s = np.pi / 2 * EARTH_RADIUS_M / 200.0
    at = read_history(path).at(1577836800.0 + quarter_s, max_age_s=1e5)
    assert (float(at.lat_deg[0]), float(at.lon_deg[0])) == pytest.approx((45.0, 90.0), abs=1e-9)
    assert float(at.track_deg[0]) == pytest.approx(90.0, abs=1e-9)
    assert float(at.alt_m[0]) == pytest.approx(1000.0 + quarter_s)
