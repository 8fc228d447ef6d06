"""Typed records of the picture, as columns of arrays.

:class:`Tracks` is the structure-of-arrays form every detector takes: one row per asset,
SI units except lat/lon/track in degrees. It validates on construction, so a detector
never sees NaN, an impossible latitude or a duplicate id.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InvalidInput

__all__ = ["TRACK_COLUMNS", "Tracks"]

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

F64 = NDArray[np.float64]


def _float_column(name: str, values: ArrayLike, n: int | None) -> F64:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"column {name!r}: not numeric ({exc})") from exc
    if arr.ndim != 1:
        raise InvalidInput(f"column {name!r}: expected a 1-d array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise InvalidInput(f"column {name!r}: length {arr.shape[0]}, expected {n}")
    return arr


@dataclass(frozen=True)
class Tracks:
    """The states of n tracks at one instant.

    Attributes
    ----------
    id, party : ndarray of str, shape (n,)
        Unique track ids, and the party reporting each.
    lat, lon : ndarray of float64, shape (n,)
        WGS84 degrees; lat in [-90, 90], lon any finite value (wrapped where used).
    alt_m : ndarray of float64, shape (n,)
        Altitude, metres.
    gs_mps : ndarray of float64, shape (n,)
        Ground speed, m/s, >= 0.
    track_deg : ndarray of float64, shape (n,)
        True track, degrees clockwise from north.
    vs_mps : ndarray of float64, shape (n,)
        Vertical speed, m/s, positive up.

    Every float must be finite; ids must be unique and non-empty.

    >>> t = Tracks(id=["a", "b"], party=["p", "q"], lat=[0, 0], lon=[0, 0.1],
    ...            alt_m=[3000, 3000], gs_mps=[100, 100], track_deg=[90, 270], vs_mps=[0, 0])
    >>> len(t)
    2
    """

    id: NDArray[np.str_]
    party: NDArray[np.str_]
    lat: F64
    lon: F64
    alt_m: F64
    gs_mps: F64
    track_deg: F64
    vs_mps: F64
    row_labels: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    """Where each row came from (e.g. ``"line 7"``), for error messages; optional."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = TRACK_COLUMNS[2:]

    def __init__(
        self,
        *,
        id: ArrayLike,
        party: ArrayLike,
        lat: ArrayLike,
        lon: ArrayLike,
        alt_m: ArrayLike,
        gs_mps: ArrayLike,
        track_deg: ArrayLike,
        vs_mps: ArrayLike,
        row_labels: tuple[str, ...] | None = None,
    ) -> None:
        ids = np.asarray(id, dtype=np.str_)
        if ids.ndim != 1:
            raise InvalidInput(f"column 'id': expected a 1-d array, got shape {ids.shape}")
        n = ids.shape[0]
        parties = np.asarray(party, dtype=np.str_)
        if parties.shape != (n,):
            raise InvalidInput(f"column 'party': length {parties.size}, expected {n}")
        object.__setattr__(self, "id", ids)
        object.__setattr__(self, "party", parties)
        floats = {
            "lat": lat,
            "lon": lon,
            "alt_m": alt_m,
            "gs_mps": gs_mps,
            "track_deg": track_deg,
            "vs_mps": vs_mps,
        }
        for name, values in floats.items():
            object.__setattr__(self, name, _float_column(name, values, n))
        object.__setattr__(self, "row_labels", row_labels)
        self._validate()

    def _where(self, i: int) -> str:
        if self.row_labels is not None:
            return self.row_labels[i]
        return f"row {i}"

    def _validate(self) -> None:
        for name in self.FLOAT_COLUMNS:
            arr = getattr(self, name)
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                i = int(bad[0])
                raise InvalidInput(f"{self._where(i)}, column {name!r}: {arr[i]} is not finite")
        checks = (
            ("lat", np.abs(self.lat) > 90.0, "latitude outside [-90, 90]"),
            ("gs_mps", self.gs_mps < 0.0, "negative ground speed"),
        )
        for name, mask, what in checks:
            bad = np.flatnonzero(mask)
            if bad.size:
                i = int(bad[0])
                value = getattr(self, name)[i]
                raise InvalidInput(f"{self._where(i)}, column {name!r}: {what} ({value})")
        empty = np.flatnonzero(np.char.str_len(self.id) == 0)
        if empty.size:
            raise InvalidInput(f"{self._where(int(empty[0]))}, column 'id': empty id")
        if self.id.size:
            order = np.argsort(self.id, kind="stable")
            sorted_ids = self.id[order]
            dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
            if dup.size:
                first, second = int(order[dup[0]]), int(order[dup[0] + 1])
                raise InvalidInput(
                    f"{self._where(max(first, second))}, column 'id': duplicate id "
                    f"{str(self.id[first])!r} (first at {self._where(min(first, second))})"
                )

    def __len__(self) -> int:
        return int(self.id.shape[0])

    def take(self, index: ArrayLike) -> Tracks:
        """The tracks at ``index`` (integer indices or a boolean mask), in that order."""
        idx = np.asarray(index)
        labels = None
        if self.row_labels is not None:
            positions = np.flatnonzero(idx) if idx.dtype == bool else idx
            labels = tuple(self.row_labels[int(i)] for i in positions)
        return Tracks(
            id=self.id[idx],
            party=self.party[idx],
            lat=self.lat[idx],
            lon=self.lon[idx],
            alt_m=self.alt_m[idx],
            gs_mps=self.gs_mps[idx],
            track_deg=self.track_deg[idx],
            vs_mps=self.vs_mps[idx],
            row_labels=labels,
        )

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> Tracks:
        """Read a states file (CSV with a header, optionally gzip-compressed).

        Raises :class:`~deconflict.errors.InvalidInput` naming the file, line and column
        of the first bad value.
        """
        from .trackio import read_states

        return read_states(path)
