"""State vectors in the OpenSky Network ``/states/all`` layout.

A document is ``{"time": epoch_s, "states": [[icao24, callsign, origin_country,
time_position, last_contact, longitude, latitude, baro_altitude, on_ground, velocity,
true_track, vertical_rate, sensors, geo_altitude, squawk, spi, position_source, ...],
...]}``. Units are already SI (m, m/s, degrees); ``time_position`` dates the position,
``last_contact`` the rest. A row that does not fit the layout is counted as bad.
"""

from __future__ import annotations

import math
from typing import Any

from .state import TableDecoder

__all__ = ["StateVectorDecoder"]

_HEX = frozenset("0123456789abcdef")


def _opt(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"not finite: {value!r}")
    return v


class StateVectorDecoder(TableDecoder):
    """Merges state-vector documents into an :class:`AircraftTable`.

    ``messages`` counts state rows, ``bad`` the rows (or documents) that do not fit.
    ``shift_s`` is added to every time (0 for live data; a replay moves times to now).
    """

    @staticmethod
    def recorded_time(doc: Any) -> float | None:
        """The document's ``time`` (epoch s), if it has one."""
        if isinstance(doc, dict):
            t = doc.get("time")
            if isinstance(t, int | float) and not isinstance(t, bool):
                return float(t)
        return None

    def feed(self, doc: Any, shift_s: float = 0.0) -> None:
        """Merge every state row of one document."""
        states = doc.get("states") if isinstance(doc, dict) else None
        if states is None:
            if not (isinstance(doc, dict) and "states" in doc):
                self.messages += 1
                self.bad += 1
            return  # OpenSky answers "states": null when nothing is in view
        if not isinstance(states, list):
            self.messages += 1
            self.bad += 1
            return
        fallback = self.recorded_time(doc)
        for row in states:
            self.messages += 1
            try:
                self._row(row, fallback, shift_s)
            except (ValueError, TypeError, IndexError):
                self.bad += 1

    def _row(self, row: Any, fallback: float | None, shift_s: float) -> None:
        if not isinstance(row, list) or len(row) < 14:
            raise ValueError("state row too short")
        icao = row[0]
        if not isinstance(icao, str) or len(icao.strip()) != 6:
            raise ValueError(f"bad icao24 {icao!r}")
        icao = icao.strip().lower()
        if not _HEX.issuperset(icao):
            raise ValueError(f"bad icao24 {icao!r}")
        t_pos, t_contact = _opt(row[3]), _opt(row[4])
        lon, lat = _opt(row[5]), _opt(row[6])
        baro, gs, trk, vs, geo = (_opt(row[k]) for k in (7, 9, 10, 11, 13))
        t_last = t_contact if t_contact is not None else fallback
        if t_last is None:
            raise ValueError("state row without a time")
        if lat is not None and lon is not None and (abs(lat) > 90 or abs(lon) > 180):
            raise ValueError("position out of range")
        if gs is not None and gs < 0:
            raise ValueError("negative ground speed")
        table = self.table
        t_last += shift_s
        table.heard(icao, t_last)
        if isinstance(row[1], str) and row[1].strip():
            table.callsign(icao, t_last, row[1])
        if lat is not None and lon is not None:
            table.position(icao, t_pos + shift_s if t_pos is not None else t_last, lat, lon)
        if baro is not None:
            table.altitude(icao, t_last, baro)
        if geo is not None:
            table.altitude(icao, t_last, geo, gnss=True)
        if gs is not None and trk is not None:
            table.velocity(icao, t_last, gs, trk, vs)
        elif vs is not None:
            table.vertical_rate(icao, t_last, vs)
