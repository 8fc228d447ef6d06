"""The bounds of the declaration format: every number within a documented physical range,
every text and list within a size, as invalid input naming the property (never an
``OverflowError``), the same from GeoJSON and from the records built in Python."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from zonekit import box, collection, feature, point, polygon, zone

from deconflict.bounds import (
    DECLARATION_BOUNDS,
    MAX_ID_CHARS,
    MAX_LIST,
    MAX_NAME_CHARS,
    MAX_OTHER_PROPERTIES,
    MAX_PARTS,
    MAX_TEXT_CHARS,
    TIME_WINDOW,
)
from deconflict.detect.areas import declared_area_m2
from deconflict.errors import InvalidInput
from deconflict.features import count_vertices, parse_features, read_features
from deconflict.model import Geometry, Position, Rule, Strike, Volume, Zone
from deconflict.scenario.loader import load_scenario
from deconflict.scenario.replay import build_config
from deconflict.service.config import ServiceConfig
from deconflict.service.picture import LivePicture
from deconflict.timefmt import parse_time

T0, T1 = "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z"
ROOT = Path(__file__).resolve().parents[2]
HUGE = 10**400
"""An integer no float holds (JSON reads it exactly)."""


def _templates() -> dict[str, dict[str, Any]]:
    """A valid feature of each kind, with every numeric property present."""
    return {
        "position": feature(
            point(40.0, 35.0), id="p", party="red", kind="forces", radius_m=500,
            valid_from=T0, valid_to=T1,
        ),
        "strike": feature(
            point(40.0, 35.0), id="s", party="red", kind="strike", radius_m=500,
            margin_m=1000, start=T0, end=T1,
        ),
        "volume": feature(
            polygon(box(40.0, 35.0, 40.5, 35.5)), id="v", party="red", kind="volume",
            alt_min_m=1000, alt_max_m=5000, start=T0, end=T1,
        ),
        "circle-volume": feature(
            point(40.0, 35.0), id="cv", party="red", kind="volume", radius_m=5000,
            alt_min_m=0, alt_max_m=5000, start=T0, end=T1,
        ),
        "zone": zone(
            polygon(box(40.0, 35.0, 40.5, 35.5)), parties=["red"],
            rules=[{"party": "*", "action": "notify", "lead_s": 600}],
            alt_min_m=0, alt_max_m=20000, valid_from=T0, valid_to=T1,
        ),
        "circle-zone": zone(
            point(40.0, 35.0), "cz", radius_m=5000, parties=["red"],
            rules=[{"party": "*", "action": "forbid", "lead_s": 0}],
        ),
    }  # fmt: skip


def _numeric_paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a number in a feature (coordinates included)."""
    if isinstance(doc, bool):
        return []
    if isinstance(doc, int | float):
        return [path]
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _numeric_paths(v, (*path, k))]
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in _numeric_paths(v, (*path, i))]
    return []


