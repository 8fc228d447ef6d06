"""BaseStation (SBS-1) text messages, as dump1090/readsb serve them on port 30003.

A line is ``MSG,type,session,aircraft,HEXIDENT,flight,date_gen,time_gen,date_log,
time_log,callsign,altitude,ground_speed,track,lat,lon,vertical_rate,squawk,alert,
emergency,spi,is_on_ground`` with altitude in feet, ground speed in knots and vertical
rate in ft/min. Types 1–8 carry different subsets of these fields; every field present
is merged into the aircraft's state, converted to SI. Other record kinds (``SEL``,
``ID``, ``AIR``, ``STA``, ``CLK``) are valid and carry nothing for a track.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from .state import TableDecoder
from .units import FPM_MPS, FT_M, KT_MPS

__all__ = ["SbsDecoder", "sbs_line", "sbs_time"]

_OTHER_KINDS = frozenset(("SEL", "ID", "AIR", "STA", "CLK"))
_HEX = frozenset("0123456789abcdef")
_day_cache: dict[str, float] = {}


def sbs_time(date: str, clock: str) -> float:
    """Epoch seconds of an SBS ``YYYY/MM/DD`` date and ``HH:MM:SS.fff`` time, read as UTC.

    >>> sbs_time("1970/01/02", "00:01:00.500")
    86460.5
    """
    day = _day_cache.get(date)
    if day is None:
        y, m, d = date.split("/")
        day = datetime(int(y), int(m), int(d), tzinfo=UTC).timestamp()
        if len(_day_cache) > 64:
            _day_cache.clear()
        _day_cache[date] = day
    h, mi, s = clock.split(":")
    return day + int(h) * 3600 + int(mi) * 60 + float(s)


def _num(text: str) -> float | None:
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not finite: {text!r}")
    return value


class SbsDecoder(TableDecoder):
    """Merges SBS lines into an :class:`AircraftTable`, counting what it could not read.

    ``messages``: lines read; ``bad``: lines that are not valid SBS (never fatal).
    """

    @staticmethod
    def recorded_time(line: str) -> float | None:
        """The time a line was generated (epoch s, its date/time read as UTC), if any."""
        f = line.split(",", 8)
        if len(f) < 8 or f[0] != "MSG":
            return None
        try:
            return sbs_time(f[6], f[7])
        except ValueError:
            return None

    def feed(self, line: str, t: float) -> bool:
        """Merge one line heard at ``t`` (epoch s); returns False for a bad line."""
        self.messages += 1
        f = line.strip().split(",")
        kind = f[0]
        if kind != "MSG":
            if kind in _OTHER_KINDS:
                return True
            self.bad += 1
            return False
        try:
            self._merge(f, t)
        except (ValueError, IndexError):
            self.bad += 1
            return False
        return True

    def _merge(self, f: list[str], t: float) -> None:
        if len(f) < 11 or not f[1].isdigit() or not 1 <= int(f[1]) <= 8:
            raise ValueError("not an SBS MSG line")
        icao = f[4].strip().lower()
        if len(icao) != 6 or not _HEX.issuperset(icao):
            raise ValueError(f"bad hex ident {f[4]!r}")
        f += [""] * (17 - len(f))
        alt_ft = _num(f[11])
        gs_kt, track = _num(f[12]), _num(f[13])
        lat, lon = _num(f[14]), _num(f[15])
        vr_fpm = _num(f[16])
        if lat is not None and lon is not None and (abs(lat) > 90.0 or abs(lon) > 180.0):
            raise ValueError("position out of range")
        if gs_kt is not None and gs_kt < 0:
            raise ValueError("negative ground speed")
        # Everything parsed: only now touch the table, so a bad line changes nothing.
        table = self.table
        table.heard(icao, t)
        if f[10].strip():
            table.callsign(icao, t, f[10])
        if lat is not None and lon is not None:
            table.position(icao, t, lat, lon)
        if alt_ft is not None:
            table.altitude(icao, t, alt_ft * FT_M)
        if gs_kt is not None and track is not None:
            vs = vr_fpm * FPM_MPS if vr_fpm is not None else None
            table.velocity(icao, t, gs_kt * KT_MPS, track, vs)
        elif vr_fpm is not None:
            table.vertical_rate(icao, t, vr_fpm * FPM_MPS)


def sbs_line(
    msg_type: int,
    icao: str,
    t: float,
    *,
    callsign: str = "",
    alt_ft: float | None = None,
    gs_kt: float | None = None,
    track_deg: float | None = None,
    lat: float | None = None,
    lon: float | None = None,
    vr_fpm: float | None = None,
) -> str:
    """One SBS ``MSG`` line (no line end) as dump1090 writes it, generated at ``t`` (UTC).

    >>> sbs_line(3, "4ca2d6", 0.0, alt_ft=37000, lat=51.5, lon=-0.25)
    'MSG,3,1,1,4CA2D6,1,1970/01/01,00:00:00.000,1970/01/01,00:00:00.000,,37000,,,51.50000,-0.25000,,,,,,0'
    """
    stamp = datetime.fromtimestamp(t, UTC)
    date = stamp.strftime("%Y/%m/%d")
    clock = stamp.strftime("%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"

    def fmt(v: float | None, spec: str) -> str:
        return "" if v is None else format(v, spec)

    fields = [
        "MSG",
        str(msg_type),
        "1",
        "1",
        icao.upper(),
        "1",
        date,
        clock,
        date,
        clock,
        callsign,
        fmt(alt_ft, ".0f"),
        fmt(gs_kt, ".1f"),
        fmt(track_deg, ".1f"),
        fmt(lat, ".5f"),
        fmt(lon, ".5f"),
        fmt(vr_fpm, ".0f"),
        "",
        "",
        "",
        "",
        "0",
    ]
    return ",".join(fields)
