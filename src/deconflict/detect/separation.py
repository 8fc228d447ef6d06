"""Separation conflicts between tracks moving in straight lines (DESIGN.md, "Separation").

Two tracks i, j conflict when, flying straight at constant velocity, there is a time t in
[0, T] with horizontal distance < ``h_sep`` and vertical distance < ``v_sep`` at that same
t. Pairs already inside both at t = 0 count, with ``t_in = 0``.

How: every track's swept volume over the lookahead (a box in earth-centred coordinates
plus an altitude band) is hashed onto a grid; only pairs that share a cell and whose
boxes overlap go to the exact solver. Memory grows with N plus candidate pairs; no N×N
matrix is ever formed. The exact solver works per pair in the tangent plane at the
pair's midpoint, so the antimeridian and high latitudes need no special case; the
distance at t = 0 is the great-circle distance (see :func:`solve_pairs` for accuracy).

Backends: the work is done by a :class:`Backend`. ``"numba"`` (the grid scan and the
exact test fused and compiled, :mod:`deconflict.detect.compiled`) is what ``"auto"``
picks from 5,000 tracks; ``"numpy"``, the same method in plain array operations, below.
Another backend (a GPU one) registers itself with :func:`register_backend` and is then
accepted by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ..errors import InvalidInput
from ..geo import EARTH_RADIUS_M, unit_vectors, velocity_vectors
from ..model import Tracks
from .grid import candidate_pairs

__all__ = [
    "DEFAULT_H_SEP_M",
    "DEFAULT_LOOKAHEAD_S",
    "DEFAULT_V_SEP_M",
    "Backend",
    "Conflicts",
    "available_backends",
    "candidate_pairs",
    "detect",
    "register_backend",
    "solve_pairs",
]

DEFAULT_LOOKAHEAD_S = 300.0
"""Default lookahead T, seconds."""
DEFAULT_H_SEP_M = 9260.0
"""Default horizontal separation Rh, metres (5 NM)."""
DEFAULT_V_SEP_M = 304.8
"""Default vertical separation Rv, metres (1,000 ft)."""

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

_SLICES = 3
"""Time slices of the lookahead in the grid: shorter sweeps, smaller boxes."""


@dataclass(frozen=True)
class Conflicts:
    """Conflicting pairs, one row each, sorted by (id of ``i``, id of ``j``).

    Attributes
    ----------
    i, j : ndarray of int64, shape (k,)
        Indices into the :class:`~deconflict.model.Tracks` given; ``id[i] < id[j]``.
    ids : ndarray of str, shape (n,)
        The ids of all the tracks given.
    a, b : ndarray of str, shape (k,)
        The ids of ``i`` and ``j`` (``ids[i]``, ``ids[j]``, made on first use).
    t_in, t_out : ndarray of float64, shape (k,)
        Seconds from now when loss of separation starts and ends, clipped to [0, T].
    tcpa : ndarray of float64, shape (k,)
        Seconds from now to the closest horizontal approach, clipped to [0, T].
    dcpa_m : ndarray of float64, shape (k,)
        Horizontal distance at ``tcpa``, metres.
    """

    i: I64
    j: I64
    ids: NDArray[np.str_]
    t_in: F64
    t_out: F64
    tcpa: F64
    dcpa_m: F64

    def __len__(self) -> int:
        return int(self.i.shape[0])

    @cached_property
    def a(self) -> NDArray[np.str_]:
        """Ids of the first track of each pair, shape (k,)."""
        return self.ids[self.i]

    @cached_property
    def b(self) -> NDArray[np.str_]:
        """Ids of the second track of each pair, shape (k,)."""
        return self.ids[self.j]

    def records(self) -> list[dict[str, str | float]]:
        """One dict per pair with the keys of the ``deconflict detect`` output."""
        return [
            {
                "a": str(a),
                "b": str(b),
                "t_in": float(t_in),
                "t_out": float(t_out),
                "tcpa": float(tcpa),
                "dcpa_m": float(dcpa),
            }
            for a, b, t_in, t_out, tcpa, dcpa in zip(
                self.a, self.b, self.t_in, self.t_out, self.tcpa, self.dcpa_m, strict=True
            )
        ]


class Backend(Protocol):
    """What a detection backend provides: all conflicting pairs, in any order.

    It is called with at least two tracks.

    Arrays are as in :func:`solve_pairs`; ``group`` is an int64 array of shape (n,)
    whose equal values mark tracks that must not be paired (the same party when only
    pairs between parties are wanted), or ``None``. Returns ``(i, j, t_in, t_out, tcpa,
    dcpa_m)`` with ``i < j``.
    """

    def __call__(
        self,
        state: TrackState,
        lookahead: float,
        h_sep: float,
        v_sep: float,
        group: I64 | None,
    ) -> tuple[I64, I64, F64, F64, F64, F64]: ...


@dataclass(frozen=True)
class TrackState:
    """Tracks as the detectors use them, all SI.

    Attributes
    ----------
    u : ndarray, shape (n, 3)
        Earth-centred unit position vectors.
    v : ndarray, shape (n, 3)
        Horizontal velocity, earth-centred, m/s.
    alt_m, vs_mps, gs_mps : ndarray, shape (n,)
        Altitude (m), vertical speed (m/s), ground speed (m/s).
    """

    u: F64
    v: F64
    alt_m: F64
    vs_mps: F64
    gs_mps: F64

    @classmethod
    def from_tracks(cls, tracks: Tracks) -> TrackState:
        """Convert degrees at the edge into the SI vectors used inside."""
        return cls(
            u=unit_vectors(tracks.lat, tracks.lon),
            v=velocity_vectors(tracks.lat, tracks.lon, tracks.gs_mps, tracks.track_deg),
            alt_m=tracks.alt_m,
            vs_mps=tracks.vs_mps,
            gs_mps=tracks.gs_mps,
        )

    def __len__(self) -> int:
        return int(self.alt_m.shape[0])


def _facing(u: F64) -> F64:
    """A rotation (3, 3) whose third row is the mean of the unit vectors ``u`` (n, 3)."""
    mean = u.mean(axis=0) if u.shape[0] else np.zeros(3)
    norm = float(np.linalg.norm(mean))
    if norm < 1e-6:
        return np.eye(3)
    z = mean / norm
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def _swept_boxes(
    state: TrackState, lookahead: float, h_sep: float, v_sep: float, slices: int
) -> tuple[F64, F64]:
    """Boxes (slices * n, 5) that each track sweeps in each slice of the lookahead.

    Columns: x, y, z (m, earth-centred axes turned towards the traffic), altitude (m),
    and the slice number. Row ``s * n + k`` is track k in slice s. Two tracks that
    conflict at a time in slice s have overlapping boxes in slice s.

    A box holds the track's straight tangent-line path over the slice, grown by half the
    vertical separation in altitude, and horizontally by half the horizontal separation
    plus a bound on how far two tangent lines can leave their common horizontal plane by
    the end of the slice: at most ``(s_i + s_j) t (Rh + 2 s_max t) / (2R)``, which splits
    into one term per track.
    """
    n = len(state)
    rot = _facing(state.u)
    p = EARTH_RADIUS_M * (state.u @ rot.T)
    v = state.v @ rot.T
    s_max = float(state.gs_mps.max()) if n else 0.0
    lo = np.empty((slices, n, 5))
    hi = np.empty((slices, n, 5))
    for k in range(slices):
        t0 = lookahead * k / slices
        t1 = lookahead * (k + 1) / slices
        a = p + v * t0
        b = p + v * t1
        grow = 0.5 * h_sep + state.gs_mps * t1 * (h_sep + 2.0 * s_max * t1) / (2.0 * EARTH_RADIUS_M)
        lo[k, :, :3] = np.minimum(a, b) - grow[:, None]
        hi[k, :, :3] = np.maximum(a, b) + grow[:, None]
        z0 = state.alt_m + state.vs_mps * t0
        z1 = state.alt_m + state.vs_mps * t1
        lo[k, :, 3] = np.minimum(z0, z1) - 0.5 * v_sep
        hi[k, :, 3] = np.maximum(z0, z1) + 0.5 * v_sep
        lo[k, :, 4] = hi[k, :, 4] = k
    return lo.reshape(-1, 5), hi.reshape(-1, 5)


def _grid_cells(lo: F64, hi: F64, v_sep: float) -> F64:
    """Cell sizes for :func:`candidate_pairs` on boxes from :func:`_swept_boxes`."""
    extent = np.median(hi - lo, axis=0)
    # One size for the three earth-centred axes, 1.5 median horizontal box sizes: for
    # regional traffic the near-vertical third axis then spans one cell and is not hashed.
    xyz = 1.5 * max(extent[0], extent[1])
    return np.array([xyz, xyz, xyz, max(extent[3], 2.0 * v_sep), 1.0])


def solve_pairs(
    state: TrackState,
    i: I64,
    j: I64,
    lookahead: float,
    h_sep: float,
    v_sep: float,
) -> tuple[NDArray[np.bool_], F64, F64, F64, F64]:
    """The exact test on given pairs.

    Parameters
    ----------
    state : TrackState
        The n tracks.
    i, j : ndarray of int64, shape (k,)
        Pairs to test.
    lookahead, h_sep, v_sep : float
        T (s), Rh (m), Rv (m).

    Returns
    -------
    conflict : ndarray of bool, shape (k,)
    t_in, t_out, tcpa, dcpa_m : ndarray of float64, shape (k,)
        As in :class:`Conflicts` (meaningful where ``conflict``).

    The relative motion is taken in the tangent plane at the pair's midpoint
    ``m = (u_i + u_j) / |u_i + u_j|``; the chord ``u_j - u_i`` already lies in that plane
    and is scaled to the great-circle distance, the relative velocity is projected onto
    it. For separations under 500 km the horizontal distance is within 0.03 % of the
    sphere's.
    """
    u, v = state.u, state.v
    ui, uj, vi, vj = u[i], u[j], v[i], v[j]
    cx, cy, cz = (uj - ui).T
    sx, sy, sz = (uj + ui).T
    wx, wy, wz = (vj - vi).T
    chord2 = cx * cx + cy * cy + cz * cz
    # |d0| is the great-circle distance; d0 = scale * chord.
    chord = np.sqrt(chord2)
    arc_m = (2.0 * EARTH_RADIUS_M) * np.arcsin(np.minimum(0.5 * chord, 1.0))
    scale = np.divide(arc_m, chord, out=np.zeros_like(arc_m), where=chord > 0.0)
    ws = wx * sx + wy * sy + wz * sz
    ss = sx * sx + sy * sy + sz * sz
    # Relative velocity projected on the midpoint plane: w - (w.s / s.s) s; since
    # chord . s = 0, b needs no projection.
    a = np.maximum(wx * wx + wy * wy + wz * wz - ws * ws / ss, 0.0)
    b = scale * (cx * wx + cy * wy + cz * wz)
    c0 = arc_m * arc_m
    c = c0 - h_sep * h_sep
    inf = np.inf
    moving = a > 0.0
    disc = b * b - a * c
    crossing = moving & (disc > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = -(b + np.copysign(np.sqrt(np.maximum(disc, 0.0)), b))
        r1 = q / a
        r2 = c / q
    still_in = ~moving & (c < 0.0)
    h_lo = np.where(crossing, np.minimum(r1, r2), np.where(still_in, -inf, inf))
    h_hi = np.where(crossing, np.maximum(r1, r2), np.where(still_in, inf, -inf))

    dz = state.alt_m[j] - state.alt_m[i]
    dvz = state.vs_mps[j] - state.vs_mps[i]
    climbing = dvz != 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = (-v_sep - dz) / dvz
        v2 = (v_sep - dz) / dvz
    level_in = np.abs(dz) < v_sep
    v_lo = np.where(climbing, np.minimum(v1, v2), np.where(level_in, -inf, inf))
    v_hi = np.where(climbing, np.maximum(v1, v2), np.where(level_in, inf, -inf))

    lo = np.maximum(h_lo, v_lo)
    hi = np.minimum(h_hi, v_hi)
    conflict = (lo < hi) & (lo < lookahead) & (hi > 0.0)
    t_in = np.clip(lo, 0.0, lookahead)
    t_out = np.clip(hi, 0.0, lookahead)
    with np.errstate(divide="ignore", invalid="ignore"):
        tcpa = np.where(moving, np.clip(-b / a, 0.0, lookahead), 0.0)
    dcpa = np.sqrt(np.maximum(c0 + tcpa * (2.0 * b + a * tcpa), 0.0))
    return conflict, t_in, t_out, tcpa, dcpa


def numpy_backend(
    state: TrackState,
    lookahead: float,
    h_sep: float,
    v_sep: float,
    group: I64 | None,
) -> tuple[I64, I64, F64, F64, F64, F64]:
    """The built-in backend: grid pruning then the exact test, all numpy."""
    n = len(state)
    lo, hi = _swept_boxes(state, lookahead, h_sep, v_sep, _SLICES)
    box_group = None if group is None else np.tile(group, _SLICES)
    bi, bj = candidate_pairs(lo, hi, box_group, _grid_cells(lo, hi, v_sep), sweep=3)
    # A pair whose boxes overlap in several slices is kept from the first one only.
    first = bi < n
    earlier = np.where(first, 0, bi - n), np.where(first, 0, bj - n)
    overlap = np.all(
        (lo[earlier[0]] <= hi[earlier[1]]) & (lo[earlier[1]] <= hi[earlier[0]]), axis=1
    )
    keep = first | ~overlap
    i, j = bi[keep] % n, bj[keep] % n
    hit, t_in, t_out, tcpa, dcpa = solve_pairs(state, i, j, lookahead, h_sep, v_sep)
    return i[hit], j[hit], t_in[hit], t_out[hit], tcpa[hit], dcpa[hit]


def _compiled() -> Backend:
    try:
        from .compiled import numba_backend
    except ImportError as exc:  # pragma: no cover - numba is a dependency
        raise InvalidInput(f"the numba backend is not available here: {exc}") from exc
    return numba_backend


_BACKENDS: dict[str, Callable[[], Backend]] = {"numpy": lambda: numpy_backend, "numba": _compiled}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend available by ``name``; ``factory`` may raise if it cannot run here."""
    _BACKENDS[name] = factory


