"""The domain records: what parties report and plan, and the alerts raised about it.

:class:`Tracks` is the structure-of-arrays form every detector takes: one row per asset,
SI units except lat/lon/track in degrees. The other records are small frozen dataclasses
holding geographic data **as given**: positions in degrees, GeoJSON geometries as
:class:`Geometry` (``[lon, lat]`` degrees, nested tuples), times as POSIX seconds
(``±inf`` where a window is open), altitudes and radii in metres. The projected geometry
the detectors work on is built from these by :mod:`deconflict.detect.areas`.

Every record validates on construction and raises
:class:`~deconflict.errors.InvalidInput` naming the record (its ``where`` when it has one,
e.g. the file and feature it was read from) and the property at fault, with the names of
the GeoJSON format (``docs/zones.md``). So a detector never sees NaN, an impossible
coordinate, a duplicate id or an unknown rule action. The records of declarations also
hold every number, text and list within the bounds of :mod:`deconflict.bounds` (a radius
within 2,500 km, a time between 1970 and 2100, an id of at most 64 characters, ...): an
integer no float holds is invalid input like any other number out of its range.
"""

from __future__ import annotations

from .alert import Alert, alert_key
from .checks import as_real, outside, shown
from .declarations import Country, Party, Position, Rule, Strike, Volume, Zone
from .geometry import Geometry
from .picture import Picture
from .tracks import TrackReport, Tracks
from .vocab import (
    ACTIONS,
    ALERT_KINDS,
    AREA_TYPES,
    LANGUAGES,
    POSITION_KINDS,
    SIDES,
    STATUSES,
    TRACK_COLUMNS,
)

__all__ = [
    "ACTIONS",
    "ALERT_KINDS",
    "AREA_TYPES",
    "LANGUAGES",
    "POSITION_KINDS",
    "SIDES",
    "STATUSES",
    "TRACK_COLUMNS",
    "Alert",
    "Country",
    "Geometry",
    "Party",
    "Picture",
    "Position",
    "Rule",
    "Strike",
    "TrackReport",
    "Tracks",
    "Volume",
    "Zone",
    "alert_key",
    "as_real",
    "outside",
    "shown",
]
