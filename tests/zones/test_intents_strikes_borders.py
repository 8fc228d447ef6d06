"""Intent overlap, non-conformance, strike proximity and border crossings: hand cases."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from zonekit import box, collection, feature, point, polygon, tracks

from deconflict.detect.areas import country_shape
from deconflict.detect.borders import BORDER_GAP_M, BorderSet, predict_crossings
from deconflict.detect.intents import VolumeSet, find_overlaps, non_conforming
from deconflict.detect.strikes import DEFAULT_MARGIN_M, PositionSet, StrikeSet, strike_proximity
from deconflict.features import parse_borders, parse_features
from deconflict.geo import EARTH_RADIUS_M

DEG_M = np.pi * EARTH_RADIUS_M / 180.0
H0 = "2020-01-01T00:00:00Z"
H1 = "2020-01-01T01:00:00Z"
H2 = "2020-01-01T02:00:00Z"
T0 = 1577836800.0


def volume(vid, party, geometry, start=H0, end=H1, **props):
    return feature(geometry, id=vid, party=party, kind="volume", start=start, end=end, **props)


def vset(*features):
    return VolumeSet.from_volumes(parse_features(collection(*features)).volumes)


# -- intent overlap ---------------------------------------------------------------------


def test_overlap_needs_area_band_window_and_two_parties():
    a = volume("a", "blue", polygon(box(0, 0, 1, 1)), alt_min_m=0, alt_max_m=3000)
    b = volume("b", "red", polygon(box(0.5, 0.5, 1.5, 1.5)), alt_min_m=2000, alt_max_m=5000)
    ov = find_overlaps(vset(a, b), now_s=T0)
    assert (ov.a.tolist(), ov.b.tolist()) == ([0], [1])
    assert (ov.alt_min_m[0], ov.alt_max_m[0]) == (2000.0, 3000.0)
    assert (ov.start_s[0], ov.end_s[0]) == (T0, T0 + 3600)
    # about a quarter of a square degree near the equator
    assert ov.area_m2[0] == pytest.approx(0.25 * DEG_M**2, rel=0.01)
    assert 0.5 < ov.lat_deg[0] < 1.0 and 0.5 < ov.lon_deg[0] < 1.0


@pytest.mark.parametrize(
    "other",
    [
        volume("b", "blue", polygon(box(0.5, 0.5, 1.5, 1.5))),  # same party
        volume("b", "red", polygon(box(1.0, 0, 2, 1))),  # areas only touch
        volume("b", "red", polygon(box(2, 2, 3, 3))),  # apart
        volume("b", "red", polygon(box(0.5, 0.5, 1.5, 1.5)), alt_min_m=3000),  # bands touch
        volume("b", "red", polygon(box(0.5, 0.5, 1.5, 1.5)), start=H1, end=H2),  # windows touch
    ],
)
def test_no_overlap(other):
    a = volume("a", "blue", polygon(box(0, 0, 1, 1)), alt_min_m=0, alt_max_m=3000)
    assert len(find_overlaps(vset(a, other), now_s=T0)) == 0


def test_overlap_of_circle_and_polygon_across_antimeridian_and_expiry():
    a = volume("a", "blue", point(180.0, 0.0), radius_m=20_000)
    b = volume("b", "red", polygon([[-179.9, -0.1], [-179.5, -0.1], [-179.5, 0.1], [-179.9, 0.1]]))
    ov = find_overlaps(vset(a, b), now_s=T0)
    assert len(ov) == 1 and -179.9 <= ov.lon_deg[0] <= -179.8
    assert len(find_overlaps(vset(a, b), now_s=T0 + 3601)) == 0


def test_non_conforming():
    vols = vset(
        volume("v1", "blue", polygon(box(0, 0, 1, 1)), alt_min_m=0, alt_max_m=3000),
        volume("v2", "blue", point(10, 10), radius_m=5000, start=H1, end=H2),
    )
    t = tracks(
        [
            (0.5, 0.5, 1000, 200, 0, 0),  # inside v1, conforming
            (0.5, 0.5, 4000, 200, 0, 0),  # above v1's band
            (10, 10, 1000, 200, 0, 0),  # inside v2, which is not active yet
            (5, 5, 1000, 200, 0, 0),  # red has no intents: never flagged
        ],
        parties=["blue", "blue", "blue", "red"],
    )
    assert non_conforming(t, vols, now_s=T0 + 60).tolist() == [1, 2]
    assert non_conforming(t, vols, now_s=T0 + 3660).tolist() == [0, 1]


# -- strikes ----------------------------------------------------------------------------


def positions_and_strikes(*features):
    fs = parse_features(collection(*features))
    return StrikeSet.from_strikes(fs.strikes), PositionSet.from_positions(fs.positions)


def strike(lon, lat, radius=1000, party="blue", **props):
    return feature(
        point(lon, lat),
        id="s",
        party=party,
        kind="strike",
        radius_m=radius,
        start=H0,
        end=H1,
        **props,
    )


def position(pid, lon, lat, party="red", kind="forces", radius=500, **props):
    return feature(point(lon, lat), id=pid, party=party, kind=kind, radius_m=radius, **props)


def test_strike_distance_and_gap():
    d = 2500.0
    s, p = positions_and_strikes(
        strike(0, 0),
        position("near", (d + 1) / DEG_M, 0),  # gap 1001 - not within the 1000 m margin
        position("closer", 0, -(d - 1) / DEG_M),  # gap 999
        position("on", 0, 0.001, kind="protected", radius=0),  # inside the effects circle
        position("own", 0, 0, party="blue"),  # the striking party's own: never checked
    )
    r = strike_proximity(s, p, now_s=T0)
    assert [str(p.id[i]) for i in r.position] == ["closer", "on"]
    assert r.distance_m == pytest.approx([d - 1, 0.001 * DEG_M], abs=1e-3)
    assert r.gap_m == pytest.approx([999.0, 0.0], abs=1e-3)
    assert DEFAULT_MARGIN_M == 1000.0


def test_strike_margin_and_time():
    s, p = positions_and_strikes(
        strike(0, 0, margin_m=5000),
        position("a", 0.05, 0),  # 5.56 km: gap 4.06 km < 5 km
        position("expired", 0, 0, valid_to="2019-12-31T23:00:00Z"),
        position("later", 0, 0, valid_from=H1),  # valid from the strike's last instant
    )
    r = strike_proximity(s, p, now_s=T0)
    assert [str(p.id[i]) for i in r.position] == ["a", "later"]
    assert len(strike_proximity(s, p, now_s=T0 + 3601)) == 0  # the strike is over


# -- borders ----------------------------------------------------------------------------


def borders(*features):
    return BorderSet.from_countries(parse_borders(collection(*features)))


def country(cid, ring):
    return feature(polygon(ring), id=cid, name=cid.upper())


def test_crossing_between_neighbours():
    b = borders(country("w", box(-1, -1, 0, 1)), country("e", box(0, -1, 1, 1)))
    t = tracks([(0.0, -0.1, 1000, 200, 90, 0), (0.0, 0.1, 1000, 200, 90, 0)])
    c = predict_crossings(t, b, lookahead_s=300)
    assert c.track.tolist() == [0]
    assert c.t_s[0] == pytest.approx(0.1 * DEG_M / 200, rel=1e-5)
    assert (int(c.from_country[0]), int(c.to_country[0])) == (0, 1)
    assert c.lon_deg[0] == pytest.approx(0.0, abs=1e-6)


def test_crossing_over_a_sliver_and_into_the_sea():
    gap = 0.5 * BORDER_GAP_M / DEG_M
    b = borders(country("w", box(-1, -1, 0, 1)), country("e", box(gap, -1, 1, 1)))
    t = tracks([(0.0, -0.1, 1000, 200, 90, 0), (0.0, 0.9, 1000, 200, 90, 0)])
    c = predict_crossings(t, b, lookahead_s=300)
    # track 0 crosses the sliver; track 1 leaves e for the open sea: not reported
    assert c.track.tolist() == [0]
    assert c.t_s[0] == pytest.approx((0.1 + gap) * DEG_M / 200, rel=1e-5)


def test_crossing_at_the_antimeridian_and_back():
    b = borders(
        country("a", [[170, -1], [180, -1], [180, 1], [170, 1]]),
        country("b", [[-180, -1], [-170, -1], [-170, 1], [-180, 1]]),
    )
    t = tracks([(0.0, 179.9, 1000, 200, 90, 0), (0.0, -179.9, 1000, 200, 270, 0)])
    c = predict_crossings(t, b, lookahead_s=300)
    assert c.track.tolist() == [0, 1]
    assert c.from_country.tolist() == [0, 1] and c.to_country.tolist() == [1, 0]
    assert c.t_s == pytest.approx([0.1 * DEG_M / 200] * 2, rel=1e-5)


def test_example_countries_iraq_to_syria():
    from pathlib import Path

    from deconflict.features import read_borders

    cs = read_borders(Path(__file__).parents[2] / "examples" / "geo" / "countries.geojson")
    b = BorderSet.from_countries(cs)
    # near al-Qaim, flying west into Syria
    t = tracks([(34.42, 41.30, 7000, 230, 295, 0)], ["coalition"])
    c = predict_crossings(t, b, lookahead_s=300)
    assert [
        (str(b.id[f]), str(b.id[g])) for f, g in zip(c.from_country, c.to_country, strict=True)
    ] == [("irq", "syr")]
    assert shapely.intersects_xy(
        country_shape(cs[[x.id for x in cs].index("syr")]), c.lon_deg[0] - 0.01, c.lat_deg[0]
    )


def test_strike_across_the_antimeridian():
    s, p = positions_and_strikes(
        strike(179.99, 0.0, radius=500, margin_m=2000),
        position("east", -179.99, 0.0, radius=500),  # 2.2 km away across the antimeridian
    )
    r = strike_proximity(s, p, now_s=T0)
    assert r.distance_m == pytest.approx([0.02 * DEG_M], rel=1e-9)
    assert r.gap_m == pytest.approx([0.02 * DEG_M - 1000])


def test_crossings_of_a_batch_equal_each_track_alone():
    """A track's crossings do not depend on the other tracks of the call (their speeds
    used to set the path sampling of every track)."""
    from pathlib import Path

    from deconflict.features import read_borders

    cs = read_borders(Path(__file__).parents[2] / "examples" / "geo" / "countries.geojson")
    b = BorderSet.from_countries(cs)
    rng = np.random.default_rng(7)
    n = 30
    rows = [
        (
            float(rng.uniform(32.5, 37.0)),
            float(rng.uniform(38.0, 44.0)),
            3000.0,
            float(rng.choice([60.0, 250.0, 1400.0])),
            float(rng.uniform(0, 360)),
            0.0,
        )
        for _ in range(n)
    ]
    batch = predict_crossings(tracks(rows), b, lookahead_s=600)
    assert batch.track.size > 5
    for i in range(n):
        one = predict_crossings(tracks(rows[i : i + 1]), b, lookahead_s=600)
        mine = batch.track == i
        assert one.from_country.tolist() == batch.from_country[mine].tolist()
        np.testing.assert_allclose(one.t_s, batch.t_s[mine], rtol=0, atol=1e-9)
