"""The domain records: validation that names the property, immutability, GeoJSON round trip."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from deconflict.errors import InvalidInput
from deconflict.features import (
    collection_of,
    feature_of,
    parse_borders,
    parse_features,
    read_borders,
    read_features,
)
from deconflict.model import (
    Alert,
    Country,
    Geometry,
    Party,
    Picture,
    Position,
    Rule,
    Strike,
    Volume,
    Zone,
)

ROOT = Path(__file__).parents[2]
SQUARE = Geometry("Polygon", [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]])


def zone(**kw):
    base = dict(
        id="z",
        name="Z",
        status="claimed",
        parties=("red",),
        consents=(),
        rules=(Rule("*", "forbid"),),
        geometry=SQUARE,
    )
    base.update(kw)
    return Zone(**base)


def test_geometry_is_frozen_hashable_and_round_trips():
    g = Geometry.from_geojson({"type": "Point", "coordinates": [38.6, 33.5, 120.0]})
    assert g.coordinates == (38.6, 33.5)  # altitude dropped
    assert hash(SQUARE) == hash(Geometry("Polygon", SQUARE.to_geojson()["coordinates"]))
    assert SQUARE.to_geojson() == {
        "type": "Polygon",
        "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]],
    }
    with pytest.raises(AttributeError):
        g.type = "LineString"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "coords", "message"),
    [
        ("Point", [181.0, 0.0], r"bad coordinates: longitude 181.0 outside \[-180, 180\]"),
        ("Point", [0.0, -91], r"bad coordinates: latitude -91 outside \[-90, 90\]"),
        ("Point", [0.0, float("nan")], "bad coordinates: not a finite number: nan"),
        ("LineString", [[0, 0]], "a LineString needs at least 2 positions"),
        ("Polygon", [[[0, 0], [1, 0], [1, 1], [0, 0.5]]], "first equal to last"),
        ("Circle", [0, 0], "unsupported geometry type 'Circle'"),
    ],
)
def test_geometry_checks(kind, coords, message):
    with pytest.raises(InvalidInput, match=message):
        Geometry(kind, coords)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "maybe"}, "property 'status': must be one of claimed, agreed, got 'maybe'"),
        ({"status": "agreed", "parties": ("red", "blue"), "consents": ("red",)},
         "property 'consents': status 'agreed' needs the consent of blue"),
        ({"parties": ()}, "property 'parties': must name at least one party"),
        ({"rules": (Rule("*", "shoot"),)}, r"property 'rules\[0\].action': must be one of"),
        ({"rules": (Rule("a", "forbid"), Rule("a", "notify"))},
         r"property 'rules\[1\].party': party 'a' has two rules"),
        ({"rules": (Rule("a", "notify", -1.0),)}, r"property 'rules\[0\].lead_s': must be >= 0"),
        ({"geometry": Geometry("Point", (0, 0))}, "property 'radius_m': missing"),
        ({"radius_m": 5.0}, "property 'radius_m': only a Point has a radius"),
        ({"geometry": Geometry("LineString", ((0, 0), (0, 1)))}, "property 'side': missing"),
        ({"alt_min_m": 100.0, "alt_max_m": 50.0}, "property 'alt_max_m': must not be less"),
        ({"valid_from_s": math.nan}, "property 'valid_from': must be a number"),
    ],
)  # fmt: skip
def test_zone_checks_name_the_zone_and_property(change, message):
    with pytest.raises(InvalidInput, match=r"^zone 'z': " + message):
        zone(**change)


def test_where_names_the_source_and_is_not_compared():
    with pytest.raises(InvalidInput, match=r"^f\.geojson: feature 3: property 'status'"):
        zone(status="x", where="f.geojson: feature 3")
    assert zone(where="a") == zone(where="b")
    assert zone(parties=["red"]).parties == ("red",)  # lists become tuples


def test_other_records_check_their_fields():
    with pytest.raises(InvalidInput, match=r"position 'p': property 'geometry': longitude 200"):
        Position("p", "red", "forces", 0.0, 200.0, 10.0)
    with pytest.raises(InvalidInput, match=r"position 'p': property 'kind'"):
        Position("p", "red", "tank", 0.0, 0.0, 10.0)
    with pytest.raises(InvalidInput, match=r"strike 's': property 'end': must not be less"):
        Strike("s", "blue", 0.0, 0.0, 100.0, start_s=10.0, end_s=5.0)
    with pytest.raises(InvalidInput, match=r"strike 's': property 'start': must be finite"):
        Strike("s", "blue", 0.0, 0.0, 100.0, start_s=-math.inf, end_s=5.0)
    with pytest.raises(InvalidInput, match=r"volume 'v': property 'radius_m': missing"):
        Volume("v", "blue", Geometry("Point", (0, 0)), 0.0, 1.0)
    with pytest.raises(InvalidInput, match=r"country 'c': property 'geometry': must be a Pol"):
        Country("c", "C", Geometry("Point", (0, 0)))
    with pytest.raises(InvalidInput, match=r"party 'x': property 'language': must be one of"):
        Party("x", "fr")
    assert Party("ops", "ar").language == "ar"


def test_picture_ids_unique_per_kind():
    p = Position("x", "red", "forces", 0.0, 0.0, 10.0)
    assert Picture(zones=(zone(id="x"),), positions=(p,)).positions == (p,)
    with pytest.raises(InvalidInput, match="property 'id': duplicate id 'x'"):
        Picture(positions=(p, p))


def test_alert_record():
    a = Alert("zone-entry", ["red", "blue", "red"], ["t1", "z"], 0.0, 5.0, 1.0, -180.0)
    assert a.parties == ("blue", "red") and a.subjects == ("t1", "z")
    assert a.key == "zone-entry|t1|z"
    assert Alert("separation", ("p",), ("b", "a"), 0.0, 0.0, 0.0, 0.0).key == "separation|a|b"
    with pytest.raises(InvalidInput, match="property 't_s': must be >= 0"):
        Alert("zone-entry", ("red",), ("t",), 0.0, -1.0, 0.0, 0.0)
    with pytest.raises(InvalidInput, match="property 'kind'"):
        Alert("collision", ("red",), ("t",), 0.0, 1.0, 0.0, 0.0)
    with pytest.raises(InvalidInput, match=r"property 'lon_deg': must be in \[-180, 180\)"):
        Alert("zone-entry", ("red",), ("t",), 0.0, 1.0, 0.0, 180.0)
    with pytest.raises(InvalidInput, match="property 'parties': must name at least one"):
        Alert("zone-entry", (), ("t",), 0.0, 1.0, 0.0, 0.0)
    with pytest.raises(InvalidInput, match="property 'subjects': must be non-empty strings"):
        Alert("zone-entry", ("red",), ("t", " "), 0.0, 1.0, 0.0, 0.0)
    with pytest.raises(InvalidInput, match="property 't_s': must be finite"):
        Alert("zone-entry", ("red",), ("t",), 0.0, float("inf"), 0.0, 0.0)
    with pytest.raises(InvalidInput, match=r"property 'lat_deg': must be in \[-90, 90\]"):
        Alert("zone-entry", ("red",), ("t",), 0.0, 1.0, 91.0, 0.0)


def test_geojson_longitude_outside_range_is_rejected():
    doc = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [700, 0]},
           "properties": {"id": "p", "party": "red", "kind": "forces", "radius_m": 5}}  # fmt: skip
    with pytest.raises(
        InvalidInput,
        match=r"^in: feature 0 \(id 'p'\): property 'geometry': bad coordinates: longitude 700",
    ):
        parse_features(doc, "in")


@pytest.mark.parametrize(
    "path", ["examples/geo/zones.geojson", "examples/check/positions.geojson",
             "examples/check/intents.geojson"],
)  # fmt: skip
def test_feature_of_round_trips(path):
    fs = read_features(ROOT / path)
    records = [*fs.zones, *fs.positions, *fs.strikes, *fs.volumes]
    assert records
    again = parse_features(collection_of(records), "again")
    assert [*again.zones, *again.positions, *again.strikes, *again.volumes] == records


def test_feature_of_countries_round_trips():
    countries = read_borders(ROOT / "examples/geo/countries.geojson")
    assert parse_borders(collection_of(countries)) == countries
    props = feature_of(countries[0])["properties"]
    assert set(props) == {"id", "name"}
