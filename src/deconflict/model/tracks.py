""":class:`Tracks`: the structure-of-arrays form every detector takes (one row per asset);
:class:`TrackReport`: one track as a party or a feed reports it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InvalidInput
from ..geo import dead_reckon
from ..timefmt import iso_ms
from .vocab import F64, TRACK_COLUMNS


def _float_column(name: str, values: ArrayLike, n: int) -> F64:
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"column {name!r}: not numeric ({exc})") from exc
    if arr.ndim != 1:
        raise InvalidInput(f"column {name!r}: expected a 1-d array, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise InvalidInput(f"column {name!r}: length {arr.shape[0]}, expected {n}")
    return arr


@dataclass(frozen=True, eq=False)
class Tracks:
    """The states of n tracks at one instant; immutable.

    Attributes
    ----------
    id, party : ndarray of str, shape (n,)
        Unique track ids, and the party reporting each.
    lat_deg, lon_deg : ndarray of float64, shape (n,)
        WGS84 degrees; lat_deg in [-90, 90], lon_deg in [-180, 180] (a states file's
        ``lat`` and ``lon`` columns).
    alt_m : ndarray of float64, shape (n,)
        Altitude, metres.
    gs_mps : ndarray of float64, shape (n,)
        Ground speed, m/s, >= 0.
    track_deg : ndarray of float64, shape (n,)
        True track, degrees clockwise from north.
    vs_mps : ndarray of float64, shape (n,)
        Vertical speed, m/s, positive up.

    Every float must be finite; ids must be unique and non-empty. The columns are copies
    of what was given, and read-only: writing to the caller's arrays afterwards changes
    nothing here, and writing to these raises ``ValueError``.

    >>> t = Tracks(id=["a", "b"], party=["p", "q"], lat_deg=[0, 0], lon_deg=[0, 0.1],
    ...            alt_m=[3000, 3000], gs_mps=[100, 100], track_deg=[90, 270], vs_mps=[0, 0])
    >>> len(t), t.lat_deg.flags.writeable
    (2, False)
    """

    id: NDArray[np.str_]
    party: NDArray[np.str_]
    lat_deg: F64
    lon_deg: F64
    alt_m: F64
    gs_mps: F64
    track_deg: F64
    vs_mps: F64
    row_labels: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    """Where each row came from (e.g. ``"line 7"``), for error messages; optional."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = TRACK_COLUMNS[2:]
    """The float columns of a states file (``lat``, ``lon``, ``alt_m``, ...)."""
    FLOAT_FIELDS: ClassVar[tuple[str, ...]] = ("lat_deg", "lon_deg", *TRACK_COLUMNS[4:])
    """The attributes holding them, in the same order (``lat_deg``, ``lon_deg``, ...)."""

    def __init__(
        self,
        *,
        id: ArrayLike,
        party: ArrayLike,
        lat_deg: ArrayLike,
        lon_deg: ArrayLike,
        alt_m: ArrayLike,
        gs_mps: ArrayLike,
        track_deg: ArrayLike,
        vs_mps: ArrayLike,
        row_labels: Sequence[str] | None = None,
    ) -> None:
        ids = np.array(id, dtype=np.str_, copy=True)
        if ids.ndim != 1:
            raise InvalidInput(f"column 'id': expected a 1-d array, got shape {ids.shape}")
        n = ids.shape[0]
        parties = np.array(party, dtype=np.str_, copy=True)
        if parties.shape != (n,):
            raise InvalidInput(f"column 'party': length {parties.size}, expected {n}")
        columns: dict[str, NDArray[Any]] = {"id": ids, "party": parties}
        floats = {
            "lat_deg": lat_deg,
            "lon_deg": lon_deg,
            "alt_m": alt_m,
            "gs_mps": gs_mps,
            "track_deg": track_deg,
            "vs_mps": vs_mps,
        }
        for name, values in floats.items():
            columns[name] = _float_column(name, values, n)
        for name, arr in columns.items():
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        labels = None if row_labels is None else tuple(row_labels)
        if labels is not None and len(labels) != n:
            raise InvalidInput(f"row_labels: length {len(labels)}, expected {n}")
        object.__setattr__(self, "row_labels", labels)
        self._validate()

    @classmethod
    def empty(cls) -> Tracks:
        """No tracks."""
        e = np.empty(0)
        return cls(id=[], party=[], lat_deg=e, lon_deg=e, alt_m=e, gs_mps=e, track_deg=e, vs_mps=e)

    def _where(self, i: int) -> str:
        if self.row_labels is not None:
            return self.row_labels[i]
        return f"row {i}"

    def _column(self, name: str) -> str:
        """How an error names field ``name``: as the file's column (``lat``) for rows read
        from a file (labelled), else as the field (``lat_deg``)."""
        if self.row_labels is not None:
            return self.FLOAT_COLUMNS[self.FLOAT_FIELDS.index(name)]
        return name

    def _validate(self) -> None:
        for name in self.FLOAT_FIELDS:
            arr = getattr(self, name)
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                i = int(bad[0])
                raise InvalidInput(
                    f"{self._where(i)}, column {self._column(name)!r}: {arr[i]} is not finite"
                )
        checks = (
            ("lat_deg", np.abs(self.lat_deg) > 90.0, "latitude outside [-90, 90]"),
            ("lon_deg", np.abs(self.lon_deg) > 180.0, "longitude outside [-180, 180]"),
            ("gs_mps", self.gs_mps < 0.0, "negative ground speed"),
        )
        for name, mask, what in checks:
            bad = np.flatnonzero(mask)
            if bad.size:
                i = int(bad[0])
                value = getattr(self, name)[i]
                raise InvalidInput(
                    f"{self._where(i)}, column {self._column(name)!r}: {what} ({value})"
                )
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
            lat_deg=self.lat_deg[idx],
            lon_deg=self.lon_deg[idx],
            alt_m=self.alt_m[idx],
            gs_mps=self.gs_mps[idx],
            track_deg=self.track_deg[idx],
            vs_mps=self.vs_mps[idx],
            row_labels=labels,
        )

    def advanced(self, dt_s: ArrayLike) -> Tracks:
        """The tracks dead-reckoned ``dt_s`` seconds on (:func:`~deconflict.geo.dead_reckon`).

        ``dt_s`` is a float or an array of shape (n,) (one per track, seconds, may be
        negative). Each track flies its great circle at constant ground and vertical
        speed; its ``track_deg`` becomes the great circle's direction where it arrives,
        so ``t.advanced(a).advanced(b)`` is ``t.advanced(a + b)``.

        >>> t = Tracks(id=["a"], party=["p"], lat_deg=[0.0], lon_deg=[0.0], alt_m=[1000.0],
        ...            gs_mps=[100.0], track_deg=[90.0], vs_mps=[-5.0])
        >>> a = t.advanced(10.0)
        >>> round(float(a.lon_deg[0]), 6), float(a.alt_m[0])
        (0.008993, 950.0)
        """
        dt = np.asarray(dt_s, dtype=np.float64)
        if dt.ndim > 1 or (dt.ndim == 1 and dt.shape[0] != len(self)):
            raise InvalidInput(f"dt_s: expected a number or shape ({len(self)},), got {dt.shape}")
        if not np.isfinite(dt).all():
            raise InvalidInput("dt_s: must be finite")
        lat, lon, alt, trk = dead_reckon(
            self.lat_deg, self.lon_deg, self.alt_m, self.gs_mps, self.track_deg, self.vs_mps, dt
        )
        return Tracks(
            id=self.id,
            party=self.party,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            gs_mps=self.gs_mps,
            track_deg=trk,
            vs_mps=self.vs_mps,
            row_labels=self.row_labels,
        )

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> Tracks:
        """Read a states file (CSV with a header, optionally gzip-compressed).

        Raises :class:`~deconflict.errors.InvalidInput` naming the file, line and column
        of the first bad value.
        """
        from ..csvtable import read_table

        table = read_table(path, TRACK_COLUMNS[:2], cls.FLOAT_COLUMNS)
        numbers = dict(zip(cls.FLOAT_FIELDS, cls.FLOAT_COLUMNS, strict=True))
        return cls(
            id=table.text["id"],
            party=table.text["party"],
            row_labels=table.labels,
            **{name: table.numbers[column] for name, column in numbers.items()},
        )


