"""The readback's distance: exact between points, the Hausdorff distance between areas."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.geo import haversine_m
from deconflict.service.config import ServiceConfig
from deconflict.service.hotline import LiveAlert
from deconflict.service.readback import answer_readback, read_back

RING = [[40.0, 35.0], [40.1, 35.0], [40.1, 35.1], [40.0, 35.1], [40.0, 35.0]]


def alert(kind: str, lat: float = 0.0, lon: float = 0.0, **details: Any) -> LiveAlert:
    return LiveAlert(id="al-1", key="k", kind=kind, parties=("blue", "red"),
                     subjects=("s1", "z1"), awaiting=("blue", "red"), raised_at=0.0,
                     updated_at=0.0, t_s=0.0, lat_deg=lat, lon_deg=lon, deadline=None,
                     details=details)  # fmt: skip


def zone_feature(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"id": "z1", "status": "claimed", "parties": ["blue"],
                           "rules": [{"party": "*", "action": "forbid"}]}}  # fmt: skip


def no_zone(zone_id: str) -> None:
    return None


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-80, 80), lon=st.floats(-179, 179),
    dlat=st.floats(-0.5, 0.5), dlon=st.floats(-0.5, 0.5),
)  # fmt: skip
def test_between_points_it_is_the_great_circle_distance(
    lat: float, lon: float, dlat: float, dlon: float
) -> None:
    a = alert("strike-proximity", lat, lon)
    there = {"type": "Point", "coordinates": [lon + dlon, lat + dlat]}
    got = read_back(a, there, zone_feature=no_zone, mismatch_m=500.0)
    want = float(haversine_m(lat, lon, lat + dlat, lon + dlon))
    assert got["distance_m"] == pytest.approx(want, rel=1e-6, abs=1e-3)
    assert got["mismatch"] is (got["distance_m"] > 500.0)


def test_an_area_read_back_as_declared_is_zero_and_a_shifted_one_its_shift() -> None:
    a = alert("zone-entry")
    zones = {"z1": zone_feature(RING)}
    same = {"type": "Polygon", "coordinates": [RING]}
    assert read_back(a, same, zone_feature=zones.get, mismatch_m=500.0)["distance_m"] < 1e-3
    moved = {"type": "Polygon", "coordinates": [[[x, y + 0.01] for x, y in RING]]}
    got = read_back(a, moved, zone_feature=zones.get, mismatch_m=500.0)
    assert got["distance_m"] == pytest.approx(1112, rel=0.01) and got["mismatch"] is True


def test_a_declared_position_is_measured_from_its_point() -> None:
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [40.0, 35.0]},
               "properties": {"id": "p1", "party": "red", "kind": "protected",
                              "radius_m": 300}}  # fmt: skip
    a = alert("declaration", feature_kind="protected", feature=feature)
    got = read_back(a, {"type": "Point", "coordinates": [40.0, 35.003]},
                    zone_feature=no_zone, mismatch_m=500.0)  # fmt: skip
    assert got == {"distance_m": pytest.approx(333.6, abs=0.5), "mismatch": False}


@pytest.mark.parametrize(
    ("kind", "details", "understood", "words"),
    [
        ("separation", {}, {"type": "Point", "coordinates": [0, 0]}, "not separation"),
        ("declaration", {"feature_kind": "volume"}, {"type": "Point", "coordinates": [0, 0]},
         "not volume"),
        ("strike-proximity", {}, {"type": "MultiPoint", "coordinates": [[0, 0]]}, "Point or"),
        ("strike-proximity", {}, {"type": "Point", "coordinates": [0, 91]}, "understood"),
        ("strike-proximity", {}, {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0],
                                  [0, 1], [0, 0]]]}, "valid polygon"),
        ("zone-entry", {}, {"type": "Point", "coordinates": [0, 0]}, "no longer declared"),
    ],
)  # fmt: skip
def test_what_cannot_be_read_back_is_refused_naming_understood(
    kind: str, details: dict[str, Any], understood: Any, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as err:
        read_back(alert(kind, **details), understood, zone_feature=no_zone, mismatch_m=500.0)
    assert str(err.value).startswith("understood")


def test_what_is_kept_of_an_understood_geometry_is_the_geometry_alone() -> None:
    """The ack, the ledger and the other party get the checked geometry, never members a
    party slipped in beside it."""
    a = alert("strike-proximity", 35.0, 40.0)
    sent = {"type": "Point", "coordinates": [40.0, 35.0], "properties": {"junk": "x" * 5000},
            "bbox": [0, 0, 0, 0], "crs": {"type": "name"}}  # fmt: skip
    kept = answer_readback(a, "wilco", sent, picture=None, config=ServiceConfig())
    assert kept["understood"] == {"type": "Point", "coordinates": [40.0, 35.0]}
    assert kept["readback"]["mismatch"] is False
