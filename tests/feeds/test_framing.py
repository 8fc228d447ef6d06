"""AVR lines and the Beast binary protocol, including escapes, resync and split reads."""

from __future__ import annotations

import pytest

from deconflict.feeds.framing import BeastDeframer, avr_record, beast_frame

LONG = bytes.fromhex("8D40621D58C382D690C8AC2863A7")
SHORT = bytes.fromhex("1A001838CA3E51")  # starts with the escape byte


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("*8d40621d58c382d690c8ac2863a7;", (None, None, "8D40621D58C382D690C8AC2863A7")),
        ("@0000001A2B3C8D40621D58C382D690C8AC2863A7;", (None, 0x1A2B3C, LONG.hex().upper())),
        ("1457996402.5,*20001838CA3E51;", (1457996402.5, None, "20001838CA3E51")),
        ("  1457996402 *20001838CA3E51;\r\n", (1457996402.0, None, "20001838CA3E51")),
        ("*8D40621D58C382D690C8AC2863A7", None),  # no terminator
        ("*8D40621D58C382D690C8AC2863;", None),  # 26 digits
        ("*8D40621D58C382D690C8AC2863AZ;", None),
        ("hello *20001838CA3E51;", None),
        ("", None),
    ],
)
def test_avr_record(line: str, expected: object) -> None:
    assert avr_record(line) == expected


def test_beast_frames_with_escapes_survive_any_split() -> None:
    stream = (
        beast_frame(0x33, LONG, ticks=0x1A1A1A, signal=0x1A)
        + beast_frame(0x32, SHORT, ticks=12_000_000)
        + beast_frame(0x31, b"\x12\x34")
    )
    for cut in range(1, len(stream)):
        d = BeastDeframer()
        frames = d.feed(stream[:cut]) + d.feed(stream[cut:])
        assert [(f.kind, f.ticks, f.signal, f.data) for f in frames] == [
            (0x33, 0x1A1A1A, 0x1A, LONG),
            (0x32, 12_000_000, 0, SHORT),
            (0x31, 0, 0, b"\x12\x34"),
        ], cut
        assert d.bad == 0


def test_beast_garbage_is_skipped_and_counted() -> None:
    d = BeastDeframer()
    junk = b"\x00\xffnoise"
    # A frame cut short by a new frame start (a lone 0x1a inside): dropped, then resync.
    cut_short = beast_frame(0x33, LONG)[:10]
    stream = junk + cut_short + beast_frame(0x32, SHORT) + b"\x1a\x39" + beast_frame(0x33, LONG)
    frames = d.feed(stream)
    assert [f.data for f in frames] == [SHORT, LONG]
    assert d.bad >= len(junk) + 1
