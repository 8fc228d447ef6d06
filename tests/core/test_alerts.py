"""Alerts built in the core: one record for every kind, stable keys, one order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deconflict.alerts import count_by_kind, evaluate, separation_alerts
from deconflict.detect.separation import detect
from deconflict.errors import InvalidInput
from deconflict.features import read_borders, read_features
from deconflict.geo import EARTH_RADIUS_M
from deconflict.model import ALERT_KINDS, Geometry, Picture, Rule, Tracks, Zone
from deconflict.timefmt import parse_time

ROOT = Path(__file__).parents[2]
DEG_M = np.pi * EARTH_RADIUS_M / 180.0
NOW = parse_time("2017-06-20T08:00:00Z")


def head_on() -> Tracks:
    """Two aircraft 0.5 degrees apart on the equator, closing at 400 m/s, same level."""
    return Tracks(
        id=["b-west", "a-east"],
        party=["red", "blue"],
        lat_deg=[0.0, 0.0],
        lon_deg=[0.5, 0.0],
        alt_m=[9000.0, 9000.0],
        gs_mps=[200.0, 200.0],
        track_deg=[270.0, 90.0],
        vs_mps=[0.0, 0.0],
    )


def test_separation_alert_by_hand():
    tracks = head_on()
    [a] = separation_alerts(tracks, detect(tracks), now_s=NOW)
    gap = 0.5 * DEG_M
    assert (a.kind, a.parties, a.subjects) == ("separation", ("blue", "red"), ("a-east", "b-west"))
    assert a.key == "separation|a-east|b-west"
    assert a.now_s == NOW
    # the separation solver's local approximation is good to well under 0.1 %
    assert a.t_s == pytest.approx((gap - 9260.0) / 400.0, abs=0.01)
    assert a.details["tcpa_s"] == pytest.approx(gap / 400.0, abs=0.01)
    assert a.details["dcpa_m"] == pytest.approx(0.0, abs=0.01)
    assert a.details["t_in_s"] == a.t_s
    assert (a.details["a_party"], a.details["b_party"]) == ("blue", "red")
    assert (a.lat_deg, a.lon_deg) == pytest.approx((0.0, 0.25), abs=1e-9)
    assert a.geometry is not None and a.geometry["type"] == "LineString"
    np.testing.assert_allclose(a.geometry["coordinates"], [[0.25, 0.0], [0.25, 0.0]], atol=1e-5)


def test_separation_alerts_need_the_tracks_they_were_detected_on():
    tracks = head_on()
    with pytest.raises(InvalidInput, match="detected on other tracks"):
        separation_alerts(tracks.take([1, 0]), detect(tracks), now_s=NOW)


def example_picture() -> Picture:
    fs = read_features(ROOT / "examples/geo/zones.geojson")
    fs = fs.merge(read_features(ROOT / "examples/check/positions.geojson"))
    fs = fs.merge(read_features(ROOT / "examples/check/intents.geojson"))
    return Picture(
        tracks=Tracks.from_csv(ROOT / "examples/check/tracks.csv"),
        zones=fs.zones,
        positions=fs.positions,
        strikes=fs.strikes,
        volumes=fs.volumes,
        countries=read_borders(ROOT / "examples/geo/countries.geojson"),
    )


def test_evaluate_the_example_scenario():
    alerts = evaluate(example_picture(), now_s=NOW, lookahead_s=300.0)
    assert dict(count_by_kind(alerts)) == {
        "zone-entry": 5, "intent-overlap": 1, "strike-proximity": 2, "border-crossing": 1,
        "non-conforming": 3,
    }  # fmt: skip
    assert list(count_by_kind(alerts)) == [k for k in ALERT_KINDS if k in count_by_kind(alerts)]
    keys = [(a.t_s, a.kind, a.subjects) for a in alerts]
    assert keys == sorted(keys)
    for a in alerts:
        assert a.now_s == NOW and a.t_s >= 0 and -180 <= a.lon_deg < 180
        json.dumps([a.details, a.geometry], allow_nan=False)  # JSON-ready, no NaN/inf
        assert a.geometry is not None and a.geometry["type"] == "Point"
        assert a.geometry["coordinates"] == [a.lon_deg, a.lat_deg]
    tharda = next(a for a in alerts if a.key == "strike-proximity|strike-tharda|syr-tharda")
    assert tharda.t_s == 1800.0 and tharda.details["start_s"] == NOW + 1800.0
    assert tharda.details["gap_m"] == 0.0 and tharda.details["margin_m"] == 1000.0
    tanf = next(a for a in alerts if a.key == "zone-entry|SYR41|al-tanf-55km")
    assert tanf.parties == ("coalition", "russia", "syria")
    assert tanf.details["track_party"] == "syria" and tanf.details["rule"] == "forbid"


def test_the_same_conflict_next_tick_has_the_same_key():
    picture = example_picture()
    first = evaluate(picture, now_s=NOW, lookahead_s=300.0)
    later = Picture(
        tracks=picture.tracks.advanced(10.0),
        zones=picture.zones,
        positions=picture.positions,
        strikes=picture.strikes,
        volumes=picture.volumes,
        countries=picture.countries,
    )
    second = {a.key: a for a in evaluate(later, now_s=NOW + 10.0, lookahead_s=300.0)}
    ahead = [a for a in first if a.t_s > 10.0]
    assert len(ahead) >= 5
    for a in ahead:
        assert second[a.key].t_s == pytest.approx(a.t_s - 10.0, abs=0.05), a.key


def test_evaluate_with_separation_and_nothing():
    tracks = head_on()
    ring = [[0.15, -0.1], [0.3, -0.1], [0.3, 0.1], [0.15, 0.1], [0.15, -0.1]]
    z = Zone("box", "box", "claimed", ("green",), (), (Rule("*", "notify", 600.0),),
             Geometry("Polygon", [ring]))  # fmt: skip
    picture = Picture(tracks=tracks, zones=(z,))
    alerts = evaluate(picture, now_s=NOW, lookahead_s=300.0, separation=detect(tracks))
    assert [(a.kind, a.subjects) for a in alerts] == [
        ("zone-entry", ("a-east", "box")),  # at lon 0.15 after 83 s
        ("zone-entry", ("b-west", "box")),  # at lon 0.3 after 111 s
        ("separation", ("a-east", "b-west")),  # 116 s
    ]
    assert alerts[0].details["lead_time_met"] is False
    assert evaluate(picture, now_s=NOW, lookahead_s=300.0)[-1].kind == "zone-entry"
    assert evaluate(Picture(), now_s=NOW, lookahead_s=300.0) == []
    with pytest.raises(InvalidInput, match="now_s must be finite"):
        evaluate(picture, now_s=float("nan"), lookahead_s=300.0)
