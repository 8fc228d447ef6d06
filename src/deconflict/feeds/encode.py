"""Track states as receivers would send them: ADS-B frames and SBS lines.

The inverse of the feed decoders, for making recordings from a track history (tests,
benchmarks, demonstrations): DF17 identification, airborne position (barometric
altitude, CPR even or odd) and airborne velocity (subtype 1) frames per DO-260B, and
BaseStation lines. Inputs are in aviation units (ft, kt, ft/min) like the messages.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from pyModeS.position import cprNL
from pyModeS.util import crc

from ..trackio import History
from .sbs import sbs_line
from .units import FPM_MPS, FT_M, KT_MPS

__all__ = [
    "df17_identification",
    "df17_position",
    "df17_velocity",
    "history_frames",
    "history_sbs",
]

_CHARSET = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"


def _df17(icao: str, me: int) -> str:
    body = f"8D{int(icao, 16):06X}{me:014X}"
    return body + f"{crc(body + '000000'):06X}"


def df17_identification(icao: str, callsign: str) -> str:
    """Identification frame (TC 4) of up to 8 characters A–Z, 0–9, space.

    >>> df17_identification("4840d6", "KLM1023")
    '8D4840D6202CC371C32CE0576098'
    """
    text = callsign.upper().ljust(8)[:8]
    me = 4 << 51
    for k, ch in enumerate(text):
        me |= _CHARSET.index(ch) << (42 - 6 * k)
    return _df17(icao, me)


def _cpr(lat: float, lon: float, odd: bool) -> tuple[int, int]:
    i = 1 if odd else 0
    dlat = 360.0 / (60 - i)
    yz = math.floor(131072 * (lat % dlat) / dlat + 0.5)
    rlat = dlat * (yz / 131072 + math.floor(lat / dlat))
    dlon = 360.0 / max(cprNL(rlat) - i, 1)
    xz = math.floor(131072 * (lon % dlon) / dlon + 0.5)
    return yz % 131072, xz % 131072


def df17_position(icao: str, lat: float, lon: float, alt_ft: float, *, odd: bool) -> str:
    """Airborne position frame (TC 11) with a 25 ft barometric altitude (-1,000..50,175 ft).

    >>> df17_position("40621d", 52.2572021484375, 3.91937255859375, 38000, odd=False)
    '8D40621D58C382D690C8AC2863A7'
    """
    n = min(max(round((alt_ft + 1000.0) / 25.0), 0), 2047)
    ac = ((n >> 4) << 5) | 0x10 | (n & 0xF)
    yz, xz = _cpr(lat, lon, odd)
    me = (11 << 51) | (ac << 36) | ((1 if odd else 0) << 34) | (yz << 17) | xz
    return _df17(icao, me)


def df17_velocity(icao: str, gs_kt: float, track_deg: float, vr_fpm: float) -> str:
    """Airborne velocity over ground (TC 19, subtype 1: 1 kt, 64 ft/min), baro vertical rate.

    >>> import pyModeS
    >>> d = pyModeS.decode(df17_velocity("485020", 159.2, 182.88, -832))
    >>> d["crc_valid"], d["groundspeed"], round(d["track"], 1), d["vertical_rate"]
    (True, 159, 182.9, -832)
    """
    vx = gs_kt * math.sin(math.radians(track_deg))
    vy = gs_kt * math.cos(math.radians(track_deg))
    v_ew = min(round(abs(vx)) + 1, 1023)
    v_ns = min(round(abs(vy)) + 1, 1023)
    vr = min(round(abs(vr_fpm) / 64.0) + 1, 511)
    me = (19 << 51) | (1 << 48)
    me |= (1 if vx < 0 else 0) << 42 | v_ew << 32
    me |= (1 if vy < 0 else 0) << 31 | v_ns << 21
    me |= 1 << 20  # vertical rate source: barometric
    me |= (1 if vr_fpm < 0 else 0) << 19 | vr << 10
    return _df17(icao, me)


def _rows(history: History) -> Iterator[tuple[float, str, list[float]]]:
    order = sorted(range(history.id.size), key=lambda k: (history.time_s[k], history.id[k]))
    for k in order:
        yield float(history.time_s[k]), str(history.id[k]), [float(v) for v in history.values[k]]


def history_frames(history: History) -> Iterator[tuple[float, str]]:
    """(time, frame hex) for every row of a history, in time order: a velocity frame and
    an even and an odd position frame per recorded state."""
    for t, icao, (lat, lon, alt_m, gs, trk, vs) in _rows(history):
        yield t, df17_velocity(icao, gs / KT_MPS, trk, vs / FPM_MPS)
        yield t, df17_position(icao, lat, lon, alt_m / FT_M, odd=False)
        yield t, df17_position(icao, lat, lon, alt_m / FT_M, odd=True)


def history_sbs(history: History) -> Iterator[tuple[float, str]]:
    """(time, SBS line) for every row of a history, in time order: an airborne position
    (MSG,3) and an airborne velocity (MSG,4) line per recorded state."""
    for t, icao, (lat, lon, alt_m, gs, trk, vs) in _rows(history):
        yield t, sbs_line(3, icao, t, alt_ft=alt_m / FT_M, lat=lat, lon=lon)
        yield t, sbs_line(4, icao, t, gs_kt=gs / KT_MPS, track_deg=trk, vr_fpm=vs / FPM_MPS)
