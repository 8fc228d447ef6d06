"""GeoJSON parsing and validation: every error names the file, the feature and the property."""

from __future__ import annotations

import json

import pytest
from zonekit import box, collection, feature, point, polygon, zone

from deconflict.detect.areas import zone_area
from deconflict.errors import InvalidInput
from deconflict.features import parse_borders, parse_features, read_features


def test_kinds_told_apart():
    fs = parse_features(
        collection(
            zone(polygon(box(0, 0, 1, 1))),
            feature(point(0, 0), id="p", party="red", kind="forces", radius_m=100),
            feature(point(0, 0), id="h", party="red", kind="protected", radius_m=0),
            feature(
                point(0, 0), id="s", party="blue", kind="strike", radius_m=10,
                start="2020-01-01T00:00:00Z", end="2020-01-01T00:10:00Z",
            ),
            feature(
                polygon(box(0, 0, 1, 1)), id="v", party="blue", kind="volume",
                start="2020-01-01T00:00:00Z", end="2020-01-01T00:10:00Z",
            ),
        )
    )  # fmt: skip
    assert [len(fs.zones), len(fs.positions), len(fs.strikes), len(fs.volumes)] == [1, 2, 1, 1]
    assert fs.strikes[0].margin_m is None
    assert fs.zones[0].alt_min_m == float("-inf")


def test_agreed_needs_every_consent():
    ok = zone(
        polygon(box(0, 0, 1, 1)),
        status="agreed",
        parties=["red", "blue"],
        consents=[{"party": "red", "time": "2020-01-01T00:00:00Z"}, "blue"],
    )
    assert parse_features(collection(ok)).zones[0].consents == ("red", "blue")
    bad = zone(polygon(box(0, 0, 1, 1)), status="agreed", parties=["red", "blue"], consents=["red"])
    with pytest.raises(InvalidInput, match=r"feature 0 \(id 'z'\): property 'consents': .*blue"):
        parse_features(collection(bad), "zones.json")
    stray = zone(polygon(box(0, 0, 1, 1)), consents=["green"])
    with pytest.raises(InvalidInput, match="'green' is not one of 'parties'"):
        parse_features(collection(stray))


BAD = [
    (zone(polygon(box(0, 0, 1, 1)), status="maybe"), "status"),
    (zone(polygon(box(0, 0, 1, 1)), rules=[]), "rules"),
    (zone(polygon(box(0, 0, 1, 1)), rules=[{"party": "*", "action": "shoot"}]), "rules[0].action"),
    (
        zone(polygon(box(0, 0, 1, 1)), rules=[{"party": "*", "action": "notify", "lead_s": -1}]),
        "rules[0].lead_s",
    ),
    (
        zone(polygon(box(0, 0, 1, 1)), rules=[{"party": "a", "action": "forbid"}] * 2),
        "rules[1].party",
    ),
    (zone(polygon(box(0, 0, 1, 1)), alt_min_m=100, alt_max_m=50), "alt_max_m"),
    (zone(polygon(box(0, 0, 1, 1)), alt_min_m="high"), "alt_min_m"),
    (zone(polygon(box(0, 0, 1, 1)), valid_from="tomorrow"), "valid_from"),
    (zone(polygon(box(0, 0, 1, 1)), valid_from="2020-01-02", valid_to="2020-01-01"), "valid_to"),
    (zone(polygon(box(0, 0, 1, 1)), parties=[]), "parties"),
    (zone(point(0, 0)), "radius_m"),
    (zone(point(0, 0), radius_m=-5), "radius_m"),
    (zone(point(0, 95)), "geometry"),
    (zone({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}), "geometry"),
    (zone(polygon([[0, 0], [1, 1], [1, 0], [0, 1]])), "geometry"),  # a bow tie
    (zone({"type": "LineString", "coordinates": [[0, -2], [0, 2]]}), "side"),
    (zone({"type": "LineString", "coordinates": [[0, -2], [0, 2]]}, side="up"), "side"),
    (zone({"type": "LineString", "coordinates": [[0, -2], [0, 2]]}, side="west"), "within"),
    (feature(point(0, 0), id="p", party="red", kind="forces"), "radius_m"),
    (feature(point(0, 0), id="p", kind="forces", radius_m=1), "party"),
    (feature(point(0, 0), id="s", party="b", kind="strike", radius_m=1, start="2020-01-01"), "end"),
    (feature(polygon(box(0, 0, 1, 1)), id="s", party="b", kind="strike", radius_m=1), "geometry"),
    (feature(point(0, 0), id="x", party="b", kind="tank"), "kind"),
]


@pytest.mark.parametrize(("feat", "prop"), BAD, ids=[p for _, p in BAD])
def test_bad_feature_names_file_feature_and_property(feat, prop):
    doc = collection(zone(point(5, 5), "first", radius_m=10), feat)
    fid = feat["properties"].get("id")
    with pytest.raises(InvalidInput) as err:
        parse_features(doc, "in.geojson")
    msg = str(err.value)
    assert msg.startswith(f"in.geojson: feature 1 (id {fid!r}): property {prop!r}: ")


def test_not_a_zone_nor_a_position():
    with pytest.raises(InvalidInput, match=r"in\.geojson: feature 0 \(id 'q'\): neither"):
        parse_features(collection(feature(point(0, 0), id="q")), "in.geojson")


def test_duplicate_ids_and_bad_files(tmp_path):
    doc = collection(zone(point(0, 0), "a", radius_m=1), zone(point(1, 1), "a", radius_m=1))
    with pytest.raises(InvalidInput, match=r"feature 1 \(id 'a'\): property 'id': duplicate"):
        parse_features(doc, "x")
    path = tmp_path / "bad.geojson"
    path.write_text("{not json")
    with pytest.raises(InvalidInput, match=r"bad\.geojson: not JSON"):
        read_features(path)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(InvalidInput, match="not a GeoJSON FeatureCollection"):
        read_features(path)
    with pytest.raises(InvalidInput, match="cannot open"):
        read_features(tmp_path / "missing.geojson")


def test_side_of_line_must_cut_the_region():
    line = {"type": "LineString", "coordinates": [[5, -1], [5, 1]]}
    with pytest.raises(InvalidInput, match="property 'geometry': the line does not cut"):
        parse_features(collection(zone(line, side="west", within=polygon(box(-1, -1, 1, 1)))))


def test_side_of_line_multilinestring_joined_in_order():
    line = {"type": "MultiLineString", "coordinates": [[[0, 1], [0, 0]], [[0.001, 0], [0, -1]]]}
    fs = parse_features(collection(zone(line, side="east", within=polygon(box(-2, -2, 2, 2)))))
    area = zone_area(fs.zones[0])
    assert area.geom.area == pytest.approx(0.5 * (4 * 111_195) ** 2, rel=0.01)


def test_borders():
    cs = parse_borders(collection(feature(polygon(box(0, 0, 1, 1)), id="a", name="A")))
    assert cs[0].id == "a" and cs[0].name == "A"
    with pytest.raises(InvalidInput, match=r"b\.json: feature 0: property 'id': missing"):
        parse_borders(collection(feature(polygon(box(0, 0, 1, 1)))), "b.json")
