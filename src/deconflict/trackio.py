"""Reading track states from CSV: a snapshot (one row per track) or a recorded history.

A snapshot file has at least the columns of :data:`deconflict.model.TRACK_COLUMNS`.
A history file (e.g. recorded ADS-B) has many rows per aircraft and a ``time`` column
(ISO 8601); ``icao24`` stands in for ``id`` when there is no ``id``, and a file without
``party`` is one party. Either may be gzip-compressed (``.gz``).

Every error names the file, the line (1 = header) and the column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .csvtable import column_index, parse_float, read_rows
from .errors import InvalidInput
from .model import TRACK_COLUMNS, Tracks
from .timefmt import parse_time

__all__ = ["History", "parse_time", "read_history", "read_states"]

FLOAT_COLUMNS = TRACK_COLUMNS[2:]
DEFAULT_PARTY = "default"
"""The party given to every track of a file that has no ``party`` column."""


def read_states(path: str | os.PathLike[str]) -> Tracks:
    """Read a snapshot states file: one row per track (:meth:`Tracks.from_csv`).

    Raises :class:`InvalidInput` for a missing column, a short row, a value that is not a
    finite number, a latitude outside ±90, a longitude outside ±180, a negative speed, a
    duplicate or empty id, or an empty file.
    """
    return Tracks.from_csv(path)


@dataclass(frozen=True)
class History:
    """A recorded track history, sorted by (id, time).

    ``time_s`` is seconds since the Unix epoch, shape (m,); the other columns are as in
    :class:`Tracks`, one entry per recorded state. ``skipped`` counts rows dropped for a
    missing field.
    """

    id: NDArray[np.str_]
    party: NDArray[np.str_]
    time_s: NDArray[np.float64]
    values: NDArray[np.float64]
    """Shape (m, 6): lat, lon, alt_m, gs_mps, track_deg, vs_mps."""
    skipped: int

    @property
    def span(self) -> tuple[float, float]:
        """First and last recorded time, epoch seconds."""
        return float(self.time_s.min()), float(self.time_s.max())

    def at(self, time_s: float, max_age_s: float = 60.0) -> Tracks:
        """Each track's latest state at or before ``time_s``, dead-reckoned to ``time_s``.

        States older than ``max_age_s`` are ignored. Each state moves on by its age with
        :meth:`Tracks.advanced`: along its great circle at the recorded ground speed (its
        track becomes the circle's direction there), altitude at the vertical speed.
        """
        if max_age_s < 0:
            raise InvalidInput(f"max age must be >= 0 s, got {max_age_s}")
        if self.id.size == 0:
            return Tracks.empty()
        starts = np.flatnonzero(np.r_[True, self.id[1:] != self.id[:-1]])
        ends = np.r_[starts[1:], self.id.size]
        # Within each id the times are sorted: find the last index <= time_s per group.
        t0 = float(self.time_s.min())
        span = float(self.time_s.max()) - t0 + 1.0
        group = np.repeat(np.arange(starts.size), ends - starts)
        key = group * span + (self.time_s - t0)
        probe = np.arange(starts.size) * span + min(max(time_s - t0, -0.5), span - 0.5)
        last = np.searchsorted(key, probe, side="right") - 1
        ok = (last >= starts) & (last < ends)
        last = last[ok]
        age = time_s - self.time_s[last]
        fresh = age <= max_age_s
        last, age = last[fresh], age[fresh]
        v = self.values[last]
        recorded = Tracks(
            id=self.id[last],
            party=self.party[last],
            lat_deg=v[:, 0],
            lon_deg=v[:, 1],
            alt_m=v[:, 2],
            gs_mps=v[:, 3],
            track_deg=v[:, 4],
            vs_mps=v[:, 5],
        )
        return recorded.advanced(age)


def _is_missing(text: str) -> bool:
    t = text.strip()
    return not t or t.lower() in ("nan", "null", "none")


def read_history(path: str | os.PathLike[str]) -> History:
    """Read a track history: many rows per track, with a ``time`` column.

    Rows with a missing field (empty, ``nan``, ``null``) are skipped and counted; a field
    that is present but malformed is an error naming its line and column.
    """
    name = os.fspath(path)
    header, rows = read_rows(path)
    id_col = "id" if "id" in header else "icao24"
    wanted: tuple[str, ...] = ("time", id_col, *FLOAT_COLUMNS)
    cols = column_index(name, header, wanted)
    party_col = header.index("party") if "party" in header else None
    width = max([*cols.values(), party_col or 0]) + 1
    ids: list[str] = []
    parties: list[str] = []
    times: list[float] = []
    values: list[list[float]] = []
    skipped = 0
    for line, fields in rows:
        if len(fields) < width or any(_is_missing(fields[i]) for i in cols.values()):
            skipped += 1
            continue
        if party_col is not None and _is_missing(fields[party_col]):
            skipped += 1
            continue
        try:
            t = parse_time(fields[cols["time"]])
        except InvalidInput as exc:
            raise InvalidInput(f"{name}: line {line}, column 'time': {exc}") from None
        row = [parse_float(name, line, c, fields[cols[c]]) for c in FLOAT_COLUMNS]
        if abs(row[0]) > 90.0:
            raise InvalidInput(
                f"{name}: line {line}, column 'lat': latitude outside [-90, 90] ({row[0]})"
            )
        if abs(row[1]) > 180.0:
            raise InvalidInput(
                f"{name}: line {line}, column 'lon': longitude outside [-180, 180] ({row[1]})"
            )
        if row[3] < 0.0:
            raise InvalidInput(
                f"{name}: line {line}, column 'gs_mps': negative ground speed ({row[3]})"
            )
        ids.append(fields[cols[id_col]].strip())
        parties.append(fields[party_col].strip() if party_col is not None else DEFAULT_PARTY)
        times.append(t)
        values.append(row)
    if not ids:
        raise InvalidInput(f"{name}: no complete rows ({skipped} skipped for missing fields)")
    id_arr = np.asarray(ids, dtype=np.str_)
    time_arr = np.asarray(times, dtype=np.float64)
    order = np.lexsort((time_arr, id_arr))
    return History(
        id=id_arr[order],
        party=np.asarray(parties, dtype=np.str_)[order],
        time_s=time_arr[order],
        values=np.asarray(values, dtype=np.float64)[order],
        skipped=skipped,
    )
