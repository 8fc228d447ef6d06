"""Routes flown on the sphere: spacing, directions and altitudes of the reported states."""

from __future__ import annotations

import numpy as np
import pytest

from deconflict.geo import dead_reckon, haversine_m
from deconflict.scenario.flight import flight_states
from deconflict.scenario.model import Flight, Waypoint

ROUTE = (
    Waypoint(34.55, 41.75, 7000.0, 220.0),
    Waypoint(35.245, 40.16, 7000.0, 160.0, climb_mps=10.0),
    Waypoint(35.05, 40.60, 8000.0, 200.0),
    Waypoint(34.60, 41.70, 6000.0, 250.0),
)


def test_reports_are_spaced_by_speed_along_each_leg_and_end_on_the_last_waypoint() -> None:
    s = flight_states(Flight("blue", "b1", ROUTE, report_every_s=4.0), 1000.0)
    assert s.time_s[0] == 1000.0
    assert np.allclose(np.diff(s.time_s)[:-1], 4.0)
    legs = haversine_m(
        [w.lat_deg for w in ROUTE[:-1]],
        [w.lon_deg for w in ROUTE[:-1]],
        [w.lat_deg for w in ROUTE[1:]],
        [w.lon_deg for w in ROUTE[1:]],
    )
    total = float(np.sum(legs / np.array([w.speed_mps for w in ROUTE[:-1]])))
    assert s.time_s[-1] == pytest.approx(1000.0 + total)
    assert (s.lat_deg[-1], s.lon_deg[-1], s.alt_m[-1]) == pytest.approx(
        (34.60, 41.70, 6000.0), abs=1e-6
    )
    step = haversine_m(s.lat_deg[:-1], s.lon_deg[:-1], s.lat_deg[1:], s.lon_deg[1:])
    same_leg = s.gs_mps[:-1] == s.gs_mps[1:]
    assert np.allclose(
        step[same_leg], s.gs_mps[:-1][same_leg] * np.diff(s.time_s)[same_leg], rtol=1e-6
    )


def test_each_state_dead_reckons_onto_the_next_within_a_leg() -> None:
    s = flight_states(Flight("blue", "b1", ROUTE, report_every_s=10.0), 0.0)
    lat, lon, _, _ = dead_reckon(
        s.lat_deg[:-1],
        s.lon_deg[:-1],
        s.alt_m[:-1],
        s.gs_mps[:-1],
        s.track_deg[:-1],
        s.vs_mps[:-1],
        np.diff(s.time_s),
    )
    miss = haversine_m(lat, lon, s.lat_deg[1:], s.lon_deg[1:])
    same_leg = s.gs_mps[:-1] == s.gs_mps[1:]
    assert same_leg.sum() > 100
    assert float(miss[same_leg].max()) < 1.0


def test_altitude_follows_the_climb_rate_then_levels_or_a_steady_slope() -> None:
    s = flight_states(Flight("blue", "b1", ROUTE, report_every_s=2.0), 0.0)
    leg1 = s.gs_mps == 220.0
    assert np.all(s.alt_m[leg1] == 7000.0) and np.all(s.vs_mps[leg1] == 0.0)
    leg2 = s.gs_mps == 160.0
    alt, vs = s.alt_m[leg2], s.vs_mps[leg2]
    climbing = alt < 8000.0 - 1e-6
    assert climbing[:50].all() and not climbing[-50:].any()  # climbs, then holds 8,000 m
    assert np.all(vs[climbing] == 10.0) and np.all(vs[~climbing] == 0.0)
    assert np.allclose(np.diff(alt[climbing]), 20.0)
    leg3 = s.gs_mps == 200.0
    alt, vs = s.alt_m[leg3][:-1], s.vs_mps[leg3][:-1]
    assert np.all(np.diff(alt) < 0) and np.allclose(vs, vs[0]) and vs[0] < 0