def _with(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def _field(path: tuple[Any, ...]) -> str:
    """The property an error about ``path`` names: the top-level one, or the rule's."""
    if path[0] == "geometry":
        return "geometry"
    if path[1] == "rules":
        return f"rules[{path[2]}].{path[3]}"
    return str(path[1])


CASES = [
    (kind, path) for kind, template in _templates().items() for path in _numeric_paths(template)
]

EXTREME: list[Any] = [
    HUGE, -HUGE, 2**64, 1e308, -1e308, 5e-324, -5e-324, 0.0, -0.0, 1e-300, -1,
    math.nan, math.inf, -math.inf, "12", "", True, False, None, [1], {"v": 1},
]  # fmt: skip
"""Numbers a hostile or careless party may write, and non-numbers."""


def test_every_numeric_property_is_covered() -> None:
    fields = {(kind, _field(p)) for kind, p in CASES}
    for kind in ("position", "strike"):
        assert {(kind, "radius_m"), (kind, "geometry")} <= fields
    assert ("strike", "margin_m") in fields
    assert {("volume", "alt_min_m"), ("volume", "alt_max_m"), ("circle-volume", "radius_m")} <= (
        fields
    )
    assert {("zone", "rules[0].lead_s"), ("zone", "alt_max_m"), ("circle-zone", "radius_m")} <= (
        fields
    )


@pytest.mark.parametrize(("kind", "path"), CASES, ids=[f"{k}:{p}" for k, p in CASES])
def test_huge_integers_are_invalid_input_naming_the_field(kind: str, path: tuple[Any, ...]) -> None:
    doc = _with(_templates()[kind], path, HUGE)
    with pytest.raises(InvalidInput) as err:
        parse_features(doc, "in.geojson")
    message = str(err.value)
    assert f"property {_field(path)!r}" in message, message
    assert len(message) < 400, "the message does not echo the 400 digits"


@pytest.mark.parametrize(("kind", "path"), CASES, ids=[f"{k}:{p}" for k, p in CASES])
def test_extreme_values_are_refused_or_within_bounds(kind: str, path: tuple[Any, ...]) -> None:
    for value in EXTREME:
        doc = _with(_templates()[kind], path, value)
        try:
            fs = parse_features(doc, "in.geojson")
        except InvalidInput as exc:
            assert _field(path) in str(exc), (value, str(exc))
            continue
        # accepted: every number of the records is finite or an open bound, in range
        record = (fs.zones or fs.positions or fs.strikes or fs.volumes)[0]
        for name in ("radius_m", "margin_m"):
            x = getattr(record, name, None)
            if x is not None:
                assert x in DECLARATION_BOUNDS[name], (value, name, x)
        for name in ("alt_min_m", "alt_max_m"):
            x = getattr(record, name, None)
            if x is not None and math.isfinite(x):
                assert x in DECLARATION_BOUNDS["alt_m"], (value, name, x)


@pytest.mark.parametrize(
    ("kind", "prop", "value"),
    [
        ("position", "radius_m", 2_500_001),
        ("position", "radius_m", -0.001),
        ("strike", "radius_m", 1e7),
        ("strike", "margin_m", 3e6),
        ("volume", "alt_max_m", 100_001),
        ("volume", "alt_min_m", -1_001),
        ("circle-volume", "radius_m", 0),
        ("zone", "alt_max_m", 1e9),
        ("circle-zone", "radius_m", 2_500_001),
    ],
)
def test_numbers_outside_their_physical_range(kind: str, prop: str, value: float) -> None:
    doc = _with(_templates()[kind], ("properties", prop), value)
    with pytest.raises(InvalidInput, match=rf"property '{prop}': "):
        parse_features(doc)


def test_lead_time_is_at_most_a_week() -> None:
    z = _templates()["zone"]
    ok = _with(z, ("properties", "rules", 0, "lead_s"), 604_800)
    assert parse_features(ok).zones[0].rules[0].lead_s == 604_800.0
    bad = _with(z, ("properties", "rules", 0, "lead_s"), 604_801)
    with pytest.raises(InvalidInput, match=r"'rules\[0\]\.lead_s': .*604800"):
        parse_features(bad)


@pytest.mark.parametrize(
    "text",
    [
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:01Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "2020-01-01T00:00:00" + "0" * 100,
    ],
)
@pytest.mark.parametrize(
    ("kind", "prop"),
    [("position", "valid_from"), ("strike", "end"), ("volume", "start"), ("zone", "valid_to")],
)
def test_times_outside_the_window(kind: str, prop: str, text: str) -> None:
    doc = _with(_templates()[kind], ("properties", prop), text)
    with pytest.raises(InvalidInput, match=rf"property '{prop}': ") as err:
        parse_features(doc)
    assert len(str(err.value)) < 400


def test_consent_times_are_bounded_too() -> None:
    z = _with(
        _templates()["zone"], ("properties", "consents"), [{"party": "red", "time": "1900-01-01"}]
    )
    with pytest.raises(InvalidInput, match="property 'consents': "):
        parse_features(z)


# -- texts and lists -----------------------------------------------------------------


def _prop(kind: str, prop: str, value: Any) -> dict[str, Any]:
    return _with(_templates()[kind], ("properties", prop), value)


@pytest.mark.parametrize(
    ("doc", "prop"),
    [
        (_prop("position", "id", "x" * (MAX_ID_CHARS + 1)), "id"),
        (_prop("strike", "party", "r" * (MAX_ID_CHARS + 1)), "party"),
        (_prop("position", "name", "n" * (MAX_NAME_CHARS + 1)), "name"),
        (_prop("zone", "name", "n" * 1_000_000), "name"),
        (_prop("zone", "name", ["not", "text"]), "name"),
        (_prop("zone", "parties", ["p" * (MAX_ID_CHARS + 1)]), "parties"),
        (_prop("zone", "parties", [f"p{k}" for k in range(MAX_LIST + 1)]), "parties"),
        (
            _prop("zone", "rules", [{"party": f"p{k}", "action": "forbid"} for k in range(101)]),
            "rules",
        ),
        (_prop("zone", "rules", [{"party": "q" * 65, "action": "forbid"}]), "rules[0].party"),
        (_prop("zone", "rules", [{"party": "*", "action": "forbid", "x": "y"}]), "rules[0]"),
        (_prop("zone", "consents", [{"party": "red", "note": "n" * 5000}]), "consents"),
        (_prop("volume", "note", "n" * (MAX_TEXT_CHARS + 1)), "note"),
        (_prop("volume", "note", ["n"] * 1000), "note"),
        (_prop("zone", "status", "s" * 1_000_000), "status"),
        (_prop("position", "kind", "k" * 1_000_000), "kind"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_texts_and_lists_have_a_size(doc: dict[str, Any], prop: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(f"property {prop!r}")) as err:
        parse_features(doc, "in.geojson")
    assert len(str(err.value)) < 600, "the message does not echo the text"


def test_other_properties_are_counted() -> None:
    props = {f"k{i}": i for i in range(MAX_OTHER_PROPERTIES)}
    ok = copy.deepcopy(_templates()["volume"])
    ok["properties"].update(props)
    assert parse_features(ok).volumes
    ok["properties"]["one-more"] = 1
    with pytest.raises(InvalidInput, match=f"at most {MAX_OTHER_PROPERTIES}"):
        parse_features(ok)
    long_key = copy.deepcopy(_templates()["volume"])
    long_key["properties"]["k" * 1000] = 1
    with pytest.raises(InvalidInput, match="property name of 1000 characters"):
        parse_features(long_key)


def test_members_outside_the_properties_are_bounded() -> None:
    base = _templates()["position"]
    for where, doc in [
        ("foreign member", {**base, "junk": "x" * 1_000_000}),
        ("geometry", {**base, "geometry": {**base["geometry"], "junk": "x" * 1_000_000}}),
        ("bbox", {**base, "bbox": list(range(100_000))}),
        ("id", {**base, "id": "i" * 1_000_000}),
        ("geometry", _with(base, ("geometry", "coordinates"), [40.0, 35.0, "x" * 10_000])),
        ("geometry", _with(base, ("geometry", "coordinates"), [40.0, 35.0, HUGE])),
    ]:
        with pytest.raises(InvalidInput) as err:
            parse_features(doc)
        assert len(str(err.value)) < 600, where
    # an altitude in a position, and a bbox, are fine when they are what RFC 7946 says
    boxed = {**base, "bbox": [40.0, 35.0, 40.0, 35.0]}
    fine = _with(boxed, ("geometry", "coordinates"), [40, 35, 5])
    assert parse_features(fine).positions


def _ring(n: int, lon: float = 40.0, lat: float = 35.0, r: float = 0.05) -> list[list[float]]:
    """A closed ring of ``n`` vertices (``n + 1`` positions) on a small circle."""
    pts = [
        [lon + r * math.cos(2 * math.pi * k / n), lat + r * math.sin(2 * math.pi * k / n)]
        for k in range(n)
    ]
    return [*pts, pts[0]]


def test_rings_and_polygons_per_geometry_are_bounded() -> None:
    ring = _ring(3)
    many_rings = {"type": "Polygon", "coordinates": [ring] * (MAX_PARTS + 1)}
    with pytest.raises(InvalidInput, match=f"at most {MAX_PARTS}"):
        Geometry.from_geojson(many_rings)
    many_polys = {"type": "MultiPolygon", "coordinates": [[ring]] * (MAX_PARTS + 1)}
    with pytest.raises(InvalidInput, match=f"at most {MAX_PARTS}"):
        Geometry.from_geojson(many_polys)


# -- the records built in Python get the same ------------------------------------------


def test_records_refuse_huge_integers_and_out_of_range_numbers() -> None:
    g = Geometry("Point", (40.0, 35.0))
    square = Geometry("Polygon", [[*box(40, 35, 40.1, 35.1), [40, 35]]])
    bad: list[tuple[str, Any]] = [
        ("radius_m", lambda: Position("p", "red", "forces", 35.0, 40.0, HUGE)),
        ("geometry", lambda: Position("p", "red", "forces", HUGE, 40.0, 5.0)),
        ("radius_m", lambda: Strike("s", "red", 35.0, 40.0, 3e6, 0.0, 10.0)),
        ("margin_m", lambda: Strike("s", "red", 35.0, 40.0, 5.0, 0.0, 10.0, margin_m=HUGE)),
        ("end", lambda: Strike("s", "red", 35.0, 40.0, 5.0, 0.0, HUGE)),
        ("start", lambda: Strike("s", "red", 35.0, 40.0, 5.0, -1.0, 10.0)),
        ("alt_max_m", lambda: Volume("v", "red", square, 0.0, 1.0, alt_max_m=HUGE)),
        ("radius_m", lambda: Volume("v", "red", g, 0.0, 1.0, radius_m=HUGE)),
        (
            "rules[0].lead_s",
            lambda: Zone("z", "z", "claimed", ("red",), (), (Rule("*", "notify", HUGE),), g, 5.0),
        ),
        (
            "name",
            lambda: Zone("z", "n" * 201, "claimed", ("red",), (), (Rule("*", "forbid"),), g, 5.0),
        ),
        ("valid_to", lambda: Position("p", "red", "forces", 35.0, 40.0, 5.0, valid_to_s=1e12)),
    ]
    for prop, build in bad:
        with pytest.raises(InvalidInput, match=re.escape(f"property {prop!r}")):
            build()


# -- vertices and area (the service's bounds; here only what they measure) --------------


def test_vertices_are_counted_as_drawn() -> None:
    assert count_vertices(point(0, 0)) == 1
    assert count_vertices(polygon(_ring(1000)[:-1])) == 1000  # a ring's closing repeat aside
    two = {"type": "MultiPolygon", "coordinates": [[_ring(10), _ring(4)], [_ring(6)]]}
    assert count_vertices(two) == 20
    assert count_vertices({"type": "LineString", "coordinates": [[0, 0], [1, 1], [2, 2]]}) == 3
    assert count_vertices({"type": "Polygon", "coordinates": "junk"}) == 0  # the parser says


def test_area_on_the_ellipsoid() -> None:
    def area_km2(doc: dict[str, Any]) -> float:
        return declared_area_m2(parse_features(doc).zones[0]) / 1e6

    # one degree square at the equator: 110.574 km x 111.320 km on WGS84
    assert area_km2(zone(polygon(box(0, 0, 1, 1)))) == pytest.approx(12_308.8, rel=1e-4)
    # a hole is taken out, whichever way its ring is drawn
    with_hole = {
        "type": "Polygon",
        "coordinates": [
            [*map(list, box(0, 0, 1, 1)), [0, 0]],
            [*map(list, box(0.25, 0.25, 0.75, 0.75)), [0.25, 0.25]],
        ],
    }
    assert area_km2(zone(with_hole)) == pytest.approx(0.75 * 12_308.8, rel=2e-3)
    # across the antimeridian it is the same square
    across = polygon([[179.5, 0], [-179.5, 0], [-179.5, 1], [179.5, 1]])
    assert area_km2(zone(across)) == pytest.approx(12_308.8, rel=1e-4)
    # a circle: its cap; al-Tanf's 55 km is under 10,000 km2
    assert area_km2(zone(point(38.62, 33.5), radius_m=55_000)) == pytest.approx(
        math.pi * 55**2, rel=1e-3
    )
    # a side-of-a-line zone counts the whole region it is cut from
    line = {"type": "LineString", "coordinates": [[0.5, -1], [0.5, 2]]}
    side = zone(line, side="west", within=polygon(box(0, 0, 1, 1)))
    assert area_km2(side) == pytest.approx(12_308.8, rel=1e-4)


def test_a_local_file_may_hold_large_zones(tmp_path: Any) -> None:
    """The vertex and area bounds are the service's: ``check`` reads what a user has."""
    big = zone(polygon(_ring(20_000, r=3.0)[:-1]), "big")
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps(collection(big)))
    fs = read_features(path)
    assert count_vertices(big["geometry"]) == 20_000
    assert declared_area_m2(fs.zones[0]) > 1e11


def test_the_time_window_is_the_one_documented() -> None:
    lo, hi = (parse_time(t) for t in TIME_WINDOW.split(" to "))
    assert (lo, hi) == (DECLARATION_BOUNDS["time_s"].lo, DECLARATION_BOUNDS["time_s"].hi)


def test_a_scenario_plays_the_zones_it_declares() -> None:
    """The shipped Tabqa scenario declares "west of the Euphrates", cut from a region far
    larger than the service's default bound: its replay raises the bound to hold it, and
    the service with the defaults refuses it."""
    scenario = load_scenario(ROOT / "examples" / "scenarios" / "tabqa-2017-06-18.yaml")
    declares = [a for a in scenario.actions if a.kind == "declare"]
    config = build_config(scenario)
    assert config.max_zone_area_m2 > ServiceConfig().max_zone_area_m2
    for action in declares:
        LivePicture(config).parse_declarations(
            action.data["doc"], action.party, expect=action.data["endpoint"], now=0.0
        )
    zones = [a for a in declares if a.data["endpoint"] == "zones"]
    with pytest.raises(InvalidInput, match=r"properties\.within: an area of [\d,]+ km²"):
        for action in zones:
            LivePicture(ServiceConfig()).parse_declarations(
                action.data["doc"], action.party, expect="zones", now=0.0
            )
