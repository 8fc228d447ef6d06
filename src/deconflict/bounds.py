"""Numeric bounds, in one place: what a party may report, and what a detector takes.

Two sets of bounds, both closed ranges in SI units (degrees for angles):

* :data:`TRACK_BOUNDS`, the physical envelope of anything sharing airspace. The service
  refuses a track report with a number outside it (400 naming the field and the bound).
* The detectors' domain (:data:`MAX_SPEED_MPS` and the rest), far wider: the values
  for which every detector's arithmetic stays finite (the swept boxes are float32) and
  its cost bounded. A detector given a value outside it raises
  :class:`~deconflict.errors.InvalidInput` naming it; inside it every detector returns.
  Service input within :data:`TRACK_BOUNDS` dead-reckoned for days stays inside it.

The bounds of the declaration format (:data:`DECLARATION_BOUNDS` and the sizes of texts
and lists below it) are checked by the records of :mod:`deconflict.model` and by
:mod:`deconflict.features`, so ``deconflict check``, scenarios and the service refuse
the same declarations with the same messages.

>>> TRACK_BOUNDS["gs_mps"]
Range(lo=0.0, hi=1500.0, unit='m/s')
>>> str(TRACK_BOUNDS["alt_m"])
'[-1000, 100000] m'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "DECLARATION_BOUNDS",
    "MAX_ALTITUDE_M",
    "MAX_ID_CHARS",
    "MAX_LENGTH_M",
    "MAX_LIST",
    "MAX_NAME_CHARS",
    "MAX_OTHER_PROPERTIES",
    "MAX_PARTS",
    "MAX_SECONDS",
    "MAX_SPEED_MPS",
    "MAX_TEXT_CHARS",
    "MAX_TIME_CHARS",
    "MIN_LENGTH_M",
    "MOVEMENT_BOUNDS",
    "MOVEMENT_MAX_VERTICES",
    "TIME_WINDOW",
    "TRACK_BOUNDS",
    "Range",
]


@dataclass(frozen=True)
class Range:
    """A closed range ``[lo, hi]`` of one quantity, in ``unit``."""

    lo: float
    hi: float
    unit: str

    def __contains__(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def __str__(self) -> str:
        return f"[{self.lo:g}, {self.hi:g}]" + (f" {self.unit}" if self.unit else "")


TRACK_BOUNDS: Mapping[str, Range] = {
    "lat": Range(-90.0, 90.0, "deg"),
    "lon": Range(-180.0, 180.0, "deg"),
    "alt_m": Range(-1000.0, 100_000.0, "m"),
    "gs_mps": Range(0.0, 1500.0, "m/s"),
    "track_deg": Range(0.0, 360.0, "deg"),
    "vs_mps": Range(-500.0, 500.0, "m/s"),
}
"""Each numeric field of a track report (docs/service.md, "Bounds", says why each)."""

MAX_SPEED_MPS = 1e5
"""Largest ground speed and absolute vertical speed a detector takes, m/s."""
MAX_ALTITUDE_M = 1e9
"""Largest absolute altitude a detector takes (also after dead reckoning), m."""
MAX_SECONDS = 1e6
"""Longest lookahead (and standing-box slack) a detector takes, s."""
MAX_LENGTH_M = 1e9
"""Largest separation minimum, zone, volume or strike radius a detector takes, m."""
MIN_LENGTH_M = 1e-3
"""Smallest separation minimum or radius a detector takes, m (1 mm): below it the cells
of a grid would outnumber what an int64 can count."""

# -- declarations: positions, intents (strikes, volumes) and zones ----------------------

DECLARATION_BOUNDS: Mapping[str, Range] = {
    "radius_m": Range(0.0, 2_500_000.0, "m"),
    "margin_m": Range(0.0, 2_500_000.0, "m"),
    "lead_s": Range(0.0, 604_800.0, "s"),
    "alt_m": Range(-1000.0, 100_000.0, "m"),
    "time_s": Range(0.0, 4_102_444_800.0, "s"),
}
"""The numbers of a declaration (docs/zones.md, "Bounds"): a radius or margin reaches at
most as far as an area may (2,500 km from its centre); a lead time is at most a week;
``alt_m`` bounds ``alt_min_m``, ``alt_max_m`` and a position's third coordinate, as for a
track; ``time_s`` every time (``valid_from``, ``valid_to``, ``start``, ``end``, a consent's
``time``): from 1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z, POSIX seconds."""

TIME_WINDOW = "1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z"
""":data:`DECLARATION_BOUNDS` ``time_s``, as ISO 8601 text for messages."""
MAX_TIME_CHARS = 64
"""Longest ISO 8601 time text, characters."""
MAX_ID_CHARS = 64
"""Longest id or party name in a declaration, characters."""
MAX_NAME_CHARS = 200
"""Longest ``name``, characters."""
MAX_TEXT_CHARS = 1000
"""Longest other property of a declaration (free text such as ``provenance`` or ``note``):
a string's characters, any other value's characters written as JSON."""
MAX_OTHER_PROPERTIES = 16
"""Most properties of a declaration besides those of the format (and as many members of a
Feature or geometry object besides the GeoJSON ones)."""
MAX_LIST = 100
"""Most entries of ``parties``, ``consents`` and ``rules``."""
MAX_PARTS = 10_000
"""Most rings of a Polygon, polygons of a MultiPolygon and lines of a MultiLineString (how
many vertices a declaration may have is the service operator's: docs/service.md)."""

# -- planned ground movements ----------------------------------------------------------

MOVEMENT_BOUNDS: Mapping[str, Range] = {
    "width_m": Range(1.0, 50_000.0, "m"),
    "length_m": Range(0.0, 3_000_000.0, "m"),
    "duration_s": Range(0.0, 30 * 86_400.0, "s"),
}
"""A movement's corridor width (1 m to 50 km, the whole width: the route +-half of it),
its route's length along the sphere (at most 3,000 km) and its window (``end - start``,
at most 30 days)."""
MOVEMENT_MAX_VERTICES = 2000
"""Most vertices of a movement's route (a LineString of at least 2)."""
