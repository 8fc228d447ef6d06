"""EUROCAE ED-269 and ED-318 zones read as the project's zones: the mapping, the schemas,
what cannot be held (refused naming the zone and the field), hostile documents."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from uas_standards.eurocae_ed269 import ED269Schema
from uas_standards.eurocae_ed318 import ED318Schema

from deconflict.errors import InvalidInput
from deconflict.features import parse_features, read_features
from deconflict.model import Rule
from deconflict.timefmt import parse_time
from deconflict.zoneformats import as_geojson, format_of

DATA = Path(__file__).parents[2] / "examples" / "zones"
ED269 = DATA / "ed269-paris.json"
ED318 = DATA / "ed318-geneva.json"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def refused(doc, *fragments):
    with pytest.raises(InvalidInput) as err:
        parse_features(doc, "doc.json", party="blue")
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)
    return str(err.value)


# -- the examples ----------------------------------------------------------------------


def test_the_examples_are_valid_for_the_uas_standards_models():
    ED269Schema.from_dict(load(ED269))
    # its ED-318 model resolves a geometry to its first type, Point: the circle zone
    ed318 = load(ED318)
    ED318Schema.from_dict({**ed318, "features": ed318["features"][:1]})


def test_ed269_example_zones():
    zones = {z.id: z for z in read_features(ED269, party="blue").zones}
    # NO_RESTRICTION restricts nobody: no zone
    assert list(zones) == ["LFPG1", "LFPB2", "BVIN3"]
    cdg = zones["LFPG1"]
    assert cdg.name == "Paris-Charles de Gaulle CTR core"
    assert (cdg.status, cdg.parties, cdg.consents) == ("claimed", ("blue",), ())
    assert cdg.rules == (Rule("*", "forbid", 0.0),)
    assert cdg.geometry.type == "Point" and cdg.geometry.coordinates == (2.5479, 49.0097)
    assert cdg.radius_m == pytest.approx(16404 * 0.3048)  # the radius in the volume's FT
    assert (cdg.alt_min_m, cdg.alt_max_m) == (0.0, pytest.approx(609.6))
    assert (cdg.valid_from_s, cdg.valid_to_s) == (-math.inf, math.inf)  # permanent
    bourget = zones["LFPB2"]
    assert bourget.rules == (Rule("*", "notify", 600.0),)
    assert bourget.geometry.type == "Polygon"
    assert bourget.geometry.coordinates[0][1] == (2.48, 48.95)  # [lon, lat]
    assert bourget.valid_from_s == parse_time("2025-06-20T08:00:00Z")
    assert bourget.valid_to_s == parse_time("2025-06-22T18:00:00Z")
    vincennes = zones["BVIN3"]
    assert vincennes.rules == (Rule("*", "advisory", 0.0),)
    assert (vincennes.alt_min_m, vincennes.alt_max_m) == (-math.inf, 150.0)  # null: open


def test_ed318_example_zones():
    zones = {z.id: z for z in read_features(ED318, party="blue").zones}
    assert list(zones) == ["LSGG1", "GVA-UN", "NAT-5"]
    gva = zones["LSGG1"]
    assert gva.name == "Genève Aéroport" and gva.rules == (Rule("*", "forbid", 0.0),)
    assert (gva.geometry.type, gva.radius_m) == ("Point", 5000.0)  # the extent is metres
    assert gva.alt_max_m == pytest.approx(3000 * 0.3048)  # the layer's ft
    # the data set's validFrom bounds every zone
    assert gva.valid_from_s == parse_time("2025-01-01T00:00:00Z") and gva.valid_to_s == math.inf
    un = zones["GVA-UN"]
    assert un.name == "Palais des Nations" and un.rules == (Rule("*", "notify", 600.0),)
    assert un.geometry.type == "MultiPolygon" and (un.alt_min_m, un.alt_max_m) == (300.0, 500.0)
    assert un.valid_from_s == parse_time("2025-03-01T06:00:00Z")
    nat = zones["NAT-5"]
    # a GeometryCollection of polygons with one layer: a MultiPolygon
    assert nat.name == "NAT-5" and nat.geometry.type == "MultiPolygon"
    assert len(nat.geometry.coordinates) == 2 and nat.rules == (Rule("*", "advisory", 0.0),)


def test_converted_zones_say_where_they_came_from():
    geo = as_geojson(load(ED318), "x", "blue")
    props = geo["features"][0]["properties"]
    assert props["country"] == "CHE" and props["imported_from"] == "ED-318"
    assert props["parties"] == ["blue"] and props["status"] == "claimed"


def test_the_format_is_told_by_structure_not_by_name(tmp_path):
    odd = tmp_path / "zones.geojson"
    odd.write_text(ED269.read_text(encoding="utf-8"), encoding="utf-8")
    assert [z.id for z in read_features(odd).zones] == ["LFPG1", "LFPB2", "BVIN3"]
    assert read_features(odd).zones[0].parties == ("local",)  # no party named: "local"
    assert format_of(load(ED269)) == "ed269" and format_of(load(ED318)) == "ed318"
    plain = {"type": "FeatureCollection", "features": []}
    assert format_of(plain) == "geojson" and as_geojson(plain, "x", "blue") is plain
    one = load(ED318)["features"][0]  # a single ED-318 Feature
    assert [z.id for z in parse_features(one, party="blue").zones] == ["LSGG1"]


# -- mapping details -------------------------------------------------------------------


def ed269_zone(**over):
    z = copy.deepcopy(load(ED269)["features"][1])
    z.update(over)
    return {"features": [z]}


def ed318_feature(geometry=None, **props):
    f = copy.deepcopy(load(ED318)["features"][1])
    if geometry is not None:
        f["geometry"] = geometry
    f["properties"].update(props)
    return {"type": "FeatureCollection", "features": [f]}


@pytest.mark.parametrize("spelling", ["REQ_AUTHORISATION", "REQ_AUTHORIZATION"])
def test_both_spellings_of_an_authorisation_zone_notify(spelling):
    for doc in (ed269_zone(restriction=spelling), ed318_feature(type=spelling)):
        (zone,) = parse_features(doc, party="blue").zones
        assert zone.rules == (Rule("*", "notify", 600.0),)


def test_agl_is_refused_naming_the_zone():
    doc = ed269_zone()
    doc["features"][0]["geometry"][0]["upperVerticalReference"] = "AGL"
    refused(doc, "zone 0 (identifier 'LFPB2')", "geometry[0].upperLimit", "AGL", "terrain")
    doc = ed318_feature()
    doc["features"][0]["geometry"]["layer"]["lowerReference"] = "AGL"
    refused(doc, "(identifier 'GVA-UN')", "geometry.layer.lower", "AGL")


def test_ellipsoidal_heights_are_refused_naming_the_zone():
    doc = ed318_feature()
    doc["features"][0]["geometry"]["layer"]["upperReference"] = "WGS84"
    refused(doc, "(identifier 'GVA-UN')", "geometry.layer.upper", "WGS84", "geoid")


def test_limits_at_the_edges_of_the_bound_are_open_and_beyond_are_refused():
    doc = ed318_feature()
    layer = doc["features"][0]["geometry"]["layer"]
    layer.update(lower=-1000, upper=100000)
    (zone,) = parse_features(doc, party="blue").zones
    assert (zone.alt_min_m, zone.alt_max_m) == (-math.inf, math.inf)
    layer.update(upper=100001)
    refused(doc, "geometry.layer.upper", "100001 m is outside")
    layer.update(upper=10**400)  # an integer no float holds
    refused(doc, "geometry.layer.upper", "too large")


def test_a_daily_schedule_is_refused_naming_the_field():
    schedule = [{"day": ["MON"], "startTime": "08:00:00.00Z", "endTime": "18:00:00.00Z"}]
    doc = ed269_zone(applicability=[{"permanent": "NO", "schedule": schedule}])
    refused(doc, "(identifier 'LFPB2')", "applicability[0].schedule", "daily schedule")
    doc = ed318_feature(limitedApplicability=[{"schedule": [{"day": ["ANY"]}]}])
    refused(doc, "properties.limitedApplicability[0].schedule")


def test_several_time_periods_are_refused():
    period = {"permanent": "NO", "startDateTime": "2025-06-20T08:00:00Z"}
    refused(ed269_zone(applicability=[period, period]), "applicability", "2 time periods")


def test_a_bad_time_is_refused_naming_the_field():
    period = {"permanent": "NO", "startDateTime": "next tuesday"}
    refused(ed269_zone(applicability=[period]), "applicability[0].startDateTime", "ISO 8601")
    period = {"permanent": "NO", "startDateTime": "2200-01-01T00:00:00Z"}
    refused(ed269_zone(applicability=[period]), "applicability[0].startDateTime", "outside")
    refused(ed269_zone(applicability=[{"permanent": "NO"}]), "applicability[0]", "not permanent")


def test_volumes_with_different_bands_are_refused():
    z = ed269_zone()
    upper = copy.deepcopy(z["features"][0]["geometry"][0])
    ring = [[2.50, 48.95], [2.52, 48.95], [2.52, 48.97], [2.50, 48.95]]
    upper["horizontalProjection"]["coordinates"] = [ring]
    upper.update(lowerLimit=600, upperLimit=900)
    z["features"][0]["geometry"].append(upper)
    refused(z, "(identifier 'LFPB2')", "geometry[1]", "different vertical limits")
    # the same band: one MultiPolygon
    upper.update(lowerLimit=0, upperLimit=600)
    (zone,) = parse_features(z, party="blue").zones
    assert zone.geometry.type == "MultiPolygon" and len(zone.geometry.coordinates) == 2


def test_ed318_layers_with_different_limits_are_refused_naming_the_layer():
    """An ED-318 GeometryCollection whose members have different layers (a wedding cake)
    is refused whole, naming the member; the same layer on each member is one zone."""

    def member(lon: float, lower: float, upper: float) -> dict:
        ring = [[lon, 46.2], [lon + 0.01, 46.2], [lon + 0.01, 46.21], [lon, 46.2]]
        layer = {"upper": upper, "upperReference": "AMSL", "lower": lower}
        return {
            "type": "Polygon",
            "coordinates": [ring],
            "layer": {**layer, "lowerReference": "AMSL", "uom": "m"},
        }

    cake = {
        "type": "GeometryCollection",
        "geometries": [member(6.1, 0, 300), member(6.1, 300, 600)],
    }
    msg = refused(
        ed318_feature(geometry=cake), "geometry.geometries[1]", "different vertical limits"
    )
    assert "publish each volume as its own zone" in msg
    one = {"type": "GeometryCollection", "geometries": [member(6.1, 0, 300), member(6.2, 0, 300)]}
    (zone,) = parse_features(ed318_feature(geometry=one), party="blue").zones
    assert zone.geometry.type == "MultiPolygon" and (zone.alt_min_m, zone.alt_max_m) == (0.0, 300.0)


def test_a_circle_among_several_volumes_is_refused():
    z = ed269_zone()
    circle = copy.deepcopy(z["features"][0]["geometry"][0])
    circle["horizontalProjection"] = {"type": "Circle", "center": [2.51, 48.96], "radius": 500}
    z["features"][0]["geometry"].append(circle)
    refused(z, "(identifier 'LFPB2')", "geometry[1]", "a circle among several volumes")


def test_ed318_shapes_without_area_and_uspace_zones_are_refused():
    line = {
        "type": "LineString",
        "coordinates": [[6.1, 46.2], [6.2, 46.3]],
        "layer": {"upper": 100, "upperReference": "AMSL", "lower": 0, "lowerReference": "AMSL"},
    }
    refused(ed318_feature(geometry=line), "geometry.type", "LineString has no area")
    refused(ed318_feature(type="USPACE"), "properties.type", "USPACE")


def test_the_project_bounds_apply_after_conversion():
    doc = ed269_zone()
    doc["features"][0]["geometry"][0]["horizontalProjection"]["coordinates"][0][1] = [2.48, 95.0]
    refused(doc, "feature 0 (id 'LFPB2')", "lat")


# -- the schemas -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "path", "what"),
    [
        (lambda z: z.pop("identifier"), "features[0]", "'identifier' is a required property"),
        (lambda z: z.update(identifier="TOOLONG8"), "features[0].identifier", "8 characters"),
        (lambda z: z.update(country="FR"), "features[0].country", "2 characters"),
        (lambda z: z.update(restriction="MAYBE"), "features[0].restriction", "'MAYBE'"),
        (
            lambda z: z["geometry"][0].update(uomDimensions="KM"),
            "features[0].geometry[0].uomDimensions",
            "must be one of 'M', 'FT'",
        ),
        (
            lambda z: z["geometry"][0].update(lowerLimit="0"),
            "features[0].geometry[0].lowerLimit",
            "must be of type integer or null, got '0'",
        ),
        (
            lambda z: z["geometry"][0]["horizontalProjection"].update(type="Circle"),
            "features[0].geometry[0].horizontalProjection",
            "",
        ),
        (lambda z: z.update(colour="red"), "features[0]", "unknown member 'colour'"),
        (lambda z: z.update(geometry=[]), "features[0].geometry", "0 items"),
    ],
)
def test_ed269_schema_errors_name_the_path(change, path, what):
    doc = ed269_zone()
    change(doc["features"][0])
    message = refused(doc, "not a valid ED-269 document", f"{path}", what)
    assert "doc.json" in message


@pytest.mark.parametrize(
    ("change", "path", "what"),
    [
        (lambda f: f["properties"].pop("variant"), "features[0].properties", "'variant'"),
        (
            lambda f: f["properties"].update(identifier="no spaces"),
            "features[0].properties.identifier",
            "does not match",
        ),
        (
            lambda f: f["geometry"]["layer"].update(uom="km"),
            "features[0].geometry.layer.uom",
            "'m', 'ft'",
        ),
        (lambda f: f["geometry"].pop("layer"), "features[0].geometry", "'layer'"),
        (
            lambda f: f["properties"]["zoneAuthority"][0].update(purpose="ADVICE"),
            "features[0].properties.zoneAuthority[0].purpose",
            "'ADVICE'",
        ),
        (
            lambda f: f["geometry"].update(extent={"subType": "Circle", "radius": 10}),
            "features[0].geometry",
            "",
        ),
    ],
)
def test_ed318_schema_errors_name_the_path(change, path, what):
    doc = ed318_feature()
    change(doc["features"][0])
    refused(doc, "not a valid ED-318 document", path, what)


# -- hostile documents -----------------------------------------------------------------


def test_wrong_types_anywhere_are_refused_with_the_path():
    refused({"features": "all of them"}, "not a valid ED-269 document", "features")
    refused({"features": [{"identifier": 7}]}, "features[0]")
    doc = ed318_feature()
    doc["features"][0]["geometry"]["coordinates"] = "here"
    refused(doc, "features[0].geometry")


def test_a_huge_text_is_refused_without_echoing_it():
    message = refused(ed269_zone(name="x" * 1_000_000), "features[0].name", "1000000 characters")
    assert len(message) < 500


def test_deep_nesting_is_refused():
    deep: object = {}
    for _ in range(50_000):
        deep = {"a": deep}
    doc = ed318_feature()
    doc["features"][0]["geometry"]["coordinates"] = deep
    refused(doc, "ED-318")


def test_many_errors_are_not_all_listed():
    doc = {"features": [{"identifier": i} for i in range(20_000)]}
    message = refused(doc, "not a valid ED-269 document", "features[")
    assert len(message) < 500
