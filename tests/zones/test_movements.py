"""Planned ground movements: parsing at the edge, and strikes near their corridors."""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.alerts import intent_overlap_alerts, movement_zone_alerts, strike_movement_alerts
from deconflict.detect.frames import Frames, to_frame
from deconflict.detect.movements import (
    MovementSet,
    corridor_area,
    distance_to_route_m,
    movement_overlaps,
    movement_zones,
    strike_movements,
)
from deconflict.detect.strikes import StrikeSet
from deconflict.disclosure import audience
from deconflict.errors import InvalidInput
from deconflict.features import feature_of, parse_features
from deconflict.geo import EARTH_RADIUS_M, haversine_m, unit_vectors
from deconflict.model import Geometry, Strike
from deconflict.movement import Movement

T0 = "2026-06-01T06:00:00Z"
T1 = "2026-06-01T12:00:00Z"


def movement_feature(**props: Any) -> dict[str, Any]:
    base = {"id": "convoy-1", "party": "un", "kind": "movement", "width_m": 200,
            "start": T0, "end": T1}  # fmt: skip
    base.update(props)
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[40.0, 35.0], [40.1, 35.05]]},
        "properties": {k: v for k, v in base.items() if v is not None},
    }


def test_a_movement_is_read_and_written_back() -> None:
    fs = parse_features(movement_feature(name="Convoy to Deir ez-Zor"))
    (m,) = fs.movements
    assert (m.id, m.party, m.width_m, m.name) == ("convoy-1", "un", 200.0, "Convoy to Deir ez-Zor")
    assert m.route.coordinates == ((40.0, 35.0), (40.1, 35.05))
    assert m.end_s - m.start_s == 6 * 3600
    assert parse_features(feature_of(m)).movements == (m,)


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"width_m": None}, "'width_m': missing"),
        ({"width_m": 0}, "'width_m'"),
        ({"width_m": 60_000}, "'width_m'"),
        ({"width_m": "wide"}, "'width_m'"),
        ({"start": None}, "'start': missing"),
        ({"end": "tomorrow"}, "'end': not an ISO 8601 time"),
        ({"end": T0}, "'end': must be after 'start'"),
        ({"end": "2026-07-15T00:00:00Z"}, "'end'"),
        ({"party": None}, "'party': missing"),
        ({"alt_min_m": 0, "a": 1}, None),  # free text: bounded, not refused
    ],
)
def test_bad_properties_are_refused_naming_the_field(change: dict[str, Any], names: str) -> None:
    f = movement_feature(**change)
    if names is None:
        assert parse_features(f).movements
        return
    with pytest.raises(InvalidInput, match=names):
        parse_features(f)


@pytest.mark.parametrize(
    ("geometry", "names"),
    [
        ({"type": "Point", "coordinates": [40.0, 35.0]}, "must be a LineString"),
        ({"type": "LineString", "coordinates": [[40.0, 35.0]]}, "at least 2 positions"),
        ({"type": "LineString", "coordinates": [[40.0, 95.0], [40.1, 35.0]]}, "geometry"),
        ({"type": "LineString", "coordinates": [[0.0, 0.0], [40.0, 0.0]]}, "'geometry'"),
        (
            {"type": "LineString", "coordinates": [[40.0 + i * 1e-4, 35.0] for i in range(2001)]},
            "2001 vertices",
        ),
    ],
)
def test_bad_routes_are_refused(geometry: dict[str, Any], names: str) -> None:
    f = movement_feature()
    f["geometry"] = geometry
    with pytest.raises(InvalidInput, match=names):
        parse_features(f)


def test_a_movement_route_over_3000_km_is_refused_with_its_length() -> None:
    f = movement_feature()
    f["geometry"]["coordinates"] = [[0.0, 0.0], [20.0, 0.0], [30.0, 0.0]]
    with pytest.raises(InvalidInput, match=r"'geometry'.*3e\+06|'geometry'.*3000000"):
        parse_features(f)


def test_an_unknown_kind_names_movement_among_the_choices() -> None:
    f = movement_feature(kind="convoy")
    with pytest.raises(InvalidInput, match="volume or movement"):
        parse_features(f)


