"""A planned ground movement: a convoy route, its corridor width and its time window.

A movement is declared as an intent Feature with a LineString geometry and the
properties ``id``, ``party``, ``kind: "movement"``, ``width_m``, ``start``, ``end``
(docs/zones.md, "Movements"). The corridor is every point within ``width_m / 2`` of the
route (great-circle segments between its vertices) during ``[start, end]``.

The record checks its own meaning against :data:`~deconflict.bounds.MOVEMENT_BOUNDS`:
2 to :data:`~deconflict.bounds.MOVEMENT_MAX_VERTICES` vertices, the width, the route's
length on the sphere and the window's duration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .bounds import DECLARATION_BOUNDS, MAX_ID_CHARS, MOVEMENT_BOUNDS, MOVEMENT_MAX_VERTICES
from .geo import haversine_m
from .model import Geometry
from .model.checks import _where

__all__ = ["Movement", "route_length_m"]


def route_length_m(geometry: Geometry) -> float:
    """The length of a LineString along its great-circle segments, metres."""
    c = np.asarray(geometry.coordinates, dtype=np.float64)
    return float(haversine_m(c[:-1, 1], c[:-1, 0], c[1:, 1], c[1:, 0]).sum())


@dataclass(frozen=True)
class Movement:
    """A planned ground movement: ``route`` a LineString of (lon, lat) degrees,
    ``width_m`` the corridor's whole width (metres), window ``start_s``..``end_s``
    (POSIX s)."""

    id: str
    party: str
    route: Geometry
    width_m: float
    start_s: float
    end_s: float
    name: str = ""
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        c = _where(self.where, "movement", self.id)
        c.text("id", self.id, MAX_ID_CHARS)
        c.text("party", self.party, MAX_ID_CHARS)
        if not isinstance(self.route, Geometry) or self.route.type != "LineString":
            c.fail("geometry", "a movement's route is a LineString")
        n = len(self.route.coordinates)
        if not 2 <= n <= MOVEMENT_MAX_VERTICES:
            c.fail("geometry", f"{n} vertices; a route has 2 to {MOVEMENT_MAX_VERTICES}")
        c.number("width_m", self.width_m, bound=MOVEMENT_BOUNDS["width_m"])
        c.interval("start", "end", self.start_s, self.end_s, False, DECLARATION_BOUNDS["time_s"])
        if self.end_s <= self.start_s:
            c.fail("end", "must be after 'start' (a movement's window is not empty)")
        c.number("end", self.end_s - self.start_s, bound=MOVEMENT_BOUNDS["duration_s"])
        length = route_length_m(self.route)
        c.number("geometry", length, bound=MOVEMENT_BOUNDS["length_m"])

    @property
    def lat_deg(self) -> np.ndarray:
        """The route's vertex latitudes, degrees, shape (n,)."""
        return np.array([p[1] for p in self.route.coordinates], dtype=np.float64)

    @property
    def lon_deg(self) -> np.ndarray:
        """The route's vertex longitudes, degrees, shape (n,)."""
        return np.array([p[0] for p in self.route.coordinates], dtype=np.float64)