def available_backends() -> list[str]:
    """Names accepted by :func:`detect` besides ``"auto"``."""
    return sorted(_BACKENDS)


_AUTO_COMPILED_FROM = 5_000
"""Tracks from which ``"auto"`` picks the compiled backend; below, loading it costs more
than it saves."""


def _resolve(backend: str | Backend, n: int) -> Backend:
    if not isinstance(backend, str):
        return backend
    if backend == "auto":
        if n < _AUTO_COMPILED_FROM:
            return numpy_backend
        try:
            return _compiled()
        except InvalidInput:  # pragma: no cover - numba is a dependency
            return numpy_backend
    try:
        factory = _BACKENDS[backend]
    except KeyError:
        if backend == "gpu":
            raise InvalidInput(
                "no GPU backend is registered in this installation; available here: "
                f"auto, {', '.join(available_backends())}"
            ) from None
        raise InvalidInput(
            f"unknown backend {backend!r}; available here: auto, {', '.join(available_backends())}"
        ) from None
    return factory()


def _check_parameters(lookahead: float, h_sep: float, v_sep: float) -> None:
    for name, value in (("lookahead", lookahead), ("h_sep", h_sep), ("v_sep", v_sep)):
        if not np.isfinite(value) or value <= 0.0:
            raise InvalidInput(f"{name} must be a positive number, got {value}")


