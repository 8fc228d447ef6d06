"""Tracks: validated on construction, immutable, never aliasing the caller's arrays."""

from __future__ import annotations

import numpy as np
import pytest

from deconflict.detect.separation import detect
from deconflict.errors import InvalidInput
from deconflict.model import Tracks


def two_converging() -> dict[str, np.ndarray]:
    return {
        "id": np.array(["a", "b"]),
        "party": np.array(["p", "q"]),
        "lat_deg": np.array([0.0, 0.0]),
        "lon_deg": np.array([0.0, 0.5]),
        "alt_m": np.array([9000.0, 9000.0]),
        "gs_mps": np.array([200.0, 200.0]),
        "track_deg": np.array([90.0, 270.0]),
        "vs_mps": np.array([0.0, 0.0]),
    }


def test_caller_arrays_written_afterwards_change_nothing():
    cols = two_converging()
    tracks = Tracks(**cols)
    assert len(detect(tracks)) == 1
    cols["lat_deg"][0] = np.nan
    cols["alt_m"][1] = 1e6
    cols["id"][1] = "a"
    assert np.isfinite(tracks.lat_deg).all() and tracks.alt_m[1] == 9000.0
    assert tracks.id.tolist() == ["a", "b"]
    assert len(detect(tracks)) == 1


@pytest.mark.parametrize(
    "name", ["id", "party", "lat_deg", "lon_deg", "alt_m", "gs_mps", "track_deg", "vs_mps"]
)
def test_every_column_is_read_only(name):
    tracks = Tracks(**two_converging())
    column = getattr(tracks, name)
    assert not column.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        column[0] = column[1]


def test_take_is_read_only_too():
    sub = Tracks(**two_converging()).take([1])
    assert sub.id.tolist() == ["b"] and not sub.lat_deg.flags.writeable


@pytest.mark.parametrize("lon", [700.0, -180.5, 180.000001])
def test_longitude_outside_range_is_rejected_like_latitude(lon):
    cols = two_converging()
    cols["lon_deg"] = np.array([0.0, lon])
    with pytest.raises(
        InvalidInput, match=r"row 1, column 'lon_deg': longitude outside \[-180, 180\]"
    ):
        Tracks(**cols)
    cols = two_converging()
    cols["lat_deg"] = np.array([0.0, 123.0])
    with pytest.raises(
        InvalidInput, match=r"row 1, column 'lat_deg': latitude outside \[-90, 90\]"
    ):
        Tracks(**cols)


def test_longitude_bounds_are_accepted():
    cols = two_converging()
    cols["lon_deg"] = np.array([-180.0, 180.0])
    assert Tracks(**cols).lon_deg.tolist() == [-180.0, 180.0]


def test_csv_longitude_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "id,party,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n"
        "a,p,0,0,1000,100,90,0\n"
        "b,p,0,700,1000,100,90,0\n"
    )
    with pytest.raises(InvalidInput, match=r"s\.csv: line 3, column 'lon': longitude outside"):
        Tracks.from_csv(path)


def test_history_longitude_error_names_line_and_column(tmp_path):
    from deconflict.trackio import read_history

    path = tmp_path / "h.csv"
    path.write_text(
        "time,id,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n"
        "2020-01-01T00:00:00Z,a,0,-181,1000,100,90,0\n"
    )
    with pytest.raises(InvalidInput, match=r"h\.csv: line 2, column 'lon': longitude outside"):
        read_history(path)
