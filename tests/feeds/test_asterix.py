"""The ASTERIX decoder: CAT021 and CAT062 records encoded here with libasterix itself, read
back in SI units with the documented ids and times; hostile blocks counted, never raised."""

from __future__ import annotations

import math

import asterix.generated as gen
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.feeds.asterix import (
    MAX_AHEAD_S,
    AsterixDecoder,
    BlockStream,
    date_time_of_day,
    split_blocks,
)
from deconflict.feeds.state import AircraftTable

Cat021 = gen.Cat_021_2_7
Cat062 = gen.Cat_062_1_21
DAY = 86_400.0
NOON = 20_000 * DAY + 43_200.0  # a received time, epoch s, at 12:00 UTC


def block021(**items: object) -> bytes:
    base: dict[str, object] = {
        "010": (("SAC", 25), ("SIC", 10)),
        "080": 0x4CA2D6,
        "131": (("LAT", (47.45, "°")), ("LON", (8.56, "°"))),
        "071": (43_190.5, "s"),
    }
    base.update({k.removeprefix("i"): v for k, v in items.items()})
    base = {k: v for k, v in base.items() if v is not None}
    return bytes(Cat021.create([Cat021.cv_record.create(base)]).unparse().to_bytes())  # type: ignore[arg-type]


def block062(**items: object) -> bytes:
    base: dict[str, object] = {
        "010": (("SAC", 25), ("SIC", 100)),
        "040": 4711,
        "070": (43_195.0, "s"),
        "105": (("LAT", (45.4, "°")), ("LON", (15.1, "°"))),
    }
    base.update({k.removeprefix("i"): v for k, v in items.items()})
    base = {k: v for k, v in base.items() if v is not None}
    return bytes(Cat062.create([Cat062.cv_record.create(base)]).unparse().to_bytes())  # type: ignore[arg-type]


def decode(*blocks: bytes, received: float = NOON) -> tuple[AsterixDecoder, AircraftTable]:
    table = AircraftTable()
    dec = AsterixDecoder(table)
    dec.datagram(b"".join(blocks), received)
    return dec, table


def test_cat021_items_in_si_units() -> None:
    data = block021(
        i145=(350.0, "FL"),
        i140=(36_000.0, "ft"),
        i160=(("RE", 0), ("GS", (0.125, "NM/s")), ("TA", (90.0, "°"))),
        i155=(("RE", 0), ("BVR", (-1000.0, "ft/min"))),
        i161=(0, ("TRNUM", 77)),
        i170="SWR123  ",
    )
    dec = AsterixDecoder(AircraftTable())
    (rep,) = dec.block_reports(data)
    assert (rep.id, rep.category, rep.sac, rep.sic, rep.track_number) == ("4ca2d6", 21, 25, 10, 77)
    assert rep.tod_s == 43_190.5
    assert rep.lat_deg == pytest.approx(47.45, abs=2e-7) and rep.lon_deg == pytest.approx(
        8.56, abs=2e-7
    )
    assert rep.baro_m == pytest.approx(350 * 100 * 0.3048)
    assert rep.gnss_m == pytest.approx(36_000 * 0.3048)
    assert rep.gs_mps == pytest.approx(0.125 * 1852.0)
    assert rep.track_deg == pytest.approx(90.0)
    assert rep.vs_mps == pytest.approx(-1000 * 0.3048 / 60)
    assert rep.callsign == "SWR123"


def test_cat021_merged_into_a_track_at_the_time_of_applicability() -> None:
    dec, table = decode(
        block021(
            i145=(350.0, "FL"),
            i160=(("RE", 0), ("GS", (0.125, "NM/s")), ("TA", (270.0, "°"))),
        )
    )
    assert (dec.messages, dec.bad, dec.ignored, dec.reports) == (1, 0, 0, 1)
    (s,) = table.ready()
    assert s.id == "4ca2d6" and s.time_s == NOON - 9.5
    assert s.track_deg == pytest.approx(270.0) and s.vs_mps == 0.0


