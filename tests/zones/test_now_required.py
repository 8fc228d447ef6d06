"""One detector convention: ``now_s`` required where records have time windows (no
silent 1970 or -inf default), NaN refused, empty inputs give empty results."""

from __future__ import annotations

import numpy as np
import pytest
from zonekit import box, collection, feature, point, polygon, tracks, zone

from deconflict.detect.borders import BorderSet, predict_crossings
from deconflict.detect.intents import VolumeSet, find_overlaps, non_conforming
from deconflict.detect.strikes import PositionSet, StrikeSet, strike_proximity
from deconflict.detect.zones import ZoneSet, predict_entries
from deconflict.errors import InvalidInput
from deconflict.features import parse_features
from deconflict.model import Tracks

NOW = 1577836800.0  # 2020-01-01T00:00:00Z


def test_zone_with_validity_window_needs_now():
    window = {"valid_from": "2019-12-31T00:00:00Z", "valid_to": "2020-01-02T00:00:00Z"}
    z = ZoneSet.from_zones(
        parse_features(collection(zone(point(0.0, 0.0), radius_m=50_000, **window))).zones
    )
    inside = tracks([(0.0, 0.0, 1000, 100, 90, 0)])
    with pytest.raises(TypeError, match="now_s"):
        predict_entries(inside, z, lookahead_s=300.0)  # type: ignore[call-arg]
    assert predict_entries(inside, z, lookahead_s=300.0, now_s=NOW).t_s.tolist() == [0.0]


def plans():
    fs = parse_features(
        collection(
            feature(polygon(box(0, 0, 1, 1)), id="a", party="blue", kind="volume",
                    start="2020-01-01T00:00:00Z", end="2020-01-01T01:00:00Z"),
            feature(polygon(box(0.5, 0, 1.5, 1)), id="b", party="red", kind="volume",
                    start="2020-01-01T00:00:00Z", end="2020-01-01T01:00:00Z"),
            feature(point(0, 0), id="s", party="blue", kind="strike", radius_m=100,
                    start="2020-01-01T00:00:00Z", end="2020-01-01T01:00:00Z"),
            feature(point(0, 0.001), id="p", party="red", kind="forces", radius_m=100),
        )
    )  # fmt: skip
    return (
        VolumeSet.from_volumes(fs.volumes),
        StrikeSet.from_strikes(fs.strikes),
        PositionSet.from_positions(fs.positions),
    )


def test_plans_need_now():
    vols, strikes, positions = plans()
    with pytest.raises(TypeError, match="now_s"):
        find_overlaps(vols)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="now_s"):
        strike_proximity(strikes, positions)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="now_s"):
        non_conforming(tracks([(0.5, 0.5, 0, 0, 0, 0)]), vols)  # type: ignore[call-arg]
    assert len(find_overlaps(vols, now_s=NOW)) == 1
    assert len(find_overlaps(vols, now_s=NOW + 7200)) == 0
    assert len(strike_proximity(strikes, positions, now_s=NOW)) == 1
    assert len(strike_proximity(strikes, positions, now_s=NOW + 7200)) == 0


@pytest.mark.parametrize("now", [float("nan"), float("inf")])
def test_now_must_be_finite(now):
    vols, strikes, positions = plans()
    with pytest.raises(InvalidInput, match="now_s must be finite"):
        find_overlaps(vols, now_s=now)
    with pytest.raises(InvalidInput, match="now_s must be finite"):
        strike_proximity(strikes, positions, now_s=now)


def test_lookahead_must_be_a_duration():
    z = ZoneSet.from_zones([])
    with pytest.raises(InvalidInput, match="lookahead_s must be a number of seconds >= 0"):
        predict_entries(Tracks.empty(), z, now_s=NOW, lookahead_s=-1.0)
    with pytest.raises(InvalidInput, match="lookahead_s must be a number of seconds >= 0"):
        predict_crossings(Tracks.empty(), BorderSet.from_countries([]), lookahead_s=np.nan)


def test_nan_in_a_hand_built_set_is_refused():
    _, strikes, _ = plans()
    with pytest.raises(InvalidInput, match="strike set: column 'margin_m' holds NaN"):
        StrikeSet(**{**strikes.__dict__, "margin_m": np.array([np.nan])})


def test_empty_inputs_give_empty_results():
    vols, strikes, positions = plans()
    none = Tracks.empty()
    assert len(predict_entries(none, ZoneSet.from_zones([]), now_s=NOW)) == 0
    assert len(find_overlaps(VolumeSet.from_volumes([]), now_s=NOW)) == 0
    assert non_conforming(none, vols, now_s=NOW).tolist() == []
    assert len(strike_proximity(strikes, PositionSet.from_positions([]), now_s=NOW)) == 0
    assert len(strike_proximity(StrikeSet.from_strikes([]), positions, now_s=NOW)) == 0
    assert len(predict_crossings(none, BorderSet.from_countries([]))) == 0
