"""``deconflict detect`` from the command line: output contract and bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from deconflict.cli import main

HEADER = "id,party,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n"
GOOD = HEADER + "b,red,0,0.5,9000,200,270,0\na,blue,0,0,9000,200,90,0\nc,red,10,10,9000,200,0,0\n"
EXAMPLE = Path(__file__).parents[2] / "examples" / "traffic.csv"


def write(tmp_path, text, name="states.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def run(capsys, *argv):
    status = main(["detect", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_jsonl_output(tmp_path, capsys):
    status, out, err = run(capsys, write(tmp_path, GOOD))
    assert status == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1
    assert list(rows[0]) == ["a", "b", "t_in", "t_out", "tcpa", "dcpa_m"]
    assert (rows[0]["a"], rows[0]["b"]) == ("a", "b")
    assert rows[0]["t_in"] == pytest.approx(115.845, abs=0.01)


def test_csv_output_and_options(tmp_path, capsys):
    status, out, _ = run(capsys, write(tmp_path, GOOD), "--format", "csv", "--lookahead", "100")
    assert status == 0
    assert list(csv.reader(io.StringIO(out))) == [["a", "b", "t_in", "t_out", "tcpa", "dcpa_m"]]
    status, out, _ = run(capsys, write(tmp_path, GOOD), "--h-sep", "60000", "--lookahead", "1")
    assert status == 0 and len(out.splitlines()) == 1


def test_between_parties(tmp_path, capsys):
    text = HEADER + "a,blue,0,0,9000,0,0,0\nb,blue,0,0.01,9000,0,0,0\nc,red,0,0.02,9000,0,0,0\n"
    _, out, _ = run(capsys, write(tmp_path, text), "--between-parties")
    assert [(r["a"], r["b"]) for r in map(json.loads, out.splitlines())] == [("a", "c"), ("b", "c")]


def test_summary_goes_to_stderr(tmp_path, capsys):
    _, out, err = run(capsys, write(tmp_path, GOOD), "--summary")
    assert len(out.splitlines()) == 1
    assert err.startswith("1 conflict(s), 1 between parties, among 3 track(s) of 2 parties")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", "empty file"),
        ("id,party,lat,lon,alt_m,gs_mps,track_deg\n", "line 1: missing column(s) vs_mps"),
        (HEADER + "a,p,0,zero,0,0,0,0\n", "line 2, column 'lon': not a number"),
        (HEADER + "a,p,0,0,0,0,0,0\nb,p,0,0,nan,0,0,0\n", "line 3, column 'alt_m'"),
        (HEADER + "a,p,0,0,0,inf,0,0\n", "line 2, column 'gs_mps'"),
        (HEADER + "a,p,91,0,0,0,0,0\n", "line 2, column 'lat': latitude outside"),
        (HEADER + "a,p,0,0,0,-1,0,0\n", "line 2, column 'gs_mps': negative ground speed"),
        (HEADER + "a,p,0,0,0,0,0,0\na,p,1,1,0,0,0,0\n", "line 3, column 'id': duplicate id 'a'"),
        (HEADER + "a,p,0,0,0,0,0\n", "line 2, column 'vs_mps': missing value"),
        (HEADER + ",p,0,0,0,0,0,0\n", "line 2, column 'id': empty id"),
    ],
)
def test_bad_input_exits_2_naming_line_and_column(tmp_path, capsys, text, where):
    path = write(tmp_path, text)
    status, out, err = run(capsys, path)
    assert status == 2
    assert out == ""
    assert where in err
    assert str(path) in err


def test_bad_options_exit_2(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    for argv in (["--lookahead", "-5"], ["--backend", "abacus"], ["--at", "yesterday"]):
        status, out, err = run(capsys, path, *argv)
        assert (status, out) == (2, ""), argv
        assert err


def test_missing_file_exits_2(tmp_path, capsys):
    status, out, err = run(capsys, tmp_path / "nope.csv")
    assert (status, out) == (2, "")
    assert "nope.csv" in err


def test_history_mode_reports_skipped_rows(tmp_path, capsys):
    text = (
        "time,icao24,callsign,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n"
        "2020-01-01T00:00:00Z,aaa,A,0,0,9000,200,90,0\n"
        "2020-01-01T00:00:00Z,bbb,B,0,0.5,9000,200,270,0\n"
        "2020-01-01T00:00:05Z,bbb,B,0,0.49,,200,270,0\n"
    )
    status, out, err = run(capsys, write(tmp_path, text), "--at", "2020-01-01T00:00:10Z")
    assert status == 0
    assert "skipped 1 row(s)" in err
    row = json.loads(out)
    assert (row["a"], row["b"]) == ("aaa", "bbb")
    assert row["tcpa"] == pytest.approx(139.0 - 10.0, abs=0.1)


def test_the_installed_command_on_the_example(tmp_path):
    exe = Path(sys.executable).with_name("deconflict")
    result = subprocess.run(
        [str(exe), "detect", str(EXAMPLE), "--summary"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) >= 1
    assert "conflict(s)" in result.stderr
    bad = write(tmp_path, HEADER + "a,p,0,0,0,0,0\n")
    result = subprocess.run(
        [str(exe), "detect", str(bad)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert "line 2" in result.stderr


DRIFTING = (
    HEADER
    + "A,p,0,0,9000,250,0,0\n"
    # 9,200 m east of A (destination(0, 0, 90, 9200)), drifting away at 9.4 m/s.
    + "B,q,0,0.08273747346265736,9000,250.18,2.155,0\n"
)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_pair_is_printed_once(tmp_path, capsys, backend, fmt):
    status, out, _ = run(capsys, write(tmp_path, DRIFTING), "--backend", backend, "--format", fmt)
    assert status == 0
    lines = out.splitlines()
    if fmt == "csv":
        lines = lines[1:]
    assert len(lines) == 1, out
    assert lines[0].startswith('{"a": "A", "b": "B"' if fmt == "jsonl" else "A,B,")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_no_negative_zero_is_printed(tmp_path, capsys, backend, fmt):
    # Same place, one stationary: the closest approach is now, and -b / a is -0.0.
    text = HEADER + "a,p,0,0,9000,0,0,0\nb,q,0,0,9000,100,0,0\nc,p,0,0,9000,0,0,0\n"
    status, out, _ = run(capsys, write(tmp_path, text), "--backend", backend, "--format", fmt)
    assert status == 0
    assert len(out.splitlines()) == (3 if fmt == "jsonl" else 4)
    assert "-0" not in out, out
