"""Zone-entry prediction: hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from zonekit import box, collection, point, polygon, tracks, zone

from deconflict.detect.zones import FORBID, NOTIFY, ZoneSet, predict_entries
from deconflict.features import parse_features
from deconflict.geo import EARTH_RADIUS_M

DEG_M = np.pi * EARTH_RADIUS_M / 180.0  # metres per degree of great circle
NOW = 1577836800.0  # 2020-01-01T00:00:00Z; these zones have no validity window


def zset(*features):
    return ZoneSet.from_zones(parse_features(collection(*features)).zones)


def test_circle_entry_time_and_point():
    z = zset(zone(point(0.0, 0.0), radius_m=10_000))
    t = tracks([(0.0, -0.2, 3000, 100, 90, 0)])
    e = predict_entries(t, z, lookahead_s=300, now_s=NOW)
    assert len(e) == 1
    assert e.t_s[0] == pytest.approx((0.2 * DEG_M - 10_000) / 100, abs=1e-3)
    assert e.lat_deg[0] == pytest.approx(0.0, abs=1e-9)
    assert e.lon_deg[0] == pytest.approx(-10_000 / DEG_M, abs=1e-7)
    assert e.action.tolist() == [FORBID]


def test_square_entry_time_polygon():
    # the equator is a great circle: entering the box's west edge at lon -0.1
    z = zset(zone(polygon(box(-0.1, -0.1, 0.1, 0.1))))
    t = tracks([(0.0, -0.3, 3000, 200, 90, 0)])
    e = predict_entries(t, z, lookahead_s=300, now_s=NOW)
    assert e.t_s[0] == pytest.approx(0.2 * DEG_M / 200, rel=1e-5)
    assert e.lon_deg[0] == pytest.approx(-0.1, abs=1e-6)


def test_start_inside_is_entry_at_zero():
    z = zset(zone(polygon(box(-0.1, -0.1, 0.1, 0.1))))
    e = predict_entries(tracks([(0.0, 0.0, 3000, 200, 0, 0)]), z, now_s=NOW)
    assert e.t_s.tolist() == [0.0]


def test_miss_and_beyond_lookahead():
    z = zset(zone(point(0.0, 0.0), radius_m=10_000))
    t = tracks([(1.0, -0.2, 3000, 100, 90, 0), (0.0, -1.0, 3000, 100, 90, 0)])
    assert len(predict_entries(t, z, lookahead_s=300, now_s=NOW)) == 0


def test_stationary_track_inside_and_outside():
    z = zset(zone(point(0.0, 0.0), radius_m=10_000), zone(polygon(box(1, 1, 2, 2)), "sq"))
    t = tracks([(0.0, 0.05, 100, 0, 0, 0), (1.5, 1.5, 100, 0, 0, 0), (5, 5, 100, 0, 0, 0)])
    e = predict_entries(t, z, now_s=NOW)
    assert list(zip(e.track.tolist(), e.zone.tolist(), e.t_s.tolist(), strict=True)) == [
        (0, 0, 0.0),
        (1, 1, 0.0),
    ]


def test_altitude_band_with_climb():
    # inside horizontally from t = 0, but below the band until it climbs into it at 10 m/s
    z = zset(zone(point(0.0, 0.0), radius_m=50_000, alt_min_m=2000, alt_max_m=4000))
    t = tracks([(0.0, 0.0, 1000, 100, 90, 10), (0.0, 0.0, 1000, 100, 90, 0)])
    e = predict_entries(t, z, lookahead_s=300, now_s=NOW)
    assert e.track.tolist() == [0]
    assert e.t_s[0] == pytest.approx(100.0)
    assert e.alt_m[0] == pytest.approx(2000.0)


def test_validity_window():
    props = {"valid_from": "2020-01-01T00:01:40Z", "valid_to": "2020-01-01T01:00:00Z"}
    z = zset(zone(point(0.0, 0.0), radius_m=50_000, **props))
    t = tracks([(0.0, 0.0, 1000, 100, 90, 0)])
    now = 1577836800.0  # 2020-01-01T00:00:00Z
    e = predict_entries(t, z, now_s=now)
    assert e.t_s.tolist() == [pytest.approx(100.0)]
    assert len(predict_entries(t, z, now_s=now + 3601)) == 0
    assert len(predict_entries(t, z, now_s=now - 1000)) == 0


def test_rules_per_party_and_lead_time():
    rules = [
        {"party": "*", "action": "notify", "lead_s": 120},
        {"party": "red", "action": "advisory"},
    ]
    z = zset(zone(point(0.0, 0.0), radius_m=10_000, rules=rules))
    t = tracks(
        [(0.0, -0.2, 3000, 100, 90, 0), (0.0, -0.5, 3000, 100, 90, 0), (0, -0.2, 0, 100, 90, 0)],
        parties=["blue", "green", "red"],
    )
    e = predict_entries(t, z, lookahead_s=400, now_s=NOW)
    names = dict(zip(e.track.tolist(), e.action_names(), strict=True))
    assert names == {0: "notify", 2: "advisory"}  # green's entry is beyond the lookahead
    assert e.lead_met.tolist() == [True, True]
    e = predict_entries(
        t, zset(zone(point(0, 0), radius_m=10_000, rules=rules[:1])), lookahead_s=400, now_s=NOW
    )
    row = e.track.tolist().index(0)
    assert e.action[row] == NOTIFY
    assert e.t_s[row] == pytest.approx(122.39, abs=0.01)
    assert bool(e.lead_met[row]) is True
    lead = [{"party": "*", "action": "notify", "lead_s": 300}]
    e = predict_entries(
        t, zset(zone(point(0, 0), radius_m=10_000, rules=lead)), lookahead_s=400, now_s=NOW
    )
    assert e.lead_met.tolist() == [False, False]


def test_no_rule_no_entry():
    z = zset(zone(point(0.0, 0.0), radius_m=10_000, rules=[{"party": "red", "action": "forbid"}]))
    assert len(predict_entries(tracks([(0.0, 0.0, 3000, 100, 90, 0)]), z, now_s=NOW)) == 0


def test_hole_is_outside():
    outer = box(-0.2, -0.2, 0.2, 0.2)
    hole = box(-0.1, -0.1, 0.1, 0.1)[::-1]
    z = zset(zone(polygon(outer, hole)))
    # starts in the hole, flies east: enters the ring at lon 0.1
    e = predict_entries(tracks([(0.0, 0.0, 100, 100, 90, 0)]), z, lookahead_s=300, now_s=NOW)
    assert e.t_s[0] == pytest.approx(0.1 * DEG_M / 100, rel=1e-5)
    # stays in the hole
    assert (
        len(predict_entries(tracks([(0.0, 0.0, 100, 10, 90, 0)]), z, lookahead_s=300, now_s=NOW))
        == 0
    )


def test_multipolygon_first_part_entered():
    geom = {
        "type": "MultiPolygon",
        "coordinates": [
            [[*box(0.3, -0.1, 0.4, 0.1), [0.3, -0.1]]],
            [[*box(0.1, -0.1, 0.2, 0.1), [0.1, -0.1]]],
        ],
    }
    z = zset(zone(geom))
    e = predict_entries(tracks([(0.0, 0.0, 100, 200, 90, 0)]), z, lookahead_s=600, now_s=NOW)
    assert e.t_s[0] == pytest.approx(0.1 * DEG_M / 200, rel=1e-5)


def test_touching_boundary_counts():
    # a meridian is a great circle: flying south along lon -0.1 runs along the west edge
    z = zset(zone(polygon(box(-0.1, -0.1, 0.1, 0.1))))
    e = predict_entries(tracks([(0.2, -0.1, 100, 200, 180, 0)]), z, lookahead_s=300, now_s=NOW)
    assert e.t_s[0] == pytest.approx(0.1 * DEG_M / 200, rel=1e-4)
    assert e.lat_deg[0] == pytest.approx(0.1, abs=1e-6)


def test_antimeridian_polygon_and_circle():
    ring = [[179.9, -0.1], [-179.9, -0.1], [-179.9, 0.1], [179.9, 0.1]]
    z = zset(zone(polygon(ring), "am"), zone(point(180.0, 10.0), "c", radius_m=20_000))
    t = tracks([(0.0, 179.7, 100, 200, 90, 0), (10.0, -179.5, 100, 200, 270, 0)])
    e = predict_entries(t, z, lookahead_s=600, now_s=NOW)
    assert e.zone.tolist() == [0, 1]
    assert e.t_s[0] == pytest.approx(0.2 * DEG_M / 200, rel=1e-5)
    d = 0.5 * DEG_M * np.cos(np.radians(10.0))  # about; the exact value is the great circle
    assert e.t_s[1] == pytest.approx((d - 20_000) / 200, rel=2e-3)
    assert -180.0 <= e.lon_deg[1] <= 180.0


def test_side_of_line_zone():
    # a north-south line at lon 0 cutting a box; "west" is the half with lon < 0
    line = {"type": "LineString", "coordinates": [[0.0, 0.5], [0.0, -0.5]]}
    within = polygon(box(-1, -1, 1, 1))
    z = zset(zone(line, side="west", within=within))
    t = tracks([(0.0, 0.5, 100, 200, 270, 0), (0.0, -0.5, 100, 200, 90, 0)])
    e = predict_entries(t, z, lookahead_s=600, now_s=NOW)
    assert e.track.tolist() == [0, 1]
    assert e.t_s[0] == pytest.approx(0.5 * DEG_M / 200, rel=1e-4)
    assert e.t_s[1] == 0.0
    right = zset(zone(line, side="right", within=within))  # facing south, right is west
    assert predict_entries(t, right, lookahead_s=600, now_s=NOW).t_s.tolist() == e.t_s.tolist()


def test_example_zones_load():
    from pathlib import Path

    from deconflict.features import read_features

    fs = read_features(Path(__file__).parents[2] / "examples" / "geo" / "zones.geojson")
    ids = [z.id for z in fs.zones]
    assert "west-of-euphrates" in ids and "al-tanf-55km" in ids
    west = next(z for z in fs.zones if z.id == "west-of-euphrates")
    # Palmyra and Aleppo-side Khanasir are west of the river; Hasakah-side Raqqa north bank is not
    zs = ZoneSet.from_zones([west])
    t = tracks(
        [(34.55, 38.27, 5000, 0, 0, 0), (35.78, 37.5, 5000, 0, 0, 0), (36.5, 40.7, 5000, 0, 0, 0)],
        ["coalition"] * 3,
    )
    e = predict_entries(t, zs, now_s=1.6e9)
    assert e.track.tolist() == [0, 1]
