"""ASTERIX rows of the feeds benchmark (bench/feeds.py): CAT021 and CAT062 records decoded
into the aircraft table against libasterix's own parse loop on the same blocks (feeds.py
forwards them from a ``.ast`` recording).

Input: one record per recorded state of the Swiss excerpt (``history_blocks``, at most 50
records a block, CAT062 with the target address), repeated with other SIC codes (CAT062)
or ICAO addresses (CAT021) ``copies`` times. The peer parses every block and its records
with libasterix (``RawDatablock.parse_single`` and the category's UAP) and reads each
record's items as our decoder does (position, altitude, velocity, time, address), without
any table: the cost of libasterix alone, so the ratio is below 1 by what our merge costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import asterix.base as base
import asterix.generated as gen
import numpy as np

from deconflict.feeds.asterix import AsterixDecoder
from deconflict.feeds.asterix_encode import history_blocks
from deconflict.feeds.state import AircraftTable
from deconflict.trackio import read_history

ITEMS = {21: ("080", "131", "145", "160", "155", "071"), 62: ("380", "105", "136", "185", "220")}


def make_blocks(excerpt: Path, category: int, copies: int) -> tuple[list[bytes], int]:
    """Data blocks of ``copies`` fleets, each with other addresses (and SIC), and their
    record count."""
    h = read_history(excerpt)
    blocks: list[bytes] = []
    for c in range(copies):
        ids = np.array([f"{int(str(i), 16) ^ (c << 16):06x}" for i in h.id])
        fleet = replace(h, id=ids)
        blocks += [b for _, b in history_blocks(fleet, category, sic=c + 1)]
    return blocks, sum(_count(b) for b in blocks)


def _count(block: bytes) -> int:
    parsed = base.RawDatablock.parse_single(base.Bits.from_bytes(block))
    assert not isinstance(parsed, ValueError)
    cat = gen.Cat_021_2_7 if block[0] == 21 else gen.Cat_062_1_21
    recs = cat.cv_uap.parse(parsed[0].get_raw_records())
    assert not isinstance(recs, ValueError)
    return len(recs)


def decode(blocks: list[bytes], records: int) -> Callable[[], None]:
    def run() -> None:
        dec = AsterixDecoder(AircraftTable(max_aircraft=100_000))
        dec.blocks(blocks, 0.0)
        assert dec.reports == records and dec.bad == 0, (dec.reports, dec.bad)

    return run


def peer(blocks: list[bytes], category: int) -> Callable[[], None]:
    cat: Any = gen.Cat_021_2_7 if category == 21 else gen.Cat_062_1_21
    items = ITEMS[category]

    def run() -> None:
        for block in blocks:
            parsed = base.RawDatablock.parse_single(base.Bits.from_bytes(block))
            for rec in cat.cv_uap.parse(parsed[0].get_raw_records()):
                for name in items:
                    item = rec.get_item(name)
                    if item is not None:
                        item.unparse()

    return run