# -- detection against a brute-force reference ------------------------------------------


def brute_distance_m(lat: float, lon: float, route: list[tuple[float, float]]) -> float:
    """Distance from (lat, lon) to a route of (lon, lat) vertices: the least haversine
    distance to 4,001 points along each segment's great circle (spherical interpolation)."""
    best = np.inf
    t = np.linspace(0.0, 1.0, 4001)
    for (lon0, lat0), (lon1, lat1) in itertools.pairwise(route):
        a = unit_vectors(np.array([lat0]), np.array([lon0]))[0]
        b = unit_vectors(np.array([lat1]), np.array([lon1]))[0]
        omega = np.arctan2(np.linalg.norm(np.cross(a, b)), a @ b)
        if omega < 1e-12:
            pts = np.repeat(a[None], 1, axis=0)
        else:
            pts = (np.sin((1 - t) * omega)[:, None] * a + np.sin(t * omega)[:, None] * b) / np.sin(
                omega
            )
        plat = np.degrees(np.arcsin(np.clip(pts[:, 2], -1, 1)))
        plon = np.degrees(np.arctan2(pts[:, 1], pts[:, 0]))
        best = min(best, float(haversine_m(lat, lon, plat, plon).min()))
    return best


coord = st.floats(-0.3, 0.3, allow_nan=False)
routes = st.lists(st.tuples(coord, coord), min_size=2, max_size=5)


@settings(max_examples=120, deadline=None)
@given(
    base=st.tuples(st.floats(-60, 60), st.floats(-179, 179)),
    route=routes,
    aims=st.lists(st.tuples(coord, coord), min_size=1, max_size=6),
    radius=st.floats(0, 3000),
    margin=st.floats(0, 3000),
    width=st.floats(1, 5000),
)
def test_strikes_near_a_corridor_match_the_brute_force_distance(
    base: tuple[float, float],
    route: list[tuple[float, float]],
    aims: list[tuple[float, float]],
    radius: float,
    margin: float,
    width: float,
) -> None:
    lat0, lon0 = base
    line = [(lon0 + x, lat0 + y) for x, y in route]
    mv = Movement("m", "un", Geometry("LineString", line), width, 0.0, 100.0)
    strikes = [
        Strike(f"s{k}", "blue", lat0 + y, lon0 + x, radius, 0.0, 50.0, margin)
        for k, (x, y) in enumerate(aims)
    ]
    got = strike_movements(
        StrikeSet.from_strikes(strikes), MovementSet.from_movements([mv]), now_s=0.0
    )
    found = dict(zip(got.strike.tolist(), got.distance_m.tolist(), strict=True))
    longest = max(float(haversine_m(a[1], a[0], b[1], b[0])) for a, b in itertools.pairwise(line))
    tol = longest / 4000 + 0.05  # the reference's spacing along a segment
    for k, s in enumerate(strikes):
        ref = brute_distance_m(s.lat_deg, s.lon_deg, line)
        reach = ref - radius - width / 2
        if k in found:
            assert found[k] == pytest.approx(ref, abs=tol)
            assert found[k] <= ref + 1e-6
            assert reach < margin + tol
        else:
            assert reach >= margin - tol


def test_distance_at_the_ends_and_across_the_middle() -> None:
    a = unit_vectors(np.array([0.0]), np.array([0.0]))
    b = unit_vectors(np.array([0.0]), np.array([1.0]))
    beyond = unit_vectors(np.array([0.0]), np.array([2.0]))
    above = unit_vectors(np.array([0.5]), np.array([0.5]))
    deg = np.pi / 180 * EARTH_RADIUS_M
    assert distance_to_route_m(beyond, a, b)[0] == pytest.approx(deg, rel=1e-9)
    assert distance_to_route_m(above, a, b)[0] == pytest.approx(0.5 * deg, rel=1e-6)
    assert distance_to_route_m(above, a, a)[0] == pytest.approx(
        float(haversine_m(0.5, 0.5, 0.0, 0.0)), rel=1e-9
    )


