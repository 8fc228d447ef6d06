"""The latest state of every aircraft a feed hears, merged from partial messages.

Receivers report an aircraft's position, altitude and velocity in separate messages; this
table merges them per aircraft (keyed by the ICAO address, lower-case hex), ages out fields
not refreshed for ``max_age_s`` while the aircraft is heard, drops aircraft not heard for
that long, and hands out a complete track only once an aircraft has position, altitude
and ground velocity, all fresh. Memory is bounded: one fixed record
per aircraft (no history) and at most ``max_aircraft`` records, the least recently heard
dropped first.

Times are seconds since the Unix epoch ("feed time": the time a track is reported with).
Units are SI: m, m/s, degrees for lat/lon/track only.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from ..errors import InvalidInput
from ..model.tracks import TrackReport

__all__ = ["Aircraft", "AircraftTable", "TableDecoder"]

NEVER = -math.inf
DEFAULT_MAX_AGE_S = 60.0
DEFAULT_MAX_AIRCRAFT = 10_000


@dataclass(slots=True)
class Aircraft:
    """The newest value of each field heard from one aircraft, with the time it was heard."""

    icao: str
    seen: float = NEVER
    lat_deg: float = math.nan
    lon_deg: float = math.nan
    t_pos: float = NEVER
    baro_m: float = math.nan
    t_baro: float = NEVER
    gnss_m: float = math.nan
    t_gnss: float = NEVER
    gnss_minus_baro_m: float = math.nan
    t_gnss_minus_baro: float = NEVER
    gs_mps: float = math.nan
    track_deg: float = math.nan
    t_vel: float = NEVER
    vs_mps: float = math.nan
    t_vs: float = NEVER
    callsign: str = ""


class AircraftTable:
    """Per-aircraft merged state with ageing, a cap on aircraft and a set of changed ones.

    ``max_age_s``: a field older than this (relative to the newest time heard) no longer
    counts, and an aircraft not heard for this long is dropped by :meth:`expire`.
    ``max_aircraft``: when a new aircraft would exceed it, the least recently heard one is
    dropped (counted in ``evicted``).
    """

    def __init__(
        self, max_aircraft: int = DEFAULT_MAX_AIRCRAFT, max_age_s: float = DEFAULT_MAX_AGE_S
    ) -> None:
        if max_aircraft < 1:
            raise InvalidInput(f"max aircraft must be at least 1, got {max_aircraft}")
        if not max_age_s > 0:
            raise InvalidInput(f"max age must be > 0 s, got {max_age_s}")
        self.max_aircraft = max_aircraft
        self.max_age_s = max_age_s
        self.now = NEVER
        self.evicted = 0
        self.expired = 0
        self._aircraft: OrderedDict[str, Aircraft] = OrderedDict()
        self._dirty: set[str] = set()

    def __len__(self) -> int:
        return len(self._aircraft)

    def __contains__(self, icao: object) -> bool:
        return icao in self._aircraft

    def get(self, icao: str) -> Aircraft | None:
        """The aircraft record, or None when it is not (or no longer) in the table."""
        return self._aircraft.get(icao)

    def heard(self, icao: str, t: float) -> Aircraft:
        """The record of ``icao`` (created if new), marked as heard at ``t``."""
        ac = self._aircraft.get(icao)
        if ac is None:
            if len(self._aircraft) >= self.max_aircraft:
                old, _ = self._aircraft.popitem(last=False)
                self._dirty.discard(old)
                self.evicted += 1
            ac = Aircraft(icao)
            self._aircraft[icao] = ac
        else:
            self._aircraft.move_to_end(icao)
        if t > ac.seen:
            ac.seen = t
        if t > self.now:
            self.now = t
        return ac

    def position(self, icao: str, t: float, lat: float, lon: float) -> None:
        """A position fix (degrees) at ``t``; older than the one held, it is ignored."""
        ac = self.heard(icao, t)
        if t >= ac.t_pos:
            ac.lat_deg, ac.lon_deg, ac.t_pos = lat, lon, t
            self._dirty.add(icao)

    def altitude(self, icao: str, t: float, alt_m: float, *, gnss: bool = False) -> None:
        """A barometric (or, with ``gnss``, a GNSS) altitude in metres at ``t``."""
        ac = self.heard(icao, t)
        if gnss:
            if t >= ac.t_gnss:
                ac.gnss_m, ac.t_gnss = alt_m, t
                self._dirty.add(icao)
        elif t >= ac.t_baro:
            ac.baro_m, ac.t_baro = alt_m, t
            self._dirty.add(icao)

    def gnss_minus_baro(self, icao: str, t: float, diff_m: float) -> None:
        """The difference GNSS minus barometric altitude (m), used when only GNSS is heard."""
        ac = self.heard(icao, t)
        if t >= ac.t_gnss_minus_baro:
            ac.gnss_minus_baro_m, ac.t_gnss_minus_baro = diff_m, t

    def velocity(
        self, icao: str, t: float, gs_mps: float, track_deg: float, vs_mps: float | None = None
    ) -> None:
        """Ground speed (m/s) and true track (degrees), with the vertical rate if known."""
        ac = self.heard(icao, t)
        if t >= ac.t_vel:
            ac.gs_mps, ac.track_deg, ac.t_vel = gs_mps, track_deg % 360.0, t
            self._dirty.add(icao)
        if vs_mps is not None:
            self.vertical_rate(icao, t, vs_mps)

    def vertical_rate(self, icao: str, t: float, vs_mps: float) -> None:
        """Vertical rate (m/s, up positive) at ``t``."""
        ac = self.heard(icao, t)
        if t >= ac.t_vs:
            ac.vs_mps, ac.t_vs = vs_mps, t
            self._dirty.add(icao)

    def callsign(self, icao: str, t: float, callsign: str) -> None:
        """The flight's callsign (kept for display; not part of a track)."""
        self.heard(icao, t).callsign = callsign.strip()

    def expire(self) -> int:
        """Drop aircraft not heard for ``max_age_s``; returns how many were dropped."""
        limit = self.now - self.max_age_s
        dropped = 0
        while self._aircraft:
            icao, ac = next(iter(self._aircraft.items()))
            if ac.seen >= limit:
                break
            del self._aircraft[icao]
            self._dirty.discard(icao)
            dropped += 1
        self.expired += dropped
        return dropped

    def state(self, ac: Aircraft) -> TrackReport | None:
        """The aircraft's complete track, or None if position, altitude or velocity is
        missing or stale (older than ``max_age_s`` before the aircraft was last heard).
        The altitude is barometric if fresh, else GNSS (made barometric with a fresh
        GNSS-minus-baro difference when there is one); an unknown or stale vertical rate
        counts as 0. An aircraft no longer heard at all leaves through :meth:`expire`."""
        limit = ac.seen - self.max_age_s
        if ac.t_pos < limit or ac.t_vel < limit:
            return None
        if ac.t_baro >= limit:
            alt = ac.baro_m
        elif ac.t_gnss >= limit:
            alt = ac.gnss_m
            if ac.t_gnss_minus_baro >= limit:
                alt -= ac.gnss_minus_baro_m
        else:
            return None
        vs = ac.vs_mps if ac.t_vs >= limit else 0.0
        return TrackReport(
            ac.icao, ac.t_pos, ac.lat_deg, ac.lon_deg, alt, ac.gs_mps, ac.track_deg, vs
        )

    def ready(self) -> list[TrackReport]:
        """Every aircraft's complete track, in order of last heard."""
        out = []
        for ac in self._aircraft.values():
            s = self.state(ac)
            if s is not None:
                out.append(s)
        return out

    def take_changed(self) -> list[TrackReport]:
        """The complete tracks of the aircraft changed since the last call; clears the mark.

        An aircraft changed but not yet complete is left out and waits for its next update.
        """
        out = []
        for icao in self._dirty:
            ac = self._aircraft.get(icao)
            if ac is not None:
                s = self.state(ac)
                if s is not None:
                    out.append(s)
        self._dirty.clear()
        return out

    @property
    def changed(self) -> int:
        """How many aircraft are marked changed."""
        return len(self._dirty)


class TableDecoder:
    """Base of a decoder merging what it reads into ``table``: ``messages`` counts what it
    read, ``bad`` what it could not read (never fatal)."""

    def __init__(self, table: AircraftTable) -> None:
        self.table = table
        self.messages = 0
        self.bad = 0
