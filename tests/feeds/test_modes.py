"""Raw Mode S decoding on real frames with known decoded values.

The frames and their values are the worked examples of Junzi Sun, "The 1090 Megahertz
Riddle: A Guide to Decoding Mode S and ADS-B Signals" (2nd ed., TU Delft OPEN, 2021;
https://mode-s.org/decode): identification of KLM1023 (ICAO 4840D6), the even/odd
airborne position pair of 40621D (52.2572°, 3.91937°, 38,000 ft; even frame received
after the odd one), its local decoding against the reference (52.258°, 3.918°), the
ground-velocity message of 485020 (159 kt, 182.88°, -832 ft/min) and the airspeed message
of A05F21 (TAS 375 kt, heading 243.98°), the surface position of 484175.
"""

from __future__ import annotations

import pytest
from pyModeS.util import crc

from deconflict.feeds.encode import df17_position
from deconflict.feeds.modes import ModeSDecoder
from deconflict.feeds.state import AircraftTable
from deconflict.feeds.units import FPM_MPS, FT_M, KT_MPS

IDENT = "8D4840D6202CC371C32CE0576098"
EVEN = "8D40621D58C382D690C8AC2863A7"
ODD = "8D40621D58C386435CC412692AD6"
VELOCITY = "8D485020994409940838175B284F"
AIRSPEED = "8DA05F219B06B6AF189400CBC33F"
SURFACE = "8C4841753AAB238733C8CD4020B1"
T_EVEN, T_ODD = 1457996402.0, 1457996400.0


def _decoder(**kw: object) -> tuple[AircraftTable, ModeSDecoder]:
    table = AircraftTable()
    return table, ModeSDecoder(table, **kw)  # type: ignore[arg-type]


def test_identification_gives_the_callsign() -> None:
    table, dec = _decoder()
    assert dec.feed(IDENT, 0.0)
    ac = table.get("4840d6")
    assert ac is not None and ac.callsign == "KLM1023"


def test_even_odd_pair_decodes_globally_with_the_newer_frame() -> None:
    table, dec = _decoder()
    dec.feed(ODD, T_ODD)
    assert table.get("40621d").t_pos == float("-inf")  # one frame, no reference: no position
    dec.feed(EVEN, T_EVEN)
    ac = table.get("40621d")
    assert ac.lat_deg == pytest.approx(52.2572, abs=5e-5)
    assert ac.lon_deg == pytest.approx(3.91937, abs=5e-5)
    assert ac.t_pos == T_EVEN
    assert ac.baro_m == pytest.approx(38000 * FT_M)
    assert dec.positions == 1


def test_pair_too_far_apart_in_time_is_not_decoded() -> None:
    _, dec = _decoder()
    dec.feed(ODD, T_ODD - 30.0)
    dec.feed(EVEN, T_EVEN)
    assert dec.positions == 0


def test_single_frame_decodes_locally_against_the_receiver() -> None:
    table, dec = _decoder(receiver=(52.258, 3.918))
    dec.feed(EVEN, T_EVEN)
    ac = table.get("40621d")
    assert (ac.lat_deg, ac.lon_deg) == pytest.approx((52.2572, 3.91937), abs=5e-5)


def test_later_frames_decode_locally_against_the_aircraft_s_own_position() -> None:
    table, dec = _decoder()
    dec.feed(ODD, T_ODD)
    dec.feed(EVEN, T_EVEN)
    # 30 s later only an odd frame: too late for a pair, near enough to the last fix.
    moved = df17_position("40621d", 52.30, 3.95, 38000, odd=True)
    dec.feed(moved, T_EVEN + 30.0)
    ac = table.get("40621d")
    assert (ac.lat_deg, ac.lon_deg) == pytest.approx((52.30, 3.95), abs=1e-4)
    assert dec.positions == 2


