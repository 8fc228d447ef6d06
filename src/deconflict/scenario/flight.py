"""A route flown on the sphere: the states a party reports along it.

Each leg is the great circle from one waypoint to the next, flown at the ground speed
given on its first waypoint; the altitude moves towards the next waypoint's at the given
vertical rate (held until it is reached) or, without one, in a steady slope over the leg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..geo import bearing_deg, destination, haversine_m
from .model import Flight

__all__ = ["FlightStates", "flight_states"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class FlightStates:
    """States of one flight at its report times, arrays of shape (n,).

    ``time_s`` POSIX seconds; ``lat_deg``, ``lon_deg``, ``track_deg`` degrees; ``alt_m`` metres;
    ``gs_mps``, ``vs_mps`` metres per second.
    """

    time_s: F64
    lat_deg: F64
    lon_deg: F64
    alt_m: F64
    gs_mps: F64
    track_deg: F64
    vs_mps: F64

    def __len__(self) -> int:
        return int(self.time_s.shape[0])


def flight_states(flight: Flight, start_s: float) -> FlightStates:
    """The states ``flight`` reports from ``start_s`` (POSIX s): every ``report_every_s``
    while it flies, and once more on reaching its last waypoint.

    >>> from deconflict.scenario.model import Waypoint
    >>> f = Flight("blue", "b1", (Waypoint(0.0, 0.0, 1000.0, 100.0),
    ...                          Waypoint(0.0, 1.0, 2000.0, 100.0)), report_every_s=600.0)
    >>> s = flight_states(f, 0.0)
    >>> s.time_s.round(1).tolist(), s.lon_deg.round(4).tolist(), s.track_deg.round(3).tolist()
    ([0.0, 600.0, 1112.0], [0.0, 0.5396, 1.0], [90.0, 90.0, 90.0])
    >>> s.alt_m.round(1).tolist(), s.vs_mps.round(4).tolist()
    ([1000.0, 1539.6, 2000.0], [0.8993, 0.8993, 0.0])
    """
    wp = flight.route
    lat = np.array([w.lat_deg for w in wp])
    lon = np.array([w.lon_deg for w in wp])
    alt = np.array([w.alt_m for w in wp])
    speed = np.array([w.speed_mps for w in wp[:-1]])
    climb = np.array([np.nan if w.climb_mps is None else w.climb_mps for w in wp[:-1]])
    length = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    leg_s = length / speed
    leg_t0 = np.concatenate([[0.0], np.cumsum(leg_s)])
    total = float(leg_t0[-1])
    rel = np.arange(0.0, total, flight.report_every_s)
    rel = np.append(rel, total) if rel.size == 0 or rel[-1] < total - 1e-9 else rel
    leg = np.clip(np.searchsorted(leg_t0, rel, side="right") - 1, 0, len(wp) - 2)
    tau = rel - leg_t0[leg]
    dist = np.minimum(speed[leg] * tau, length[leg])
    heading = bearing_deg(lat[leg], lon[leg], lat[leg + 1], lon[leg + 1])
    plat, plon = destination(lat[leg], lon[leg], heading, dist)
    # the track is the great circle's direction here: towards the leg's end, or on
    # arriving there, the reverse of the bearing back to the leg's start
    arrived = length[leg] - dist < 1.0
    onward = bearing_deg(plat, plon, lat[leg + 1], lon[leg + 1])
    final = (bearing_deg(lat[leg + 1], lon[leg + 1], lat[leg], lon[leg]) + 180.0) % 360.0
    track = np.where(arrived, final, onward)
    dalt = alt[leg + 1] - alt[leg]
    steady = np.where(leg_s[leg] > 0, dalt / np.where(leg_s[leg] > 0, leg_s[leg], 1.0), 0.0)
    rate = np.where(np.isnan(climb[leg]), np.abs(steady), climb[leg])
    reach_s = np.abs(dalt) / np.where(rate > 0, rate, np.inf)
    climbing = tau < reach_s - 1e-9
    vs = np.where(climbing, np.sign(dalt) * rate, 0.0)
    palt = alt[leg] + np.sign(dalt) * rate * np.minimum(tau, reach_s)
    return FlightStates(
        time_s=start_s + rel,
        lat_deg=np.asarray(plat, dtype=np.float64),
        lon_deg=np.asarray(plon, dtype=np.float64),
        alt_m=np.asarray(palt, dtype=np.float64),
        gs_mps=np.asarray(speed[leg], dtype=np.float64),
        track_deg=np.asarray(track, dtype=np.float64),
        vs_mps=np.asarray(vs, dtype=np.float64),
    )