def test_only_other_parties_strikes_overlapping_in_time_are_reported() -> None:
    mv = parse_features(movement_feature()).movements[0]
    on_route = (35.025, 40.05)
    strikes = [
        Strike("theirs", "blue", *on_route, 100.0, mv.start_s + 60, mv.start_s + 120),
        Strike("own", "un", *on_route, 100.0, mv.start_s + 60, mv.start_s + 120),
        Strike("after", "blue", *on_route, 100.0, mv.end_s + 1, mv.end_s + 60),
        Strike("before", "blue", *on_route, 100.0, mv.start_s - 120, mv.start_s - 1),
        Strike("far", "blue", 36.0, 40.05, 100.0, mv.start_s, mv.end_s),
    ]
    got = strike_movements(
        StrikeSet.from_strikes(strikes), MovementSet.from_movements([mv]), now_s=mv.start_s
    )
    assert [strikes[i].id for i in got.strike.tolist()] == ["theirs"]
    (alert,) = strike_movement_alerts(strikes, [mv], got, now_s=mv.start_s)
    assert alert.kind == "strike-proximity"
    assert alert.parties == ("blue", "un") and alert.subjects == ("theirs", "convoy-1")
    assert alert.details["position_kind"] == "movement"
    assert alert.details["position_radius_m"] == 100.0
    assert alert.details["gap_m"] == 0.0


def test_an_empty_set_gives_no_pairs() -> None:
    mv = parse_features(movement_feature()).movements[0]
    none = strike_movements(StrikeSet.from_strikes([]), MovementSet.from_movements([mv]), now_s=0)
    assert len(none) == 0
    s = Strike("s", "blue", 35.0, 40.0, 10.0, 0.0, 1.0)
    assert len(strike_movements(StrikeSet.from_strikes([s]), MovementSet.from_movements([]),
                                now_s=0.0)) == 0  # fmt: skip


def test_the_record_checks_itself() -> None:
    good = parse_features(movement_feature()).movements[0]
    bad = copy.copy(good.__dict__)
    bad["width_m"] = float("nan")
    bad.pop("where")
    with pytest.raises(InvalidInput, match="width_m"):
        Movement(**bad)


# -- zones and other parties' volumes ---------------------------------------------------


def zone(zid: str, rules: list[dict[str, Any]], **props: Any) -> dict[str, Any]:
    ring = [[40.04, 34.9], [40.06, 34.9], [40.06, 35.2], [40.04, 35.2], [40.04, 34.9]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"id": zid, "status": "claimed", "parties": ["blue"], "rules": rules,
                       **props},
    }  # fmt: skip


def test_a_route_through_a_zone_that_forbids_its_party_is_a_zone_entry() -> None:
    fs = parse_features(
        {
            "type": "FeatureCollection",
            "features": [
                movement_feature(),
                zone("closed", [{"party": "*", "action": "forbid"}]),
                zone("notice", [{"party": "un", "action": "notify", "lead_s": 3600}]),
                zone("advice", [{"party": "*", "action": "advisory"}]),
                zone("others", [{"party": "red", "action": "forbid"}]),
                zone(
                    "expired", [{"party": "*", "action": "forbid"}], valid_to="2026-06-01T05:00:00Z"
                ),
            ],
        }
    )
    (mv,) = fs.movements
    got = movement_zones(fs.movements, fs.zones, now_s=mv.start_s - 3600)
    assert [fs.zones[i].id for i in got.zone.tolist()] == ["closed", "notice"]
    assert got.action.tolist() == ["forbid", "notify"]
    alerts = movement_zone_alerts(fs.movements, fs.zones, got, now_s=mv.start_s - 3600)
    assert [a.subjects for a in alerts] == [("convoy-1", "closed"), ("convoy-1", "notice")]
    assert alerts[0].parties == ("blue", "un") and alerts[0].t_s == 3600
    assert alerts[1].details["lead_s"] == 3600 and alerts[1].details["movement_party"] == "un"
    # the point given lies inside both the zone and the corridor
    assert 40.04 <= alerts[0].lon_deg <= 40.06
    assert audience(alerts[0], {z.id: z for z in fs.zones}) == ("blue", "un")
    # over once the movement has ended
    assert len(movement_zones(fs.movements, fs.zones, now_s=mv.end_s + 1)) == 0