@dataclass(frozen=True, slots=True)
class TrackReport:
    """One track as reported: id, time (POSIX s) and state (degrees, m, m/s, track true).

    The service makes it from a party's report once every number is checked
    (:func:`deconflict.service.reports.parse_track_reports`); a feed from a decoder's
    table (:mod:`deconflict.feeds.state`), checking its bounds before it posts.
    """

    id: str
    time_s: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    gs_mps: float
    track_deg: float
    vs_mps: float
    time_text: str | None = None
    """The time as reported (ISO 8601), kept for the record; None: made from ``time_s``."""

    def row(self) -> tuple[str, float, float, float, float, float, float, float]:
        """``(id, time_s, lat_deg, lon_deg, alt_m, gs_mps, track_deg, vs_mps)``."""
        return (
            self.id,
            self.time_s,
            self.lat_deg,
            self.lon_deg,
            self.alt_m,
            self.gs_mps,
            self.track_deg,
            self.vs_mps,
        )

    def to_json(self) -> dict[str, Any]:
        """The track object as logged: the reported time text and the numbers.

        >>> TrackReport("4ca2d6", 0.25, 51.5, -0.25, 11000.0, 230.0, 90.0, 0.0).to_json()["time"]
        '1970-01-01T00:00:00.250Z'
        """
        return {
            "id": self.id,
            "time": self.time_text if self.time_text is not None else iso_ms(self.time_s),
            "lat": self.lat_deg,
            "lon": self.lon_deg,
            "alt_m": self.alt_m,
            "gs_mps": self.gs_mps,
            "track_deg": self.track_deg,
            "vs_mps": self.vs_mps,
        }
