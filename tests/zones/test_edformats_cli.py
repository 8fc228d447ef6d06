"""ED-269 and ED-318 zones on the command line: ``check`` reads them, a scenario declares
them, ``deconflict zones export`` writes them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from deconflict.cli import main
from deconflict.features import parse_features, read_features
from deconflict.zoneformats.schemas import validate

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parents[2] / "examples" / "zones"
ED269 = DATA / "ed269-paris.json"
ED318 = DATA / "ed318-geneva.json"
HEADER = "id,party,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n"


def run(capsys, *argv):
    status = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_check_reads_ed269_zones(capsys, tmp_path):
    tracks = tmp_path / "tracks.csv"
    tracks.write_text(
        HEADER
        + "d1,red,49.0097,2.50,100,20,90,0\n"  # inside the CDG circle (2,000 ft AMSL)
        + "d2,red,48.97,2.44,700,20,0,0\n"  # over Le Bourget, above its 600 m
        + "d3,red,48.97,2.44,300,20,0,0\n"  # over Le Bourget, inside
    )
    args = ["check", "--zones", ED269, "--tracks", tracks, "--party", "blue"]
    status, out, err = run(capsys, *args, "--at", "2025-06-21T10:00:00Z")
    assert status == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["subjects"], r["rule"], r["parties"], r["status"]) for r in rows] == [
        (["d1", "LFPG1"], "forbid", ["blue", "red"], "claimed"),
        (["d3", "LFPB2"], "notify", ["blue", "red"], "claimed"),
    ]
    assert rows[1]["lead_s"] == 600.0
    # after the air show only the permanent zone remains
    status, out, err = run(capsys, *args, "--at", "2025-07-01T10:00:00Z")
    assert [json.loads(line)["subjects"] for line in out.splitlines()] == [["d1", "LFPG1"]]


def test_check_refuses_agl_naming_the_zone_with_nothing_printed(capsys, tmp_path):
    doc = json.loads(ED269.read_text(encoding="utf-8"))
    doc["features"][2]["geometry"][0]["upperVerticalReference"] = "AGL"
    path = tmp_path / "agl.json"
    path.write_text(json.dumps(doc))
    status, out, err = run(capsys, "check", "--zones", path)
    assert (status, out) == (2, "")
    assert "zone 2 (identifier 'BVIN3')" in err and "AGL" in err and "agl.json" in err


def test_a_scenario_declares_ed318_zones_as_its_party(capsys, tmp_path):
    shutil.copy(ED318, tmp_path / "zones.json")
    scenario = tmp_path / "geneva.yaml"
    scenario.write_text(
        """name: Geneva
description: a drone flies into the airport's prohibited circle
start: "2025-05-01T10:00:00Z"
duration_s: 300
step_s: 4
parties:
  - {name: blue, language: en}
  - {name: red, language: en}
events:
  - at_s: 0
    declare:
      party: blue
      zones:
        - include: zones.json
          ids: [LSGG1]
  - at_s: 10
    fly:
      party: red
      id: DRONE1
      route:
        - {lat: 46.30, lon: 6.1089, alt_m: 150, speed_mps: 30}
        - {lat: 46.20, lon: 6.1089, alt_m: 150, speed_mps: 30}
"""
    )
    status, out, err = run(capsys, "replay", scenario, "--json")
    assert status == 0, err
    alerts = json.loads(out)["alerts"]
    entry = [a for a in alerts if a["kind"] == "zone-entry"]
    # blue's claim: red is warned, blue learns nothing of red's drone (docs/security.md)
    assert [(a["subjects"], a["parties"]) for a in entry] == [(["DRONE1", "LSGG1"], ["red"])]
    # an ED document at the top level names no party: refused, saying what to do
    text = scenario.read_text().replace("events:", "zones:\n  - include: zones.json\nevents:", 1)
    scenario.write_text(text)
    status, out, err = run(capsys, "replay", scenario, "--json")
    assert (status, out) == (2, "")
    assert "geneva.yaml:" in err and "ED-318 document" in err and "properties.owner" in err


def test_export_writes_a_valid_document_that_reads_back(capsys, tmp_path):
    for fmt, source in (("ed318", ED269), ("ed269", ED318)):
        status, out, err = run(capsys, "zones", "export", "--format", fmt, source)
        assert status == 0, err
        doc = json.loads(out)
        validate(doc, fmt, "out")
        before = read_features(source, party="local").zones
        assert parse_features(doc, party="local").zones == before
        assert "3 zone(s) written" in err
    # the country each zone came from is kept
    assert [f["properties"]["country"] for f in json.loads(
        run(capsys, "zones", "export", ED318)[1]
    )["features"]] == ["CHE"] * 3  # fmt: skip


def test_export_of_a_scenario_and_to_a_file(capsys, tmp_path):
    scenario = ROOT / "src" / "deconflict" / "scenario" / "scenarios" / "al-tanf-2017.yaml"
    out_file = tmp_path / "out.json"
    status, out, err = run(capsys, "zones", "export", scenario, "--output", out_file)
    # the scenario's zone has rules for named parties and a 12-character id
    assert (status, out) == (2, "") and not out_file.exists()
    assert "al-tanf-55km" in err
    status, out, err = run(capsys, "zones", "export", ED269, "-o", out_file, "--country", "SYR")
    assert (status, out) == (0, "")
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    assert [f["properties"]["identifier"] for f in doc["features"]] == ["LFPG1", "LFPB2", "BVIN3"]


def test_export_bad_input(capsys, tmp_path):
    status, out, err = run(capsys, "zones", "export")
    assert (status, out) == (2, "") and "nothing to export" in err
    status, out, err = run(capsys, "zones", "export", ED269, "--country", "France")
    assert (status, out) == (2, "") and "--country" in err
    status, out, err = run(capsys, "zones", "export", ROOT / "examples" / "geo" / "zones.geojson")
    assert (status, out) == (2, "") and "cannot be an ED-318 identifier" in err
