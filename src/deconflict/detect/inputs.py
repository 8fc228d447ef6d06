"""The conventions every detector follows, and the checks that enforce them.

* ``now_s``, the present in POSIX seconds, is a **required keyword** of every detector
  whose inputs carry time windows (zone validity, intent and strike windows, position
  validity); there is no default.
* ``lookahead_s`` is the horizon, seconds >= 0, of every detector that moves tracks
  (default 300). Only :func:`deconflict.detect.separation.detect` keeps its published
  keyword names (``lookahead``, ``h_sep``, ``v_sep``).
* Results index the inputs: ``int64`` arrays of row numbers of the
  :class:`~deconflict.model.Tracks` given and of positions in the sequence of records a
  detector set was made from (``ZoneSet.from_zones(zones)``: ``zone`` k is ``zones[k]``).
* No NaN: records and :class:`~deconflict.model.Tracks` are validated when built;
  detector sets may also be built by hand from arrays, so they are checked for NaN
  (``±inf`` is allowed: it marks an open bound). NaN never silently drops a row.
* Empty inputs (no tracks, no zones, ...) give an empty result, never an error.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ..errors import InvalidInput

__all__ = ["DEFAULT_LOOKAHEAD_S", "check_lookahead", "check_now", "no_nan"]

DEFAULT_LOOKAHEAD_S = 300.0
"""Default horizon of the detectors that move tracks, seconds."""


def check_now(now_s: float) -> float:
    """``now_s`` as a float; it must be finite POSIX seconds."""
    if isinstance(now_s, bool) or not isinstance(now_s, int | float) or not math.isfinite(now_s):
        raise InvalidInput(f"now_s must be finite POSIX seconds, got {now_s!r}")
    return float(now_s)


def check_lookahead(lookahead_s: float) -> float:
    """``lookahead_s`` as a float; it must be a finite number of seconds >= 0."""
    ok = isinstance(lookahead_s, int | float) and not isinstance(lookahead_s, bool)
    if not ok or not math.isfinite(lookahead_s) or lookahead_s < 0:
        raise InvalidInput(f"lookahead_s must be a number of seconds >= 0, got {lookahead_s!r}")
    return float(lookahead_s)


def no_nan(what: str, **columns: NDArray[np.float64]) -> None:
    """Raise :class:`InvalidInput` naming the first column holding NaN.

    >>> no_nan("zone set", radius_m=np.array([1.0, np.nan]))
    Traceback (most recent call last):
    ...
    deconflict.errors.InvalidInput: zone set: column 'radius_m' holds NaN
    """
    for name, arr in columns.items():
        if np.isnan(arr).any():
            raise InvalidInput(f"{what}: column {name!r} holds NaN")
