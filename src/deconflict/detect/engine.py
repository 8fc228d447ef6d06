"""What the separation backends share: the SI track state, the swept-box bounds, the
raw result and the :class:`Backend` protocol.

Both :mod:`deconflict.detect.separation` (the numpy backend and :func:`detect`) and
:mod:`deconflict.detect.compiled` (the Numba backend) import this module; neither
imports the other's internals.

The method (DESIGN.md, "Separation conflict"). Every track's path over the lookahead,
cut into :data:`SLICES` time slices, is bounded per slice by a box: the straight
tangent-line path in earth-centred axes turned towards the traffic (x, y roughly
horizontal, z roughly up), grown horizontally by :func:`box_growth`, plus an altitude
band grown by half the vertical separation. Two tracks that conflict at a time in a
slice have overlapping boxes in that slice, so only pairs whose boxes overlap go to the
exact test. A pair whose boxes overlap in several slices is tested from the first of
them only, which with "one cell per pair" in the grid makes every pair met once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from ..geo import EARTH_RADIUS_M
from ..model import Tracks
from .arrays import F64, I64, B

__all__ = [
    "SLICES",
    "Backend",
    "RawPairs",
    "Solved",
    "TrackState",
    "box_growth",
    "facing",
    "fewest_doublings",
]


SLICES = 2
"""Time slices of the lookahead in the swept boxes: shorter sweeps, smaller boxes, but
more of them (2 measured fastest at every density benchmarked). Read at each call, so a
test may set it."""

V_MARGIN_M = 1e-3
"""Added to half the vertical separation in the altitude bands: covers rounding."""

MAX_DOUBLINGS = 2200
"""More doublings than separate the smallest float from the largest (2**2098)."""


def fewest_doublings(fits: Callable[[int], bool]) -> int:
    """The least k in ``0 .. MAX_DOUBLINGS`` with ``fits(k)`` (``MAX_DOUBLINGS`` if none),
    for ``fits`` false up to some k and true from there on (a grid's cells doubled k
    times: fewer entries, fewer cells).

    A galloping search: ``fits(0)`` first (the usual answer), then 1, 2, 4, ... and a
    bisection, about 2 log2(k) + 2 calls at most; never a loop whose length depends on
    the values being gridded.

    >>> fewest_doublings(lambda k: k >= 997)
    997
    >>> fewest_doublings(lambda k: True), fewest_doublings(lambda k: False)
    (0, 2200)
    """
    if fits(0):
        return 0
    lo, hi = 0, 1  # fits(lo) is false
    while not fits(hi):
        if hi >= MAX_DOUBLINGS:
            return MAX_DOUBLINGS
        lo, hi = hi, min(2 * hi, MAX_DOUBLINGS)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class TrackState:
    """Tracks as the detectors use them, all SI.

    Attributes
    ----------
    u : ndarray of float64, shape (n, 3)
        Earth-centred unit position vectors.
    v : ndarray of float64, shape (n, 3)
        Horizontal velocity, earth-centred, m/s.
    alt_m, vs_mps, gs_mps : ndarray of float64, shape (n,)
        Altitude (m), vertical speed (m/s), ground speed (m/s).

    All arrays are C-contiguous. Values are finite (:class:`~deconflict.model.Tracks`
    validates), so no NaN reaches a detector.
    """

    u: F64
    v: F64
    alt_m: F64
    vs_mps: F64
    gs_mps: F64

    @classmethod
    def from_tracks(cls, tracks: Tracks) -> TrackState:
        """Convert degrees at the edge into the SI vectors used inside.

        Element k depends on row k alone (the same value whatever else is in
        ``tracks``), which lets an incremental caller rebuild part of a picture exactly.
        """
        return cls.from_columns(
            tracks.lat_deg,
            tracks.lon_deg,
            tracks.alt_m,
            tracks.gs_mps,
            tracks.track_deg,
            tracks.vs_mps,
        )

    @classmethod
    def from_columns(
        cls, lat_deg: F64, lon_deg: F64, alt_m: F64, gs_mps: F64, track_deg: F64, vs_mps: F64
    ) -> TrackState:
        """The state of columns shaped (n,) as in :class:`~deconflict.model.Tracks`.

        ``u`` and ``v`` are those of :func:`deconflict.geo.unit_vectors` and
        :func:`deconflict.geo.velocity_vectors`, with each sine and cosine taken once.
        """
        lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
        lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
        trk = np.radians(np.asarray(track_deg, dtype=np.float64))
        gs = np.ascontiguousarray(gs_mps, dtype=np.float64)
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        n = lat.shape[0]
        u = np.empty((n, 3))
        np.multiply(cl, co, out=u[:, 0])
        np.multiply(cl, so, out=u[:, 1])
        u[:, 2] = sl
        ve = gs * np.sin(trk)  # east
        vn = gs * np.cos(trk)  # north
        # east = (-sin lon, cos lon, 0), north = (-sin lat cos lon, -sin lat sin lon, cos lat)
        v = np.empty((n, 3))
        v[:, 0] = -so * ve - sl * co * vn
        v[:, 1] = co * ve - sl * so * vn
        v[:, 2] = cl * vn
        return cls(
            u=u,
            v=v,
            alt_m=np.ascontiguousarray(alt_m, dtype=np.float64),
            vs_mps=np.ascontiguousarray(vs_mps, dtype=np.float64),
            gs_mps=gs,
        )

    def __len__(self) -> int:
        return int(self.alt_m.shape[0])


class RawPairs(NamedTuple):
    """Conflicting pairs as a backend returns them, k rows.

    ``i``, ``j`` (int64) index the state given, ordered so that ``rank[i] < rank[j]``,
    rows sorted by (``rank[i]``, ``rank[j]``); ``t_in_s``, ``t_out_s``, ``tcpa_s`` and
    ``dcpa_m`` (m) are float64, never negative zero.
    """

    i: I64
    j: I64
    t_in_s: F64
    t_out_s: F64
    tcpa_s: F64
    dcpa_m: F64


class Solved(NamedTuple):
    """The exact test on given pairs, k rows: ``conflict`` (bool) and, meaningful where
    it is true, ``t_in_s``, ``t_out_s``, ``tcpa_s`` and ``dcpa_m`` (m)."""

    conflict: B
    t_in_s: F64
    t_out_s: F64
    tcpa_s: F64
    dcpa_m: F64


class Backend(Protocol):
    """A separation backend: the broad phase, the exact test and the output order.

    Every method gives the same answer for the same input whatever else was asked
    before; a backend may be called from several threads at once.
    """

    name: str

    def warm(self) -> None:
        """Load (or compile) whatever the first call would, so that later calls are fast."""

    def find(
        self,
        state: TrackState,
        lookahead_s: float,
        h_sep_m: float,
        v_sep_m: float,
        group: I64 | None,
        rank: I64,
    ) -> RawPairs:
        """Every conflicting pair once (see :class:`RawPairs` for order).

        ``state`` holds n >= 2 tracks; ``group`` (int64, shape (n,)) marks with equal
        values tracks never to be paired, or is ``None``; ``rank`` (int64, shape (n,))
        is a permutation of ``0 .. n-1`` giving the output order.
        """
        ...

    def solve(
        self, state: TrackState, i: I64, j: I64, lookahead_s: float, h_sep_m: float, v_sep_m: float
    ) -> Solved:
        """The exact test on the pairs (``i[k]``, ``j[k]``), each shaped (k,).

        Symmetric to the bit: (j, i) gives what (i, j) gives.
        """
        ...


def facing(u: F64) -> F64:
    """A rotation (3, 3) whose third row is the mean of the unit vectors ``u`` (n, 3).

    Turned this way, regional traffic lies in the x, y plane and z is nearly "up";
    any rotation gives correct boxes, this one gives small ones. Empty ``u`` or vectors
    that cancel out give the identity.
    """
    mean = u.mean(axis=0) if u.shape[0] else np.zeros(3)
    norm = float(np.linalg.norm(mean))
    if norm < 1e-6:
        return np.eye(3)
    z = mean / norm
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.ascontiguousarray(np.stack([x, y, z]))


def box_growth(t_s: float, h_sep_m: float, s_max_mps: float) -> tuple[float, float]:
    """How far to grow a box on each horizontal side: ``(per_mps, fixed_m)``.

    A track of ground speed ``gs`` is grown by ``fixed_m + gs * per_mps`` metres for a
    sweep ending ``t_s`` after its state, tested against tracks no faster than
    ``s_max_mps``. When the reach spans the globe the box covers all of it
    (``per_mps = 0``, ``fixed_m`` = two diameters).

    The exact test measures a pair in the tangent plane at its midpoint; the boxes hold
    straight tangent-line paths in earth-centred axes. The two differ by the relative
    velocity's component along the midpoint's normal, at most
    ``(s_i + s_j) t chord / |u_i + u_j|``, and by the arc less the chord. A conflict at
    t needs an arc under ``reach = Rh + 2 s_max t``, so half of Rh plus one track's
    share of each bound covers it; 1 cm covers rounding.

    >>> per, fixed = box_growth(300.0, 9260.0, 260.0)
    >>> round(fixed + 260.0 * per, 1)
    5644.0
    """
    reach = h_sep_m + 2.0 * s_max_mps * t_s
    x = reach / EARTH_RADIUS_M
    if x >= 1.0:
        return 0.0, 4.0 * EARTH_RADIUS_M
    per_mps = t_s * x / math.sqrt(4.0 - x * x)
    arc_less_chord = EARTH_RADIUS_M * (x - 2.0 * math.sin(0.5 * x))
    return per_mps, 0.5 * h_sep_m + 0.5 * arc_less_chord + 0.01
