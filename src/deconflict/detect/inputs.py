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
* Every number lies in the detectors' domain (:mod:`deconflict.bounds`): speeds,
  altitudes, durations and lengths whose arithmetic stays finite. A value outside it is
  refused (:func:`check_tracks`, :func:`check_duration`, :func:`check_length`), so every
  detector returns in a time bounded by its input's size, never by its values.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..bounds import MAX_ALTITUDE_M, MAX_LENGTH_M, MAX_SECONDS, MAX_SPEED_MPS
from ..errors import InvalidInput
from ..model import Tracks
from .arrays import F64

__all__ = [
    "DEFAULT_LOOKAHEAD_S",
    "check_duration",
    "check_length",
    "check_lengths",
    "check_lookahead",
    "check_now",
    "check_states",
    "check_tracks",
    "no_nan",
    "no_nan_in",
]

DEFAULT_LOOKAHEAD_S = 300.0
"""Default horizon of the detectors that move tracks, seconds."""


def check_now(now_s: float) -> float:
    """``now_s`` as a float; it must be finite POSIX seconds."""
    if isinstance(now_s, bool) or not isinstance(now_s, int | float) or not math.isfinite(now_s):
        raise InvalidInput(f"now_s must be finite POSIX seconds, got {now_s!r}")
    return float(now_s)


def check_lookahead(lookahead_s: float) -> float:
    """``lookahead_s`` as a float; it must be a finite number of seconds >= 0, at most
    :data:`~deconflict.bounds.MAX_SECONDS`."""
    ok = isinstance(lookahead_s, int | float) and not isinstance(lookahead_s, bool)
    if not ok or not math.isfinite(lookahead_s) or lookahead_s < 0:
        raise InvalidInput(f"lookahead_s must be a number of seconds >= 0, got {lookahead_s!r}")
    return check_duration("lookahead_s", float(lookahead_s))


def check_duration(name: str, seconds: float) -> float:
    """``seconds`` unless it is beyond :data:`~deconflict.bounds.MAX_SECONDS`."""
    if seconds > MAX_SECONDS:
        raise InvalidInput(
            f"{name}: {seconds:g} s is beyond what the detectors take (at most {MAX_SECONDS:g} s)"
        )
    return seconds


def check_length(name: str, metres: float) -> float:
    """``metres`` unless it is beyond :data:`~deconflict.bounds.MAX_LENGTH_M`."""
    if metres > MAX_LENGTH_M:
        raise InvalidInput(
            f"{name}: {metres:g} m is beyond what the detectors take (at most {MAX_LENGTH_M:g} m)"
        )
    return metres


def check_lengths(what: str, **columns: F64) -> None:
    """Raise :class:`InvalidInput` naming the first column holding a length (m) beyond
    :data:`~deconflict.bounds.MAX_LENGTH_M`."""
    for name, arr in columns.items():
        bad = np.flatnonzero(np.abs(arr) > MAX_LENGTH_M)
        if bad.size:
            raise InvalidInput(
                f"{what}: column {name!r}: {float(arr[bad[0]]):g} m is beyond what the "
                f"detectors take (at most {MAX_LENGTH_M:g} m)"
            )


def _beyond(alt_m: F64, gs_mps: F64, vs_mps: F64) -> tuple[int, str, float, str] | None:
    """The first row (and column, value, bound) outside the detectors' domain, if any."""
    for name, values, limit, unit in (
        ("alt_m", alt_m, MAX_ALTITUDE_M, "m"),
        ("gs_mps", gs_mps, MAX_SPEED_MPS, "m/s"),
        ("vs_mps", vs_mps, MAX_SPEED_MPS, "m/s"),
    ):
        bad = np.flatnonzero(~(np.abs(values) <= limit))
        if bad.size:
            return int(bad[0]), name, float(values[bad[0]]), f"|{name}| <= {limit:g} {unit}"
    return None


def check_tracks(tracks: Tracks) -> Tracks:
    """``tracks`` unless an altitude or speed is beyond the detectors' domain
    (:mod:`deconflict.bounds`); the error names the row and column.

    >>> t = Tracks(id=["a"], party=["p"], lat_deg=[0.0], lon_deg=[0.0], alt_m=[0.0],
    ...            gs_mps=[1e20], track_deg=[0.0], vs_mps=[0.0])
    >>> check_tracks(t)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    deconflict.errors.InvalidInput: row 0, column 'gs_mps': 1e+20 is beyond ... <= 100000 m/s)
    """
    found = _beyond(tracks.alt_m, tracks.gs_mps, tracks.vs_mps)
    if found is not None:
        i, name, value, bound = found
        where = tracks.row_labels[i] if tracks.row_labels is not None else f"row {i}"
        raise InvalidInput(
            f"{where}, column {name!r}: {value:g} is beyond what the detectors take ({bound})"
        )
    return tracks


def check_states(
    id_of: Callable[[int], str], lat: F64, lon: F64, track_deg: F64, alt_m: F64, gs_mps: F64,
    vs_mps: F64, when: str,
) -> None:  # fmt: skip
    """Refuse states made by dead reckoning (``when``: to what time) that left the
    detectors' domain or are not finite; the error names the track (``id_of(k)``, k its
    position in the arrays)."""
    lost = np.flatnonzero(~(np.isfinite(lat) & np.isfinite(lon) & np.isfinite(track_deg)))
    if lost.size:
        raise InvalidInput(f"track {id_of(int(lost[0]))!r} dead-reckoned {when}: no position")
    found = _beyond(alt_m, gs_mps, vs_mps)
    if found is not None:
        i, name, value, bound = found
        raise InvalidInput(
            f"track {id_of(i)!r} dead-reckoned {when}: {name} {value:g} is beyond what the "
            f"detectors take ({bound})"
        )


def no_nan(what: str, **columns: F64) -> None:
    """Raise :class:`InvalidInput` naming the first column holding NaN.

    >>> no_nan("zone set", radius_m=np.array([1.0, np.nan]))
    Traceback (most recent call last):
    ...
    deconflict.errors.InvalidInput: zone set: column 'radius_m' holds NaN
    """
    for name, arr in columns.items():
        if np.isnan(arr).any():
            raise InvalidInput(f"{what}: column {name!r} holds NaN")


def no_nan_in(what: str, record: object, *names: str) -> None:
    """:func:`no_nan` on the attributes ``names`` of ``record``, in that order."""
    no_nan(what, **{name: getattr(record, name) for name in names})
