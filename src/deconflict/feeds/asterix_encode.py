"""Track states as ASTERIX, encoded with libasterix: CAT021 target reports and CAT062 system
tracks carrying the items :mod:`.asterix` reads.

The inverse of the ASTERIX decoder, for making recordings and datagrams from a track
history (tests, benchmarks, demonstrations). Inputs are SI (m, m/s, degrees, epoch s);
each value is put in the item's own unit (FL, ft, NM/s, ft/min, seconds of day) and
rounded to its resolution by libasterix.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, cast

import asterix.generated as gen

from ..model.tracks import TrackReport
from ..trackio import History
from .units import FPM_MPS, FT_M

__all__ = ["cat021_block", "cat021_record", "cat062_block", "cat062_record", "history_blocks"]

Cat021 = gen.Cat_021_2_7
Cat062 = gen.Cat_062_1_21
_NM_M = 1852.0
_FL_M = 100.0 * FT_M
MAX_RECORDS = 50
"""Records per block in :func:`history_blocks` (a block stays well under 1,500 bytes)."""


def _tod(t: float) -> float:
    return t % 86_400.0


def cat021_record(
    s: TrackReport,
    *,
    sac: int = 0,
    sic: int = 1,
    track_number: int = 0,
    gnss_m: float | None = None,
    callsign: str | None = None,
) -> Any:
    """A CAT021 report of ``s`` (its id the ICAO address): I021/010, 040, 161, 071, 131,
    080, 145, 155, 160 (and 140, 170)."""
    items: dict[str, Any] = {
        "010": (("SAC", sac), ("SIC", sic)),
        "040": ((("ATP", 1), ("ARC", 1), ("RC", 0), ("RAB", 0), None),),
        "161": (0, ("TRNUM", track_number % 4096)),
        "071": (_tod(s.time_s), "s"),
        "131": (("LAT", (s.lat_deg, "°")), ("LON", (s.lon_deg, "°"))),
        "080": int(s.id, 16),
        "145": (s.alt_m / _FL_M, "FL"),
        "155": (("RE", 0), ("BVR", (s.vs_mps / FPM_MPS, "ft/min"))),
        "160": (
            ("RE", 0),
            ("GS", (s.gs_mps / _NM_M, "NM/s")),
            ("TA", (s.track_deg % 360.0, "°")),
        ),
    }
    if gnss_m is not None:
        items["140"] = (gnss_m / FT_M, "ft")
    if callsign:
        items["170"] = callsign.upper()[:8].ljust(8)
    return Cat021.cv_record.create(cast(Any, items))


def cat062_record(
    s: TrackReport,
    *,
    sac: int = 0,
    sic: int = 1,
    track_number: int = 0,
    address: bool = True,
    callsign: str | None = None,
) -> Any:
    """A CAT062 track of ``s``: I062/010, 040, 070, 105, 185, 136, 220 (and 380: ADR, the
    id as an ICAO address, with ``address``; ID the callsign)."""
    rad = math.radians(s.track_deg)
    items: dict[str, Any] = {
        "010": (("SAC", sac), ("SIC", sic)),
        "040": track_number % 65536,
        "070": (_tod(s.time_s), "s"),
        "105": (("LAT", (s.lat_deg, "°")), ("LON", (s.lon_deg, "°"))),
        "185": (
            ("VX", (s.gs_mps * math.sin(rad), "m/s")),
            ("VY", (s.gs_mps * math.cos(rad), "m/s")),
        ),
        "136": (s.alt_m / _FL_M, "FL"),
        "220": (s.vs_mps / FPM_MPS, "ft/min"),
    }
    sub: dict[str, Any] = {}
    if address:
        sub["ADR"] = int(s.id, 16)
    if callsign:
        sub["ID"] = callsign.upper()[:8].ljust(8)
    if sub:
        items["380"] = sub
    return Cat062.cv_record.create(cast(Any, items))


def cat021_block(records: list[Any]) -> bytes:
    """One CAT021 data block of ``records``."""
    return bytes(Cat021.create(records).unparse().to_bytes())


def cat062_block(records: list[Any]) -> bytes:
    """One CAT062 data block of ``records``."""
    return bytes(Cat062.create(records).unparse().to_bytes())


def history_blocks(
    history: History,
    category: int,
    *,
    sac: int = 0,
    sic: int = 1,
    address: bool = True,
    max_records: int = MAX_RECORDS,
) -> Iterator[tuple[float, bytes]]:
    """(time, data block) for every state of a history, in time order: one record per state,
    the states of one time together, at most ``max_records`` a block. Track numbers are
    the aircraft's order in the history; CAT062 carries the address only with ``address``.
    """
    if category not in (21, 62):
        raise ValueError(f"category {category}: 21 or 62")
    numbers = {icao: k for k, icao in enumerate(sorted({str(i) for i in history.id}))}
    order = sorted(range(history.id.size), key=lambda k: (history.time_s[k], history.id[k]))
    pending: list[Any] = []
    pending_t = math.nan

    def flush() -> tuple[float, bytes]:
        block = cat021_block(pending) if category == 21 else cat062_block(pending)
        pending.clear()
        return pending_t, block

    for k in order:
        t = float(history.time_s[k])
        if pending and (t != pending_t or len(pending) >= max_records):
            yield flush()
        lat, lon, alt, gs, trk, vs = (float(v) for v in history.values[k])
        state = TrackReport(str(history.id[k]), t, lat, lon, alt, gs, trk, vs)
        tn = numbers[state.id]
        if category == 21:
            rec = cat021_record(state, sac=sac, sic=sic, track_number=tn)
        else:
            rec = cat062_record(state, sac=sac, sic=sic, track_number=tn, address=address)
        pending.append(rec)
        pending_t = t
    if pending:
        yield flush()
