"""BaseStation lines merged per aircraft, converted to SI; bad lines counted and harmless."""

from __future__ import annotations

import pytest

from deconflict.feeds.sbs import SbsDecoder, sbs_line
from deconflict.feeds.state import AircraftTable

# Lines as dump1090 writes them (KLM1023 over the North Sea).
IDENT = "MSG,1,1,1,4840D6,1,2016/03/14,23:00:00.000,2016/03/14,23:00:00.000,KLM1023 ,,,,,,,,,,,0"
POSITION = (
    "MSG,3,1,1,4840D6,1,2016/03/14,23:00:01.000,2016/03/14,23:00:01.000,,38000,,,"
    "52.25720,3.91937,,,0,0,0,0"
)
VELOCITY = (
    "MSG,4,1,1,4840D6,1,2016/03/14,23:00:01.500,2016/03/14,23:00:01.500,,,450.0,182.9,,,-832,,,,,0"
)


def _decoder(max_age_s: float = 60.0) -> tuple[AircraftTable, SbsDecoder]:
    table = AircraftTable(max_age_s=max_age_s)
    return table, SbsDecoder(table)


def test_messages_merge_into_one_track_in_si_units() -> None:
    table, dec = _decoder()
    for k, line in enumerate((IDENT, POSITION, VELOCITY)):
        assert dec.feed(line, 100.0 + k)
    ac = table.get("4840d6")
    assert ac is not None and ac.callsign == "KLM1023"
    (state,) = table.ready()
    assert state.id == "4840d6"
    assert state.time_s == 101.0
    assert (state.lat_deg, state.lon_deg) == (52.2572, 3.91937)
    assert state.alt_m == pytest.approx(11582.4)  # 38,000 ft
    assert state.gs_mps == pytest.approx(231.5)  # 450 kt
    assert state.track_deg == pytest.approx(182.9)
    assert state.vs_mps == pytest.approx(-4.22656)  # -832 ft/min


def test_a_track_needs_position_altitude_and_velocity() -> None:
    table, dec = _decoder()
    dec.feed(IDENT, 1.0)
    dec.feed(POSITION.replace(",38000,", ",,"), 1.0)
    dec.feed(VELOCITY, 1.0)
    assert table.ready() == []
    alt = "MSG,5,1,1,4840D6,1,2016/03/14,23:00:02.000,2016/03/14,23:00:02.000,,38025,,,,,,,0,,0,0"
    dec.feed(alt, 2.0)
    assert [s.alt_m for s in table.ready()] == [pytest.approx(38025 * 0.3048)]


def test_stale_fields_age_out() -> None:
    table, dec = _decoder(max_age_s=10.0)
    dec.feed(POSITION, 0.0)
    dec.feed(VELOCITY, 0.0)
    assert len(table.ready()) == 1
    # Velocity refreshed 11 s later; the position is now too old to make a track.
    dec.feed(VELOCITY, 11.0)
    assert table.ready() == []
    dec.feed(POSITION, 11.5)
    assert len(table.ready()) == 1


@pytest.mark.parametrize(
    "line",
    [
        "garbage",
        "",
        "MSG,3,1,1,ZZZZZZ,1,2016/03/14,23:00:01.000,2016/03/14,23:00:01.000,,38000,,,52.2,3.9,,,0,0,0,0",
        "MSG,9,1,1,4840D6,1,2016/03/14,23:00:01.000,2016/03/14,23:00:01.000,,38000",
        "MSG,3,1,1,4840D6,1,2016/03/14,23:00:01.000,2016/03/14,23:00:01.000,,38000,,,95.0,3.9",
        "MSG,3,1,1,4840D6,1,2016/03/14,23:00:01.000,2016/03/14,23:00:01.000,,abc,,,52.2,3.9",
        "MSG,4,1,1,4840D6,1,2016/03/14,23:00:01.000,2016/03/14,23:00:01.000,,,nan,1.0,,,0",
        "MSG,3,1,1,4840D6",
        "\x00\x01\x02,\xff",
    ],
)
def test_bad_lines_are_counted_and_change_nothing(line: str) -> None:
    table, dec = _decoder()
    assert dec.feed(line, 1.0) is False
    assert dec.bad == 1 and dec.messages == 1
    assert len(table) == 0


def test_other_record_kinds_are_valid_and_carry_nothing() -> None:
    table, dec = _decoder()
    sta = "STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM"
    assert dec.feed(sta, 1.0)
    assert dec.bad == 0 and len(table) == 0


def test_older_message_does_not_overwrite_newer_state() -> None:
    table, dec = _decoder()
    dec.feed(POSITION, 10.0)
    dec.feed(POSITION.replace("52.25720", "52.00000"), 9.0)
    assert table.get("4840d6").lat_deg == 52.2572


def test_written_lines_read_back() -> None:
    line = sbs_line(4, "4ca2d6", 1_600_000_000.25, gs_kt=420.0, track_deg=90.0, vr_fpm=-64)
    assert SbsDecoder.recorded_time(line) == 1_600_000_000.25
    table, dec = _decoder()
    assert dec.feed(line, 1.0)
    ac = table.get("4ca2d6")
    assert (ac.gs_mps, ac.track_deg) == (pytest.approx(420 * 1852 / 3600), 90.0)
