"""Zones written as ED-318 or ED-269 validate against the schema and read back as the
same zones (a property test), and what the formats cannot hold is refused by name."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from uas_standards.eurocae_ed269 import ED269Schema
from uas_standards.eurocae_ed318 import ED318Schema

from deconflict.errors import InvalidInput
from deconflict.features import parse_features
from deconflict.model import Geometry, Rule, Zone
from deconflict.zoneformats import document_of
from deconflict.zoneformats.schemas import validate

IDS = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
    min_size=1,
    max_size=7,
)
NAMES = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s)
RULES = st.sampled_from(
    [Rule("*", "forbid", 0.0), Rule("*", "notify", 600.0), Rule("*", "advisory", 0.0)]
)
TIMES = st.integers(946_684_800, 3_786_912_000).map(float)  # 2000 to 2090, whole seconds


def _box(lon: float, lat: float, d: float) -> list[list[list[float]]]:
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


@st.composite
def shapes(draw: st.DrawFn) -> tuple[Geometry, float | None]:
    lon = draw(st.integers(-1790, 1780)) / 10
    lat = draw(st.integers(-800, 790)) / 10
    kind = draw(st.sampled_from(["circle", "polygon", "multipolygon"]))
    if kind == "circle":
        radius = draw(st.floats(10.0, 100_000.0, allow_nan=False).map(lambda r: round(r, 3)))
        return Geometry("Point", (lon, lat)), radius
    d = draw(st.integers(1, 50)) / 100
    if kind == "polygon":
        return Geometry("Polygon", _box(lon, lat, d)), None
    return Geometry("MultiPolygon", [_box(lon, lat, d), _box(lon + 2 * d, lat, d)]), None


@st.composite
def zones(draw: st.DrawFn, whole_metres: bool) -> Zone:
    geometry, radius = draw(shapes())
    level = st.integers(-999, 99_999).map(float)
    if not whole_metres:
        level = level | st.floats(-999.0, 99_999.0, allow_nan=False)
    lo, hi = sorted((draw(level), draw(level)))
    lo = draw(st.sampled_from([lo, -math.inf]))
    hi = draw(st.sampled_from([hi, math.inf]))
    t0, t1 = sorted((draw(TIMES), draw(TIMES)))
    t0 = draw(st.sampled_from([t0, -math.inf]))
    t1 = draw(st.sampled_from([t1, math.inf]))
    party = draw(st.sampled_from(["blue", "red-cell", "ngo"]))
    zid = draw(IDS)
    return Zone(
        id=zid,
        name=draw(st.sampled_from([zid, draw(NAMES)])),
        status="claimed",
        parties=(party,),
        consents=(),
        rules=(draw(RULES),),
        geometry=geometry,
        radius_m=radius,
        alt_min_m=lo + 0.0,
        alt_max_m=hi + 0.0,
        valid_from_s=t0,
        valid_to_s=t1,
    )


def _read_back(doc: dict, party: str) -> tuple[Zone, ...]:
    return parse_features(doc, "written", party=party).zones


@settings(max_examples=150, deadline=None)
@given(zones(whole_metres=False))
def test_ed318_round_trip(zone: Zone) -> None:
    doc = document_of([zone], "ed318", ["FRA"])
    validate(doc, "ed318", "written")
    assert _read_back(doc, zone.parties[0]) == (zone,)
    if zone.geometry.type == "Point":  # the uas-standards model holds Point geometries only
        ED318Schema.from_dict(doc)


@settings(max_examples=150, deadline=None)
@given(zones(whole_metres=True))
def test_ed269_round_trip(zone: Zone) -> None:
    doc = document_of([zone], "ed269", ["FRA"])
    validate(doc, "ed269", "written")
    assert _read_back(doc, zone.parties[0]) == (zone,)
    ED269Schema.from_dict(doc)


def _zone(**over) -> Zone:
    base = {
        "id": "Z1",
        "name": "Z1",
        "status": "claimed",
        "parties": ("blue",),
        "consents": (),
        "rules": (Rule("*", "forbid", 0.0),),
        "geometry": Geometry("Point", (2.0, 48.0)),
        "radius_m": 1000.0,
    }
    return Zone(**{**base, **over})


@pytest.mark.parametrize(
    ("zone", "fmt", "what"),
    [
        (_zone(id="west-of-euphrates"), "ed318", "cannot be an ED-318 identifier"),
        (_zone(id="a b"), "ed269", "cannot be an ED-269 identifier"),
        (
            _zone(rules=(Rule("*", "forbid", 0.0), Rule("red", "advisory", 0.0))),
            "ed318",
            "rules for 'red' cannot be written",
        ),
        (_zone(rules=(Rule("*", "notify", 1800.0),)), "ed318", "a notice of 1800 s"),
        (_zone(alt_max_m=100.25), "ed269", "whole metres or whole feet"),
        (
            _zone(
                geometry=Geometry("LineString", [(38.0, 36.0), (38.0, 35.0)]),
                radius_m=None,
                side="west",
                within=Geometry("Polygon", _box(37.0, 34.5, 2.0)),
            ),
            "ed318",
            "a side-of-a-line zone cannot be written",
        ),
    ],
)
def test_what_a_format_cannot_hold_is_refused_by_name(zone: Zone, fmt: str, what: str) -> None:
    with pytest.raises(InvalidInput) as err:
        document_of([zone], fmt, ["FRA"])
    assert f"(identifier {zone.id!r})" in str(err.value) and what in str(err.value)


def test_whole_feet_are_written_in_feet() -> None:
    zone = _zone(alt_min_m=0.0, alt_max_m=609.6, radius_m=16404 * 0.3048)
    doc = document_of([zone], "ed269", ["FRA"])
    volume = doc["features"][0]["geometry"][0]
    assert (volume["uomDimensions"], volume["upperLimit"]) == ("FT", 2000)
    assert _read_back(doc, "blue") == (zone,)
