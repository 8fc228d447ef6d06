"""Raw Mode S frames decoded with pyModeS into an aircraft table.

What is used:

- DF17/18 extended squitter with a valid CRC: identification (callsign), airborne position
  with barometric (TC 9–18) or GNSS (TC 20–22) altitude, airborne velocity over ground
  (TC 19 subtypes 1–2: ground speed, track, vertical rate, GNSS-minus-baro difference).
- DF0/4/16/20 altitude replies, only from an aircraft already heard in a CRC-checked
  extended squitter (their address is the CRC remainder, so nothing else checks them).

CPR positions: a global decode from an even/odd pair received within 10 s (the newer
frame gives the position); otherwise a local decode against the aircraft's own position
of the last 60 s, or against the receiver's position for an aircraft's first frames
(valid when the aircraft is within 180 NM of the receiver). A decoded position implying
more than 1,000 m/s from the last one is refused, and the next is decoded without that
reference (so a wrong first fix does not stick). Surface positions, airspeed/heading
velocities and other formats are counted as ``ignored``.

Frames that cannot be parsed or fail the CRC are counted as ``bad``, never raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyModeS
from pyModeS.position import airborne_position_pair, airborne_position_with_ref

from .state import AircraftTable, TableDecoder
from .units import FPM_MPS, FT_M, KT_MPS

__all__ = ["ModeSDecoder"]

PAIR_WINDOW_S = 10.0
LOCAL_REF_AGE_S = 60.0
MAX_SPEED_MPS = 1000.0
_EARTH_R = 6_371_008.8
_ALTITUDE_DFS = frozenset((0, 4, 16, 20))


@dataclass(slots=True)
class _Cpr:
    """The last even and odd CPR frame of one aircraft (raw 17-bit fields, source time)."""

    even: tuple[int, int, float] | None = None
    odd: tuple[int, int, float] | None = None


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians((lon2 - lon1 + 180.0) % 360.0 - 180.0)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_R * math.asin(min(1.0, math.sqrt(a)))


class ModeSDecoder(TableDecoder):
    """Decodes Mode S frames (hex strings) into an :class:`AircraftTable`.

    ``receiver``: (lat, lon) degrees of the receiver, for local decoding of first frames.
    Each call gives two times: ``src_t``, the time the frame was received by its source
    (epoch or relative seconds; pairs and references are judged on it), and ``t``, the
    feed time the state is recorded with (equal for live sources).

    Counters: ``messages`` (frames seen), ``bad`` (unparsable or failed CRC),
    ``ignored`` (valid but carrying nothing for a track), ``positions`` (decoded),
    ``implausible`` (positions refused as a jump).
    """

    def __init__(self, table: AircraftTable, receiver: tuple[float, float] | None = None) -> None:
        super().__init__(table)
        self.receiver = receiver
        self.ignored = 0
        self.positions = 0
        self.implausible = 0
        self._cpr: dict[str, _Cpr] = {}
        self._src_pos: dict[str, float] = {}

    def feed(self, frame: str, t: float, src_t: float | None = None) -> bool:
        """Decode one frame (14 or 28 hex digits); returns False for a bad frame."""
        self.messages += 1
        if src_t is None:
            src_t = t
        try:
            d = pyModeS.decode(frame)
        except (pyModeS.DecodeError, ValueError, TypeError):
            self.bad += 1
            return False
        df = d.get("df")
        if df in (17, 18):
            if d.get("crc_valid") is not True:
                self.bad += 1
                return False
            self._squitter(frame, d, t, src_t)
            return True
        if df in _ALTITUDE_DFS:
            icao = str(d.get("icao", "")).lower()
            alt_ft = d.get("altitude")
            if icao in self.table and alt_ft is not None:
                self.table.altitude(icao, t, alt_ft * FT_M)
                return True
        self.ignored += 1
        return True

    def _squitter(self, frame: str, d: dict[str, object], t: float, src_t: float) -> None:
        icao = str(d["icao"]).lower()
        tc = d.get("typecode")
        table = self.table
        if not isinstance(tc, int):
            self.ignored += 1
            return
        if 1 <= tc <= 4:
            callsign = d.get("callsign")
            if isinstance(callsign, str):
                table.callsign(icao, t, callsign)
            return
        if 9 <= tc <= 18 or 20 <= tc <= 22:
            table.heard(icao, t)
            if 9 <= tc <= 18:
                alt_ft = d.get("altitude")
                if isinstance(alt_ft, int | float):
                    table.altitude(icao, t, alt_ft * FT_M)
            else:
                # GNSS height in metres (12 bits), read from the frame: pyModeS rounds it
                # to whole feet.
                alt_m = (int(frame[8:22], 16) >> 36) & 0xFFF
                if alt_m:
                    table.altitude(icao, t, float(alt_m), gnss=True)
            self._position(icao, d, t, src_t)
            return
        if tc == 19 and d.get("subtype") in (1, 2):
            gs_kt, track = d.get("groundspeed"), d.get("track")
            vr = d.get("vertical_rate")
            vs = vr * FPM_MPS if isinstance(vr, int | float) else None
            if isinstance(gs_kt, int | float) and isinstance(track, int | float):
                table.velocity(icao, t, gs_kt * KT_MPS, float(track), vs)
            elif vs is not None:
                table.vertical_rate(icao, t, vs)
            else:
                table.heard(icao, t)
            diff = d.get("geo_minus_baro")
            if isinstance(diff, int | float):
                table.gnss_minus_baro(icao, t, diff * FT_M)
            return
        self.ignored += 1

    def _position(self, icao: str, d: dict[str, object], t: float, src_t: float) -> None:
        fmt, lat_raw, lon_raw = d.get("cpr_format"), d.get("cpr_lat"), d.get("cpr_lon")
        if not (isinstance(fmt, int) and isinstance(lat_raw, int) and isinstance(lon_raw, int)):
            return
        cpr = self._cpr.get(icao)
        if cpr is None:
            if len(self._cpr) > 2 * self.table.max_aircraft:
                self._forget_gone()
            cpr = self._cpr[icao] = _Cpr()
        frame = (lat_raw, lon_raw, src_t)
        if fmt == 0:
            cpr.even = frame
            other = cpr.odd
        else:
            cpr.odd = frame
            other = cpr.even
        pos: tuple[float, float] | None = None
        if other is not None and abs(src_t - other[2]) <= PAIR_WINDOW_S:
            even, odd = (frame, other) if fmt == 0 else (other, frame)
            pos = airborne_position_pair(even[0], even[1], odd[0], odd[1], even_is_newer=fmt == 0)
        ac = self.table.get(icao)
        last_src = self._src_pos.get(icao)
        recent = (
            ac is not None
            and last_src is not None
            and math.isfinite(ac.lat_deg)
            and abs(src_t - last_src) <= LOCAL_REF_AGE_S
        )
        if pos is None:
            if recent and ac is not None:
                ref = (ac.lat_deg, ac.lon_deg)
            elif self.receiver is not None:
                ref = self.receiver
            else:
                return
            pos = airborne_position_with_ref(fmt, lat_raw, lon_raw, ref[0], ref[1])
        lat, lon = pos
        lon = (lon + 180.0) % 360.0 - 180.0
        if abs(lat) > 90.0:
            self.implausible += 1
            return
        if recent and ac is not None and last_src is not None:
            jump = _distance_m(ac.lat_deg, ac.lon_deg, lat, lon)
            if jump > 2_000.0 + MAX_SPEED_MPS * abs(src_t - last_src):
                # Refused; the reference itself may be the wrong one (a first frame decoded
                # against a far receiver), so the next pair is decoded without it.
                self.implausible += 1
                del self._src_pos[icao]
                return
        self._src_pos[icao] = src_t
        self.positions += 1
        self.table.position(icao, t, lat, lon)

    def _forget_gone(self) -> None:
        """Drop CPR memory of aircraft no longer in the table (bounded memory)."""
        for icao in [i for i in self._cpr if i not in self.table]:
            del self._cpr[icao]
            self._src_pos.pop(icao, None)
