"""Recorded files replayed into the stand-in service: every format, timing and errors."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from deconflict.errors import InvalidInput
from deconflict.feeds.encode import history_frames, history_sbs
from deconflict.feeds.framing import MLAT_HZ, beast_frame
from deconflict.feeds.run import FeedOptions
from deconflict.trackio import History

from .conftest import EXCERPT
from .standins import StandInService, feed_until
from .test_live import MODES_TOL, SBS_TOL, matches

FLAT_OUT = FeedOptions(batch_interval_s=0.2, speed=0, original_time=True, drain_s=5.0)
Rows = dict[str, tuple[float, list[float]]]


def replay(path: Path | str, options: FeedOptions = FLAT_OUT) -> tuple[StandInService, float]:
    with StandInService() as service:
        started = time.monotonic()
        stats = feed_until(str(path), service, options, lambda: False, timeout_s=120.0)
        assert stats.source == "done" and stats.unsent == 0
    return service, time.monotonic() - started


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def assert_recorded_times(service: StandInService, last_rows: Rows) -> None:
    for icao, track in service.latest().items():
        assert epoch(track["time"]) == pytest.approx(last_rows[icao][0], abs=1e-3)


def test_track_history_csv(last_rows: Rows) -> None:
    service, _ = replay(EXCERPT)
    assert matches(service.latest(), last_rows, (1e-6, 1e-6, 0.05, 0.005, 0.005, 0.005))
    assert_recorded_times(service, last_rows)


def test_sbs_recording_gz(tmp_path: Path, history: History, last_rows: Rows) -> None:
    path = tmp_path / "rx.sbs.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("this is not SBS\n")
        for _, line in history_sbs(history):
            fh.write(line + "\r\n")
    service, _ = replay(path)
    assert matches(service.latest(), last_rows, SBS_TOL)
    assert_recorded_times(service, last_rows)


def test_avr_recording_with_times(tmp_path: Path, history: History, last_rows: Rows) -> None:
    path = tmp_path / "rx.avr"
    path.write_text("".join(f"{t:.3f} *{f};\n" for t, f in history_frames(history)))
    service, _ = replay(path)
    assert matches(service.latest(), last_rows, MODES_TOL)
    assert_recorded_times(service, last_rows)


def test_beast_recording_keeps_relative_timing(
    tmp_path: Path, history: History, last_rows: Rows
) -> None:
    frames = list(history_frames(history))
    t0 = frames[0][0]
    path = tmp_path / "rx.beast"
    path.write_bytes(
        b"".join(
            beast_frame(0x33, bytes.fromhex(f), ticks=round((t - t0) * MLAT_HZ)) for t, f in frames
        )
    )
    before = time.time()
    service, _ = replay(path)  # MLAT times are relative: reported as replayed, now
    assert matches(service.latest(), last_rows, MODES_TOL)
    for track in service.latest().values():
        assert before - 1.0 <= epoch(track["time"]) <= time.time() + 1.0


def test_state_vector_documents(tmp_path: Path, last_rows: Rows) -> None:
    t = 1_533_131_700
    docs = [
        {
            "time": t,
            "states": [
                [
                    i,
                    "",
                    "",
                    t - 5,
                    t - 1,
                    r[1],
                    r[0],
                    r[2],
                    False,
                    r[3],
                    r[4],
                    r[5],
                    None,
                    None,
                    None,
                    False,
                    0,
                ]
                for i, (_, r) in last_rows.items()
            ],
        },
        {"time": t + 5, "states": None},
    ]
    path = tmp_path / "opensky.json"
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\nnot json\n")
    service, _ = replay(path)
    assert matches(service.latest(), last_rows, (1e-6, 1e-6, 0.05, 0.005, 0.005, 0.005))
    for track in service.latest().values():
        assert epoch(track["time"]) == t - 5


def test_paced_replay_keeps_the_recorded_timing(tmp_path: Path, history: History) -> None:
    # The first 20 s of the recording, at 10x: about 2 s, reported as replayed (now).
    keep = history.time_s <= history.time_s.min() + 20.0
    path = tmp_path / "short.csv"
    with path.open("w") as fh:
        fh.write("time,icao24,lat,lon,alt_m,gs_mps,track_deg,vs_mps\n")
        for k in np.flatnonzero(keep):
            stamp = datetime.fromtimestamp(float(history.time_s[k]), UTC).isoformat()
            values = ",".join(str(float(v)) for v in history.values[k])
            fh.write(f"{stamp},{history.id[k]},{values}\n")
    before = time.time()
    service, elapsed = replay(path, FeedOptions(batch_interval_s=0.2, speed=10.0))
    assert 1.9 <= elapsed < 15.0
    times = [epoch(t["time"]) for t in service.latest().values()]
    assert times and min(times) >= before - 0.5 and max(times) <= before + elapsed + 0.5
    assert max(times) - min(times) <= 2.1  # 20 s of recording reported over 2 s


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("traffic.txt", b"x", "not a receiver URL"),
        ("broken.sbs.gz", b"not gzip at all", "cannot read"),
        ("empty.csv", b"", "empty file"),
    ],
)
def test_unreadable_files_are_invalid_input(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with StandInService() as service, pytest.raises(InvalidInput, match=message):
        feed_until(str(path), service, FLAT_OUT, lambda: False, timeout_s=10.0)


@pytest.mark.parametrize(
    "source", ["sbs://127.0.0.1", "ftp://host:1", "sbs://:30003", "/no/such/file.sbs"]
)
def test_bad_sources_are_invalid_input(source: str) -> None:
    with StandInService() as service, pytest.raises(InvalidInput, match="source"):
        feed_until(source, service, FLAT_OUT, lambda: False, timeout_s=10.0)