def test_cat021_fallbacks_and_out_of_range_values() -> None:
    """I021/130 when there is no I021/131; I021/073 when there is no I021/071; I021/157
    when there is no I021/155; a velocity flagged out of range (RE) is not used."""
    dec = AsterixDecoder(AircraftTable())
    (rep,) = dec.block_reports(
        block021(
            i131=None,
            i130=(("LAT", (-33.5, "°")), ("LON", (151.25, "°"))),
            i071=None,
            i073=(100.0, "s"),
            i157=(("RE", 0), ("GVR", (625.0, "ft/min"))),
            i160=(("RE", 1), ("GS", (0.5, "NM/s")), ("TA", (10.0, "°"))),
        )
    )
    assert rep.lat_deg == pytest.approx(-33.5, abs=3e-5) and rep.lon_deg == pytest.approx(
        151.25, abs=3e-5
    )
    assert rep.tod_s == 100.0
    assert rep.vs_mps == pytest.approx(625 * 0.3048 / 60)
    assert math.isnan(rep.gs_mps) and math.isnan(rep.track_deg)


@pytest.mark.parametrize(
    "items",
    [
        {"i080": None},  # no address: no id
        {"i131": None},  # no position
        {"i040": ((("ATP", 1), ("ARC", 1), ("RC", 0), ("RAB", 0), None),
                  (("DCR", 0), ("GBS", 0), ("SIM", 1), ("TST", 0), ("SAA", 0), ("CL", 0), None))},
        {"i040": ((("ATP", 1), ("ARC", 1), ("RC", 0), ("RAB", 0), None),
                  (("DCR", 0), ("GBS", 0), ("SIM", 0), ("TST", 1), ("SAA", 0), ("CL", 0), None))},
    ],
    ids=["no-address", "no-position", "simulated", "test-target"],
)  # fmt: skip
def test_cat021_reports_carrying_no_real_aircraft_are_ignored(items: dict[str, object]) -> None:
    dec, table = decode(block021(**items))
    assert (dec.messages, dec.bad, dec.ignored, len(table)) == (1, 0, 1, 0)


def test_cat062_id_is_the_address_else_sac_sic_track_number() -> None:
    common = {
        "i185": (("VX", (100.0, "m/s")), ("VY", (-100.0, "m/s"))),
        "i136": (310.0, "FL"),
        "i220": (-500.0, "ft/min"),
    }
    dec = AsterixDecoder(AircraftTable())
    (plain,) = dec.block_reports(block062(**common))
    (addressed,) = dec.block_reports(block062(**common, i380={"ADR": 0x3C0A55, "ID": "SXD4723 "}))
    assert plain.id == "25-100-4711" and addressed.id == "3c0a55"
    assert addressed.callsign == "SXD4723" and (addressed.sac, addressed.track_number) == (25, 4711)
    assert plain.gs_mps == pytest.approx(math.hypot(100, 100)) and plain.track_deg == 135.0
    assert plain.baro_m == pytest.approx(31_000 * 0.3048)
    assert plain.vs_mps == pytest.approx(-500 * 0.3048 / 60)
    assert plain.tod_s == 43_195.0


def test_cat062_altitudes() -> None:
    """I062/136 first, else I062/135; I062/130 is the geometric altitude."""
    dec = AsterixDecoder(AircraftTable())
    (rep,) = dec.block_reports(
        block062(i135=(("QNH", 0), ("CTB", (120.0, "FL"))), i130=(12_500.0, "ft"))
    )
    assert rep.baro_m == pytest.approx(12_000 * 0.3048)
    assert rep.gnss_m == pytest.approx(12_500 * 0.3048)
    (rep,) = dec.block_reports(
        block062(i136=(100.0, "FL"), i135=(("QNH", 0), ("CTB", (120.0, "FL"))))
    )
    assert rep.baro_m == pytest.approx(10_000 * 0.3048)


def test_cat062_simulated_track_is_ignored() -> None:
    status = ((("MON", 0), ("SPI", 0), ("MRH", 0), ("SRC", 0), ("CNF", 0), None),
              (("SIM", 1), ("TSE", 0), ("TSB", 0), ("FPC", 0), ("AFF", 0), ("STP", 0),
               ("KOS", 0), None))  # fmt: skip
    dec, table = decode(block062(i080=status))
    assert (dec.ignored, len(table)) == (1, 0)


