"""The words of the domain: track columns, rule actions, zone statuses, position kinds,
languages, alert kinds."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..kinds import NAMES

TRACK_COLUMNS: tuple[str, ...] = (
    "id",
    "party",
    "lat",
    "lon",
    "alt_m",
    "gs_mps",
    "track_deg",
    "vs_mps",
)
"""The columns a states file must have (more are allowed and ignored)."""

ACTIONS = ("advisory", "notify", "forbid")
"""Rule actions, in increasing severity."""
STATUSES = ("claimed", "agreed")
"""Zone statuses: claimed by one party, or agreed by every party named."""
SIDES = ("left", "right", "west", "east", "north", "south")
"""Sides of a side-of-a-line zone."""
POSITION_KINDS = ("forces", "protected")
"""Kinds of declared position."""
LANGUAGES = ("en", "ru", "ar")
"""Languages a party may read its alerts in."""
ALERT_KINDS = NAMES
"""Every kind of :class:`Alert` (the registry's, :mod:`~deconflict.kinds`)."""
AREA_TYPES = ("Polygon", "MultiPolygon")
"""GeoJSON geometry types that are areas by themselves."""

F64 = NDArray[np.float64]
_REAL = (int, float)