def test_a_route_beside_a_zone_is_not_an_entry() -> None:
    f = movement_feature()
    f["geometry"]["coordinates"] = [[40.0, 35.3], [40.1, 35.3]]  # 11 km north of it
    fs = parse_features(
        {"type": "FeatureCollection",
         "features": [f, zone("closed", [{"party": "*", "action": "forbid"}])]}
    )  # fmt: skip
    assert len(movement_zones(fs.movements, fs.zones, now_s=0.0)) == 0


def volume(vid: str, party: str, start: str, end: str, dlon: float = 0.0) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.05 + dlon, 35.025]},
        "properties": {"id": vid, "party": party, "kind": "volume", "radius_m": 2000,
                       "alt_min_m": 3000, "alt_max_m": 5000, "start": start, "end": end},
    }  # fmt: skip


def test_other_parties_volumes_over_the_corridor_in_its_window_overlap() -> None:
    fs = parse_features(
        {
            "type": "FeatureCollection",
            "features": [
                movement_feature(),
                volume("drones", "blue", "2026-06-01T11:00:00Z", "2026-06-01T13:00:00Z"),
                volume("own", "un", T0, T1),
                volume("later", "blue", T1, "2026-06-01T14:00:00Z"),
                volume("away", "blue", T0, T1, dlon=0.5),
            ],
        }
    )
    (mv,) = fs.movements
    records, pairs = movement_overlaps(fs.movements, fs.volumes, now_s=mv.start_s)
    alerts = intent_overlap_alerts(records, pairs, now_s=mv.start_s)
    assert [sorted(a.subjects) for a in alerts] == [["convoy-1", "drones"]]
    (a,) = alerts
    assert a.parties == ("blue", "un")
    assert a.details["start_s"] == mv.end_s - 3600 and a.details["end_s"] == mv.end_s
    assert a.details["alt_min_m"] == 3000


def test_check_reads_movements_and_reports_their_alerts(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            movement_feature(),
            zone("closed", [{"party": "*", "action": "forbid"}]),
            volume("drones", "blue", T0, T1),
        ],
    }
    path = tmp_path / "plans.geojson"
    path.write_text(json.dumps(doc))
    run = subprocess.run(
        [sys.executable, "-m", "deconflict.cli", "check", "--intents", str(path),
         "--at", "2026-06-01T05:00:00Z"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert sorted((r["kind"], r["subjects"]) for r in rows) == [
        ("intent-overlap", ["convoy-1", "drones"]),
        ("zone-entry", ["convoy-1", "closed"]),
    ]
    assert "1 movement(s)" in run.stderr


def test_the_corridor_area_covers_every_point_within_half_the_width() -> None:
    route = [[40.0 + i * 1e-3, 35.0 + (i % 7) * 1e-3] for i in range(300)]
    mv = Movement("m", "un", Geometry("LineString", route), 2000.0, 0.0, 60.0)
    area = corridor_area(mv)
    frame = Frames([area.lat_deg], [area.lon_deg])
    rng = np.random.default_rng(7)
    lat = 35.0 + rng.uniform(-0.02, 0.03, 4000)
    lon = 40.0 + rng.uniform(-0.02, 0.32, 4000)
    u = unit_vectors(lat, lon)
    x, y = to_frame(u, frame)
    inside = shapely.contains_xy(area.geom, x, y)
    ms = MovementSet.from_movements([mv])
    k = len(ms.seg_owner)
    d = np.min(
        [distance_to_route_m(u, np.repeat(ms.seg_a[i : i + 1], len(u), 0),
                             np.repeat(ms.seg_b[i : i + 1], len(u), 0)) for i in range(k)],
        axis=0,
    )  # fmt: skip
    assert inside[d < 999.0].all()
    assert not inside[d > 1000.0 + 2 * 100.0 + 1.0].any()  # at most the slack wider