@pytest.mark.parametrize(
    ("tod", "received", "expected"),
    [
        (43_000.0, NOON, NOON - 200.0),
        (86_399.0, 20_001 * DAY + 1.0, 20_001 * DAY - 1.0),  # just before midnight, heard after
        (0.5, 20_001 * DAY - 1.0, 20_001 * DAY + 0.5),  # just after midnight, heard before
        (0.0, 20_000 * DAY, 20_000 * DAY),
    ],
)
def test_time_of_day_dated_to_the_nearest_day(tod: float, received: float, expected: float) -> None:
    assert date_time_of_day(tod, received) == expected


def test_report_dated_after_midnight_across_the_day_boundary() -> None:
    received = 20_001 * DAY + 2.0  # 00:00:02 UTC
    _, table = decode(
        block021(
            i071=(86_398.0, "s"),
            i145=(100.0, "FL"),
            i160=(("RE", 0), ("GS", (0.05, "NM/s")), ("TA", (0.0, "°"))),
        ),
        received=received,
    )
    (s,) = table.ready()
    assert s.time_s == received - 4.0


def test_report_from_the_future_or_an_impossible_time_is_bad() -> None:
    ahead = (43_200.0 + MAX_AHEAD_S + 5.0, "s")
    dec, table = decode(block021(i071=ahead), block021(i071=(90_000.0, "s")))
    assert (dec.messages, dec.bad, dec.reports, len(table)) == (2, 2, 0, 0)


# -- hostile input ------------------------------------------------------------------------
def good() -> bytes:
    return block021(
        i145=(100.0, "FL"), i160=(("RE", 0), ("GS", (0.05, "NM/s")), ("TA", (0.0, "°")))
    )


@pytest.mark.parametrize(
    ("data", "bad"),
    [
        (b"\x15", 1),  # shorter than a header
        (b"\x15\x00", 1),
        (b"\x15\x00\x02", 1),  # a length below the header's
        (b"\x15\xff\xff" + bytes(20), 1),  # a huge length beyond the datagram
        (b"\x30\x00\x05\x01\x02", 1),  # an unknown category (CAT048)
        (b"\x15\x00\x05\xff\xff", 1),  # records that do not parse
        (b"\x3e\x00\x04\x80", 1),  # CAT062 truncated in its first item
    ],
    ids=["one-byte", "two-bytes", "short-length", "huge-length", "unknown", "garbage", "cut"],
)
def test_hostile_blocks_are_counted_bad(data: bytes, bad: int) -> None:
    dec, table = decode(data)
    assert dec.bad == bad and dec.messages >= bad and len(table) == 0


def test_good_blocks_before_a_broken_one_are_kept() -> None:
    g = good()
    dec, table = decode(g, b"\x30\x00\x04\x00", g[: len(g) - 2])
    assert dec.reports == 1 and dec.bad == 2 and len(table) == 1


def test_split_blocks_stops_at_a_length_it_cannot_frame() -> None:
    g = good()
    blocks, bad = split_blocks(g + b"\x15\x00\x01" + g)
    assert blocks == [g] and bad == 1


def test_block_stream_resynchronises_and_holds_one_partial_block() -> None:
    g = good()
    stream = BlockStream()
    data = b"\x00\x00\x00" + g + g  # stray bytes before the first block
    got = []
    for k in range(0, len(data), 7):
        got += stream.feed(data[k : k + 7])
    assert got == [g, g] and stream.bad == 3
    assert stream.feed(g[:5]) == [] and stream.end() == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_never_raise(data: bytes) -> None:
    table = AircraftTable()
    dec = AsterixDecoder(table)
    dec.datagram(data, NOON)
    dec.datagram(good()[:3] + data, NOON)
    stream = BlockStream()
    for block in stream.feed(data):
        dec.blocks([block], NOON)
    assert dec.bad <= dec.messages


def test_largest_blocks_of_garbage_are_bad() -> None:
    dec = AsterixDecoder(AircraftTable())
    dec.datagram(b"\x15\xff\xff" + bytes([0xFF]) * (0xFFFF - 3), NOON)
    dec.datagram(b"\x3e\xff\xff" + bytes([0x01]) * (0xFFFF - 3), NOON)
    assert dec.bad == 2
