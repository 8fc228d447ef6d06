"""SOURCE parsing and the intake of live byte streams."""

from __future__ import annotations

import pytest

from deconflict.errors import InvalidInput
from deconflict.feeds.sources import Intake, SourceSpec, parse_source
from deconflict.feeds.state import AircraftTable

from .conftest import EXCERPT

LINE = (
    b"MSG,3,1,1,4840D6,1,2016/03/14,23:00:01.000,2016/03/14,23:00:01.000,,38000,,,"
    b"52.25720,3.91937,,,0,0,0,0\r\n"
)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("sbs://127.0.0.1:30003", SourceSpec("sbs", host="127.0.0.1", port=30003)),
        ("beast://receiver.local:30005", SourceSpec("beast", host="receiver.local", port=30005)),
        ("AVR://10.0.0.2:30002", SourceSpec("avr", host="10.0.0.2", port=30002)),
        (
            "https://example.org/api/states/all",
            SourceSpec("states", url="https://example.org/api/states/all"),
        ),
        (str(EXCERPT), SourceSpec("history", path=str(EXCERPT))),
    ],
)
def test_parse_source(text: str, spec: SourceSpec) -> None:
    assert parse_source(text) == spec


@pytest.mark.parametrize(
    "text", ["tcp://127.0.0.1:30003", "sbs://127.0.0.1:99999", "sbs://host", "feed.txt"]
)
def test_bad_source(text: str) -> None:
    with pytest.raises(InvalidInput, match="source"):
        parse_source(text)


def test_lines_split_across_reads_are_joined() -> None:
    intake = Intake(AircraftTable())
    for k in range(0, len(LINE), 7):
        intake.live_chunk("sbs", LINE[k : k + 7], 1.0)
    assert intake.bad == 0 and intake.table.get("4840d6").lat_deg == 52.2572


def test_a_line_cut_by_a_lost_connection_is_dropped_not_glued() -> None:
    intake = Intake(AircraftTable())
    intake.live_chunk("sbs", LINE[:60], 1.0)
    intake.reset_stream()
    intake.live_chunk("sbs", LINE, 2.0)
    assert intake.bad == 0 and intake.messages == 1
    assert intake.table.get("4840d6").t_pos == 2.0


def test_endless_line_is_garbage() -> None:
    intake = Intake(AircraftTable())
    intake.live_chunk("sbs", b"x" * 5000, 1.0)
    intake.live_chunk("sbs", LINE, 1.0)
    assert intake.bad == 1 and intake.table.get("4840d6") is not None
