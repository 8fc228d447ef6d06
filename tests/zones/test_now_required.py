"""Detectors whose inputs carry time windows need the present: no silent 1970 default."""

from __future__ import annotations

import pytest
from zonekit import collection, point, tracks, zone

from deconflict.detect.zones import ZoneSet, predict_entries
from deconflict.features import parse_features

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