def test_a_position_jump_is_refused_and_a_consistent_pair_wins() -> None:
    table, dec = _decoder()
    dec.feed(ODD, T_ODD)
    dec.feed(EVEN, T_EVEN)
    far_even = df17_position("40621d", 48.0, 11.0, 38000, odd=False)
    far_odd = df17_position("40621d", 48.0, 11.0, 38000, odd=True)
    dec.feed(far_even, T_EVEN + 1.0)  # 600 km away one second later
    ac = table.get("40621d")
    assert dec.implausible == 1
    assert (ac.lat_deg, ac.lon_deg, ac.t_pos) == (
        pytest.approx(52.2572, abs=5e-5),
        pytest.approx(3.91937, abs=5e-5),
        T_EVEN,
    )
    # The refused fix's reference is dropped: a full pair at the new place is taken.
    dec.feed(far_odd, T_EVEN + 1.5)
    assert (ac.lat_deg, ac.lon_deg) == pytest.approx((48.0, 11.0), abs=1e-4)


def test_ground_velocity() -> None:
    table, dec = _decoder()
    dec.feed(VELOCITY, 10.0)
    ac = table.get("485020")
    assert ac.gs_mps == pytest.approx(159 * KT_MPS, abs=0.5 * KT_MPS)
    assert ac.track_deg == pytest.approx(182.88, abs=0.01)
    assert ac.vs_mps == pytest.approx(-832 * FPM_MPS)
    # geo_minus_baro of this frame: 550 ft
    assert ac.gnss_minus_baro_m == pytest.approx(550 * FT_M)


def test_airspeed_velocity_and_surface_position_are_ignored() -> None:
    table, dec = _decoder()
    assert dec.feed(AIRSPEED, 1.0) and dec.feed(SURFACE, 1.0)
    assert dec.ignored == 2 and dec.bad == 0
    ac = table.get("a05f21")
    assert ac is None or ac.t_vel == float("-inf")


@pytest.mark.parametrize(
    "frame",
    [
        EVEN[:-1] + "8",  # one bit of parity flipped: CRC fails
        "8D40621D58C382D690C8AC2863",  # short
        "ZZ40621D58C382D690C8AC2863A7",  # not hex
        "",
    ],
)
def test_bad_frames_are_counted_never_raised(frame: str) -> None:
    table, dec = _decoder()
    assert dec.feed(frame, 1.0) is False
    assert dec.bad == 1 and len(table) == 0


def test_altitude_reply_counts_only_for_an_aircraft_already_heard() -> None:
    # DF4, altitude code 0x1838 (38,000 ft); the address parity is the CRC XOR the address.
    head = "20001838"
    ap = crc(head + "000000") ^ 0x40621D
    df4 = f"{head}{ap:06X}"
    table, dec = _decoder()
    dec.feed(df4, 1.0)
    assert "40621d" not in table and dec.ignored == 1
    dec.feed(ODD, T_ODD)
    dec.feed(df4.replace("1838", "1830"), T_ODD + 0.5)  # another code: another address
    dec.feed(df4, T_ODD + 1.0)
    assert table.get("40621d").t_baro == T_ODD + 1.0


def test_gnss_altitude_is_read_in_metres() -> None:
    # A constructed DF17 TC 20 frame: 12-bit GNSS height 2,500 m (pyModeS reads TC 20–22
    # heights in metres), CPR of 52.0N 4.0E.
    base = int(df17_position("40621d", 52.0, 4.0, 0, odd=False)[8:22], 16)
    me = (20 << 51) | (2500 << 36) | (base & ((1 << 36) - 1))
    body = f"8D40621D{me:014X}"
    frame = body + f"{crc(body + '000000'):06X}"
    table, dec = _decoder(receiver=(52.1, 4.1))
    assert dec.feed(frame, 5.0)
    ac = table.get("40621d")
    assert ac.gnss_m == 2500.0 and ac.t_baro == float("-inf")
    assert (ac.lat_deg, ac.lon_deg) == pytest.approx((52.0, 4.0), abs=1e-4)
