"""Property tests of the zone geometry against brute force in an independent frame.

The reference samples each great-circle path densely with :func:`deconflict.geo.destination`
and tests each sample against the zone projected by pyproj (azimuthal equidistant on the
same sphere) with shapely's closed-set predicate; circles are checked with haversine.
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from zonekit import collection, point, tracks, zone

from deconflict.detect import zones as zones_module
from deconflict.detect.areas import zone_area
from deconflict.detect.zones import ZoneSet, predict_entries
from deconflict.features import parse_features
from deconflict.geo import EARTH_RADIUS_M, destination, haversine_m, wrap_lon

LOOKAHEAD = 300.0
NOW = 1577836800.0  # 2020-01-01T00:00:00Z; these zones have no validity window
STEPS = 3000
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def ring_polygon(draw):
    """A star-shaped polygon (maybe with a hole, maybe two parts) near a random place."""
    lat = draw(st.floats(-70, 70))
    lon = draw(st.sampled_from([draw(st.floats(-180, 180)), 179.95, -179.95]))
    n = draw(st.integers(3, 12))
    jitter = draw(st.lists(st.floats(-0.3, 0.3), min_size=n, max_size=n))
    radii = draw(st.lists(st.floats(5e3, 40e3), min_size=n, max_size=n))
    ang = (np.arange(n) + np.asarray(jitter)) * 2 * np.pi / n
    # positions as RFC 7946 has them, lon in [-180, 180): a ring near the antimeridian
    # jumps from +180 to -180, and its edges are still the short ones (local frames)
    lats, lons = destination(lat, lon, np.degrees(ang), np.asarray(radii))
    ring = [[float(a), float(b)] for a, b in zip(lons, lats, strict=True)]
    rings = [[*ring, ring[0]]]
    # A hole at 0.4 of the smallest radius stays inside when every angular gap is
    # under 2.01 rad (cos(1.005) > 0.4): five vertices or more with this jitter.
    if n >= 5 and draw(st.booleans()):
        hlat, hlon = destination(lat, lon, np.degrees(ang), np.full(n, 0.4 * min(radii)))
        hole = [[float(a), float(b)] for a, b in zip(hlon[::-1], hlat[::-1], strict=True)]
        rings.append([*hole, hole[0]])
    geom = {"type": "Polygon", "coordinates": rings}
    return lat, lon, geom


@st.composite
def track_near(draw, lat, lon):
    bearing = draw(st.floats(0, 360))
    dist = draw(st.floats(0, 90e3))
    tlat, tlon = destination(lat, lon, bearing, dist)
    gs = draw(st.sampled_from([0.0, draw(st.floats(20, 300))]))
    trk = draw(st.floats(0, 360))
    return float(tlat), float(tlon), gs, trk


def samples(tlat, tlon, gs, trk):
    t = np.linspace(0.0, LOOKAHEAD, STEPS + 1)
    lat, lon = destination(np.full_like(t, tlat), np.full_like(t, tlon), trk, gs * t)
    return t, lat, lon


def first_inside(mask):
    hit = np.flatnonzero(mask)
    return None if hit.size == 0 else int(hit[0])


@SETTINGS
@given(data=st.data())
def test_polygon_entry_matches_brute_force(data):
    lat, lon, geom = data.draw(ring_polygon())
    tlat, tlon, gs, trk = data.draw(track_near(lat, lon))
    fs = parse_features(collection(zone(geom)))
    z = ZoneSet.from_zones(fs.zones)
    e = predict_entries(
        tracks([(tlat, tlon, 1000, gs, trk, 0)]), z, lookahead_s=LOOKAHEAD, now_s=NOW
    )
    area = zone_area(fs.zones[0])
    proj = pyproj.Proj(proj="aeqd", lat_0=area.lat_deg, lon_0=area.lon_deg, R=EARTH_RADIUS_M)
    t, slat, slon = samples(tlat, tlon, gs, trk)
    x, y = proj(slon, slat)
    ref = shapely.transform(
        shapely.geometry.shape(geom), lambda c: np.column_stack(proj(c[:, 0], c[:, 1]))
    )
    k = first_inside(shapely.intersects_xy(ref, x, y))
    dt = LOOKAHEAD / STEPS
    if k is not None:
        assert len(e) == 1
        lo = 0.0 if k == 0 else t[k - 1]
        assert lo - 1e-6 <= e.t_s[0] <= t[k] + 1e-6
    elif len(e):
        # a graze between samples: the predicted point must lie on the boundary
        px, py = proj(e.lon_deg[0], e.lat_deg[0])
        assert shapely.distance(ref, shapely.Point(px, py)) < 1.0 + gs * dt
    # the numpy and the shapely intersections agree exactly
    zones_module.SMALL_POLYGON_EDGES, saved = -1, zones_module.SMALL_POLYGON_EDGES
    try:
        e2 = predict_entries(
            tracks([(tlat, tlon, 1000, gs, trk, 0)]), z, lookahead_s=LOOKAHEAD, now_s=NOW
        )
    finally:
        zones_module.SMALL_POLYGON_EDGES = saved
    assert len(e2) == len(e)
    np.testing.assert_allclose(e2.t_s, e.t_s, atol=1e-6)


@SETTINGS
@given(
    lat=st.floats(-80, 80),
    lon=st.sampled_from([0.0, 45.0, 179.99, -179.99]),
    radius=st.floats(1e3, 60e3),
    data=st.data(),
)
def test_circle_entry_matches_haversine(lat, lon, radius, data):
    tlat, tlon, gs, trk = data.draw(track_near(lat, lon))
    z = ZoneSet.from_zones(parse_features(collection(zone(point(lon, lat), radius_m=radius))).zones)
    e = predict_entries(
        tracks([(tlat, tlon, 1000, gs, trk, 0)]), z, lookahead_s=LOOKAHEAD, now_s=NOW
    )
    t, slat, slon = samples(tlat, tlon, gs, trk)
    d = haversine_m(lat, lon, slat, slon)
    k = first_inside(d <= radius)
    if k is not None:
        assert len(e) == 1
        lo = 0.0 if k == 0 else t[k - 1]
        assert lo - 1e-6 <= e.t_s[0] <= t[k] + 1e-6
    elif len(e):
        assert haversine_m(lat, lon, e.lat_deg[0], e.lon_deg[0]) == pytest.approx(radius, abs=1.0)
    if len(e) and e.t_s[0] > 0:
        # the entry point is on the circle
        assert haversine_m(lat, lon, e.lat_deg[0], e.lon_deg[0]) == pytest.approx(radius, rel=1e-6)


BAND = (900.0, 2000.0)
MARGIN_M = 5.0
"""Samples closer than this to the boundary are not counted either way (the detector's
path is straight between samples of at most 25 km: well under a metre of sag)."""


@SETTINGS
@given(data=st.data())
def test_entry_is_first_time_in_band_and_area(data):
    """With a climbing track, the entry is the first time in band and area: no sample
    before it qualifies, and when there is none, no sample qualifies at all."""
    lat, lon, geom = data.draw(ring_polygon())
    tlat, tlon, gs, trk = data.draw(track_near(lat, lon))
    vs = data.draw(st.floats(-20, 20))
    fs = parse_features(collection(zone(geom, alt_min_m=BAND[0], alt_max_m=BAND[1])))
    z = ZoneSet.from_zones(fs.zones)
    e = predict_entries(
        tracks([(tlat, tlon, 1000, gs, trk, vs)]), z, now_s=NOW, lookahead_s=LOOKAHEAD
    )
    area = zone_area(fs.zones[0])
    proj = pyproj.Proj(proj="aeqd", lat_0=area.lat_deg, lon_0=area.lon_deg, R=EARTH_RADIUS_M)
    ref = shapely.transform(
        shapely.geometry.shape(geom), lambda c: np.column_stack(proj(c[:, 0], c[:, 1]))
    )
    t, slat, slon = samples(tlat, tlon, gs, trk)
    x, y = proj(slon, slat)
    alt = 1000 + vs * t
    clear = shapely.distance(ref.boundary, shapely.points(x, y)) > MARGIN_M
    qualifies = (
        shapely.intersects_xy(ref, x, y) & clear & (alt > BAND[0] + 0.01) & (alt < BAND[1] - 0.01)
    )
    first = first_inside(qualifies)
    if len(e) == 0:
        assert first is None, f"sample at t={t[first]} s is inside and in band, none found"
        return
    assert BAND[0] - 1e-6 <= e.alt_m[0] <= BAND[1] + 1e-6
    assert e.alt_m[0] == pytest.approx(1000 + vs * e.t_s[0])
    earlier = t < e.t_s[0] - 1e-6
    assert not qualifies[earlier].any(), f"sample at t={t[earlier & qualifies][0]} s qualifies"
    if first is not None:
        assert e.t_s[0] <= t[first] + 1e-6


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
@example(seed=0)
def test_batch_equals_one_track_at_a_time(seed):
    """Vectorising over tracks and zones changes nothing: each track alone gives its rows."""
    rng = np.random.default_rng(seed)
    feats = []
    for k in range(12):
        lat, lon = rng.uniform(-1, 1), rng.choice([rng.uniform(-1, 1), 179.9])
        rules = [{"party": str(rng.choice(["*", "blue", "red"])), "action": "notify", "lead_s": 60}]
        if k % 2:
            feats.append(
                zone(point(lon, lat), f"c{k}", radius_m=rng.uniform(2e3, 30e3), rules=rules)
            )
        else:
            ang = np.linspace(0, 2 * np.pi, 7)[:-1]
            la, lo = destination(lat, lon, np.degrees(ang), rng.uniform(5e3, 30e3, 6))
            ring = [[float(x), float(y)] for x, y in zip(lo, la, strict=True)]
            feats.append(
                zone({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}, f"p{k}", rules=rules)
            )
    z = ZoneSet.from_zones(parse_features(collection(*feats)).zones)
    n = 40
    rows = np.column_stack(
        [
            rng.uniform(-1.2, 1.2, n),
            wrap_lon(rng.choice([-0.9, 0.0, 179.8], n) + rng.uniform(-0.3, 0.3, n)),
            rng.uniform(0, 3000, n),
            rng.uniform(0, 300, n),
            rng.uniform(0, 360, n),
            rng.normal(0, 5, n),
        ]
    )
    parties = list(rng.choice(["blue", "red"], n))
    batch = predict_entries(tracks(rows, parties), z, lookahead_s=600, now_s=NOW)
    for i in range(n):
        one = predict_entries(
            tracks(rows[i : i + 1], parties[i : i + 1]), z, lookahead_s=600, now_s=NOW
        )
        mine = batch.track == i
        assert one.zone.tolist() == batch.zone[mine].tolist()
        # each path is sampled by its own length: the batch changes no entry time
        np.testing.assert_allclose(one.t_s, batch.t_s[mine], rtol=0, atol=1e-9)