def detect(
    tracks: Tracks,
    lookahead: float = DEFAULT_LOOKAHEAD_S,
    h_sep: float = DEFAULT_H_SEP_M,
    v_sep: float = DEFAULT_V_SEP_M,
    between_parties: bool = False,
    backend: str | Backend = "auto",
) -> Conflicts:
    """Every pair of tracks in separation conflict within the lookahead.

    Parameters
    ----------
    tracks : Tracks
        n track states at the same instant.
    lookahead : float
        T, seconds.
    h_sep, v_sep : float
        Horizontal and vertical separation minima, metres.
    between_parties : bool
        Keep only pairs whose tracks belong to different parties.
    backend : str or Backend
        ``"auto"``, a registered name (``"numpy"``), or a :class:`Backend`.

    Returns
    -------
    Conflicts
        k pairs, sorted by (a, b).

    >>> t = Tracks(id=["b", "a"], party=["p", "q"], lat=[0.0, 0.0], lon=[0.0, 0.5],
    ...            alt_m=[9000.0, 9000.0], gs_mps=[200.0, 200.0], track_deg=[90.0, 270.0],
    ...            vs_mps=[0.0, 0.0])
    >>> c = detect(t)
    >>> c.a.tolist(), c.b.tolist(), [round(float(x), 1) for x in (c.t_in[0], c.tcpa[0])]
    (['a'], ['b'], [115.8, 139.0])
    """
    _check_parameters(lookahead, h_sep, v_sep)
    run = _resolve(backend, len(tracks))
    state = TrackState.from_tracks(tracks)
    group: I64 | None = None
    if between_parties:
        group = np.unique(tracks.party, return_inverse=True)[1].astype(np.int64)
    if len(tracks) < 2:
        none, nothing = np.empty(0, dtype=np.int64), np.empty(0)
        i, j, t_in, t_out, tcpa, dcpa = none, none, nothing, nothing, nothing, nothing
    else:
        i, j, t_in, t_out, tcpa, dcpa = run(state, lookahead, h_sep, v_sep, group)
    # Order by id strings through integer ranks: one string sort of n ids, not of k pairs.
    rank = np.empty(len(tracks), dtype=np.int64)
    rank[np.argsort(tracks.id, kind="stable")] = np.arange(len(tracks))
    swap = rank[i] > rank[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    order = np.argsort(rank[i] * len(tracks) + rank[j])
    return Conflicts(
        i=i[order],
        j=j[order],
        ids=tracks.id,
        t_in=t_in[order],
        t_out=t_out[order],
        tcpa=tcpa[order],
        dcpa_m=dcpa[order],
    )
