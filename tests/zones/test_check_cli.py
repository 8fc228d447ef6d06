"""``deconflict check`` from the command line: the example scenario, output contract, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from zonekit import box, collection, feature, point, polygon, zone

from deconflict.cli import main

ROOT = Path(__file__).parents[2]
GEO = ROOT / "examples" / "geo"
SCENARIO = ROOT / "examples" / "check"
EXAMPLE_ARGS = [
    "--zones", GEO / "zones.geojson",
    "--tracks", SCENARIO / "tracks.csv",
    "--positions", SCENARIO / "positions.geojson",
    "--intents", SCENARIO / "intents.geojson",
    "--borders", GEO / "countries.geojson",
    "--at", "2017-06-20T08:00:00Z",
]  # fmt: skip
HEADER = "id,party,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n"


def run(capsys, *argv):
    status = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_example_scenario(capsys):
    status, out, err = run(capsys, *EXAMPLE_ARGS)
    assert status == 0
    assert err == (
        "12 alert(s): 5 zone-entry, 1 intent-overlap, 2 strike-proximity, 1 border-crossing, "
        "3 non-conforming; 6 zone(s), 6 track(s), 4 position(s), 1 strike(s), 2 volume(s), "
        "6 country(ies) at 2017-06-20T08:00:00Z, lookahead 300 s\n"
    )
    rows = [json.loads(line) for line in out.splitlines()]
    for r in rows:
        assert list(r)[:6] == ["kind", "parties", "subjects", "t", "lat", "lon"]
        assert r["parties"] == sorted(r["parties"])
        assert r["t"] >= 0
    keys = [(r["t"], r["kind"], r["subjects"]) for r in rows]
    assert keys == sorted(keys)
    kinds = {r["kind"] for r in rows}
    assert kinds == {
        "zone-entry", "strike-proximity", "intent-overlap", "border-crossing", "non-conforming"
    }  # fmt: skip
    by = {(r["kind"], tuple(r["subjects"])): r for r in rows}
    tanf = by[("zone-entry", ("SYR41", "al-tanf-55km"))]
    assert tanf["rule"] == "forbid" and tanf["parties"] == ["coalition", "russia", "syria"]
    # 72.3 km north of the garrison at 200 m/s: (72.3 - 55) km / 200 m/s = 86.4 s
    assert tanf["t"] == pytest.approx(86.4, abs=0.2)
    tharda = by[("strike-proximity", ("strike-tharda", "syr-tharda"))]
    assert tharda["parties"] == ["coalition", "syria"] and tharda["gap_m"] == 0
    assert tharda["t"] == 1800.0
    assert not any("coal-liaison" in r["subjects"] for r in rows)  # own forces: never checked
    cross = by[("border-crossing", ("VIPER11",))]
    assert (cross["from"], cross["to"]) == ("irq", "syr")
    west = by[("zone-entry", ("COAL31", "west-of-euphrates"))]
    assert west["t"] == 0 and west["lead_time_met"] is False and west["status"] == "claimed"


def test_deterministic(capsys):
    first = run(capsys, *EXAMPLE_ARGS)
    assert run(capsys, *EXAMPLE_ARGS) == first


def test_no_input_is_a_usage_error(capsys):
    status, out, err = run(capsys, "--at", "2020-01-01T00:00:00Z")
    assert (status, out) == (2, "")
    assert err == (
        "deconflict check: nothing to check: give at least one of "
        "--zones, --tracks, --positions, --intents, --borders\n"
    )


def test_empty_result_is_visibly_empty(capsys):
    """Plans all over before the present: no alert, and the summary says why."""
    args = ["--positions", SCENARIO / "positions.geojson", "--intents"]
    status, out, err = run(capsys, *args, SCENARIO / "intents.geojson")  # at the clock
    assert (status, out) == (0, "")
    assert err.startswith("0 alert(s); 0 zone(s), 0 track(s), 4 position(s), 1 strike(s)")
    assert " (now), lookahead 300 s; 3 of 3 plan(s) ended before then\n" in err
    status, out, err = run(capsys, *args, SCENARIO / "intents.geojson", "--at", "2017-06-20")
    assert status == 0 and len(out.splitlines()) == 3
    assert err.startswith("3 alert(s): 1 intent-overlap, 2 strike-proximity; ")
    assert "at 2017-06-20T00:00:00Z, lookahead 300 s\n" in err


def test_files_may_mix_kinds(tmp_path, capsys):
    doc = collection(
        zone(polygon(box(-0.1, -0.1, 0.1, 0.1)), "box"),
        feature(point(0.3, 0), id="pos", party="red", kind="forces", radius_m=100),
        feature(
            point(0.3, 0.001), id="hit", party="blue", kind="strike", radius_m=100,
            start="2020-01-01T00:05:00Z", end="2020-01-01T00:06:00Z",
        ),
    )  # fmt: skip
    f = write(tmp_path, "all.geojson", doc)
    tr = write(tmp_path, "t.csv", HEADER + "a,blue,0,-0.3,1000,200,90,0\n")
    status, out, err = run(capsys, "--zones", f, "--tracks", tr, "--at", "2020-01-01T00:00:00Z")
    rows = [json.loads(x) for x in out.splitlines()]
    assert status == 0 and err.startswith("2 alert(s): 1 zone-entry, 1 strike-proximity; ")
    assert [(r["kind"], r["subjects"]) for r in rows] == [
        ("zone-entry", ["a", "box"]),
        ("strike-proximity", ["hit", "pos"]),
    ]
    assert rows[0]["t"] == pytest.approx(111.2, abs=0.1)
    assert rows[1]["t"] == 300.0 and rows[1]["distance_m"] == 111


@pytest.mark.parametrize(
    ("option", "content", "expected"),
    [
        ("--zones", collection(zone(point(0, 0), "z1", radius_m=5), zone(point(0, 0), "z2")),
         "feature 1 (id 'z2'): property 'radius_m': missing"),
        ("--positions", collection(feature(point(0, 0), id="p", party="r", kind="forces",
                                           radius_m="far")),
         "feature 0 (id 'p'): property 'radius_m': must be a number"),
        ("--intents", collection(feature(point(0, 0), id="s", party="r", kind="strike",
                                         radius_m=5, start="x", end="y")),
         "feature 0 (id 's'): property 'start': not an ISO 8601 time"),
        ("--borders", collection(feature(point(0, 0), id="c")),
         "feature 0 (id 'c'): property 'geometry': must be a Polygon or MultiPolygon"),
        ("--tracks", HEADER + "a,blue,95,0,1000,200,90,0\n", "line 2"),
    ],
)  # fmt: skip
def test_bad_input_exit_2_nothing_on_stdout(tmp_path, capsys, option, content, expected):
    good = write(tmp_path, "good.geojson", collection(zone(point(0, 0), "ok", radius_m=5)))
    tracks = write(tmp_path, "t.csv", HEADER + "a,blue,0,0,1000,200,90,0\n")
    bad = write(tmp_path, "bad.csv" if option == "--tracks" else "bad.geojson", content)
    args = ["--zones", good, "--tracks", tracks, option, bad]
    status, out, err = run(capsys, *args)
    assert status == 2
    assert out == ""
    assert str(bad) in err and expected in err


def test_bad_options(tmp_path, capsys):
    zones = GEO / "zones.geojson"
    status, out, err = run(capsys, "--zones", zones, "--at", "yesterday")
    assert (status, out) == (2, "") and "ISO 8601" in err
    status, out, err = run(capsys, "--zones", zones, "--lookahead", "-1")
    assert (status, out) == (2, "") and "--lookahead" in err


def test_duplicate_ids_across_files(tmp_path, capsys):
    a = write(tmp_path, "a.geojson", collection(zone(point(0, 0), "same", radius_m=5)))
    b = write(tmp_path, "b.geojson", collection(zone(point(1, 1), "same", radius_m=5)))
    status, out, err = run(capsys, "--zones", a, "--zones", b)
    assert (status, out) == (2, "")
    assert "b.geojson: feature 0 (id 'same'): property 'id': duplicate" in err
