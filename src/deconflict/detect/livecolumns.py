"""The per-slot table of :class:`~deconflict.detect.live.LivePairs`: one row per slot,
each column a numpy array, grown and reordered whole."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .arrays import F32, F64, I64, B

__all__ = ["SlotColumns"]


@dataclass(frozen=True)
class SlotColumns:
    """Per-slot arrays of a :class:`LivePairs`, ``cap`` rows each.

    The state as given (degrees, m, m/s) and when it is valid (``time``, s); the party
    ``group``; flags; the standing ``box`` (8, float32, :mod:`~.kernels` layout) and the
    ``motion`` record of :func:`~.livescan.candidates` (12), valid from ``epoch`` (s).
    """

    lat_deg: F64
    lon_deg: F64
    alt: F64
    gs: F64
    trk: F64
    vs: F64
    time: F64
    epoch: F64
    group: I64
    alive: B
    in_grid: B
    is_query: B
    is_pending: B
    box: F32
    motion: F64

    @property
    def cap(self) -> int:
        return int(self.lat_deg.shape[0])

    @classmethod
    def empty(cls, cap: int) -> SlotColumns:
        """``cap`` free slots."""

        def f64() -> F64:
            return np.zeros(cap)

        def flag() -> B:
            return np.zeros(cap, dtype=np.bool_)

        return cls(
            lat_deg=f64(), lon_deg=f64(), alt=f64(), gs=f64(), trk=f64(), vs=f64(), time=f64(),
            epoch=f64(), group=np.full(cap, -1, dtype=np.int64), alive=flag(),
            in_grid=flag(), is_query=flag(), is_pending=flag(),
            box=np.zeros((cap, 8), dtype=np.float32), motion=np.zeros((cap, 12)),
        )  # fmt: skip

    def resized(self, cap: int) -> SlotColumns:
        """The same slots in a table of ``cap`` rows (``cap`` >= the rows held)."""
        out = SlotColumns.empty(cap)
        for f in fields(self):
            getattr(out, f.name)[: self.cap] = getattr(self, f.name)
        return out

    def reordered(self, rows: I64) -> SlotColumns:
        """A table of the same size whose slot k is slot ``rows[k]`` of this one; the
        slots after the last row are free."""
        out = SlotColumns.empty(self.cap)
        for f in fields(self):
            getattr(out, f.name)[: rows.shape[0]] = getattr(self, f.name)[rows]
        return out
