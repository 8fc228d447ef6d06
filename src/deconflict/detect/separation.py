"""Separation conflicts between tracks moving in straight lines (DESIGN.md, "Separation").

Two tracks i, j conflict when, flying straight at constant velocity, there is a time t in
[0, T] with horizontal distance < ``h_sep`` and vertical distance < ``v_sep`` at that same
t. Pairs already inside both at t = 0 count, with ``t_in = 0``.

How: every track's swept volume over the lookahead (boxes in earth-centred coordinates
plus an altitude band, per time slice: :mod:`deconflict.detect.engine`) is hashed onto a
grid; only pairs that share a cell and whose boxes overlap go to the exact solver
(:func:`solve_pairs`). Memory grows with N plus candidate pairs; no N×N matrix is ever
formed. Each pair is met once: in the cell of the lower corner of its boxes'
intersection, in the first slice where they overlap.

Backends: the work is done by a :class:`Backend`. ``"numba"`` (the grid scan and the
exact test fused and compiled, :mod:`deconflict.detect.compiled`) is what ``"auto"``
picks from :data:`AUTO_COMPILED_FROM` tracks; ``"numpy"``, the same method in plain array
operations, below. A service calls :func:`warm_up` once at start so that no detection
pays for loading compiled code. Another backend (a GPU one) registers itself with
:func:`register_backend` and is then accepted by name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import InvalidInput
from ..geo import EARTH_RADIUS_M
from ..model import Tracks
from . import engine
from .arrays import F64, I64, Rows, Strs
from .engine import V_MARGIN_M, Backend, RawPairs, Solved, TrackState, box_growth, facing
from .exact import solve_pairs
from .grid import candidate_pairs
from .inputs import check_duration, check_length, check_tracks

__all__ = [
    "AUTO_COMPILED_FROM",
    "DEFAULT_H_SEP_M",
    "DEFAULT_LOOKAHEAD_S",
    "DEFAULT_V_SEP_M",
    "Backend",
    "Conflicts",
    "NumpyBackend",
    "TrackState",
    "available_backends",
    "candidate_pairs",
    "detect",
    "id_ranks",
    "numpy_backend",
    "register_backend",
    "resolve_backend",
    "solve_pairs",
    "warm_up",
]

DEFAULT_LOOKAHEAD_S = 300.0
"""Default lookahead T, seconds."""
DEFAULT_H_SEP_M = 9260.0
"""Default horizontal separation Rh, metres (5 NM)."""
DEFAULT_V_SEP_M = 304.8
"""Default vertical separation Rv, metres (1,000 ft)."""


@dataclass(frozen=True)
class Conflicts(Rows):
    """Conflicting pairs, one row each: every pair once, sorted by (``a``, ``b``).

    Rows are indexed one way everywhere: ``i`` and ``j`` are positions in ``ids``. From
    :func:`detect`, ``ids`` is the ``id`` column of the :class:`~deconflict.model.Tracks`
    given, so ``i``, ``j`` are also its row numbers; from
    :class:`~deconflict.detect.live.LivePairs`, ``ids`` holds the tracks of the result
    only. An empty result has k = 0 rows (arrays of shape (0,)); no field is ever NaN.

    Attributes
    ----------
    i, j : ndarray of int64, shape (k,)
        Positions in ``ids`` of the two tracks; ``ids[i] < ids[j]``.
    ids : ndarray of str, shape (n,)
        The ids ``i`` and ``j`` refer to.
    a, b : ndarray of str, shape (k,)
        The ids of each pair, ``a < b`` (``ids[i]``, ``ids[j]``, made on first use).
    t_in_s, t_out_s : ndarray of float64, shape (k,)
        Seconds from now when loss of separation starts and ends, clipped to [0, T].
    tcpa_s : ndarray of float64, shape (k,)
        Seconds from now to the closest horizontal approach, clipped to [0, T].
    dcpa_m : ndarray of float64, shape (k,)
        Horizontal distance at ``tcpa_s``, metres.

    Times and distances are >= 0 and never negative zero.
    """

    i: I64
    j: I64
    ids: Strs
    t_in_s: F64
    t_out_s: F64
    tcpa_s: F64
    dcpa_m: F64

    @cached_property
    def a(self) -> Strs:
        """Ids of the first track of each pair, shape (k,)."""
        return self.ids[self.i]

    @cached_property
    def b(self) -> Strs:
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
                self.a, self.b, self.t_in_s, self.t_out_s, self.tcpa_s, self.dcpa_m, strict=True
            )
        ]

    @classmethod
    def empty(cls, ids: Strs) -> Conflicts:
        """No pairs among tracks of the given ids."""
        none, nothing = np.empty(0, dtype=np.int64), np.empty(0)
        return cls(none, none, ids, nothing, nothing, nothing, nothing)


def _grid_cells(lo: F64, hi: F64, v_sep: float) -> F64:
    """Cell sizes for :func:`candidate_pairs` on boxes from :func:`_swept_boxes`."""
    extent = np.median(hi - lo, axis=0)
    # One size for the three earth-centred axes, 1.5 median horizontal box sizes: for
    # regional traffic the near-vertical third axis then spans one cell and is not hashed.
    xyz = 1.5 * max(extent[0], extent[1])
    return np.array([xyz, xyz, xyz, max(extent[3], 2.0 * v_sep), 1.0])


def _swept_boxes(
    state: TrackState, lookahead: float, h_sep: float, v_sep: float
) -> tuple[F64, F64]:
    """Boxes (slices * n, 5) that each track sweeps in each slice of the lookahead.

    Columns: x, y, z (m, earth-centred axes turned by :func:`~.engine.facing`),
    altitude (m), and the slice number. Row ``s * n + k`` is track k in slice s.
    """
    n = len(state)
    rot = facing(state.u)
    p = EARTH_RADIUS_M * (state.u @ rot.T)
    v = state.v @ rot.T
    s_max = float(state.gs_mps.max()) if n else 0.0
    slices = engine.SLICES
    lo = np.empty((slices, n, 5))
    hi = np.empty((slices, n, 5))
    for k in range(slices):
        t0 = lookahead * k / slices
        t1 = lookahead * (k + 1) / slices
        a = p + v * t0
        b = p + v * t1
        per_mps, fixed_m = box_growth(t1, h_sep, s_max)
        grow = fixed_m + state.gs_mps * per_mps
        lo[k, :, :3] = np.minimum(a, b) - grow[:, None]
        hi[k, :, :3] = np.maximum(a, b) + grow[:, None]
        z0 = state.alt_m + state.vs_mps * t0
        z1 = state.alt_m + state.vs_mps * t1
        lo[k, :, 3] = np.minimum(z0, z1) - (0.5 * v_sep + V_MARGIN_M)
        hi[k, :, 3] = np.maximum(z0, z1) + (0.5 * v_sep + V_MARGIN_M)
        lo[k, :, 4] = hi[k, :, 4] = k
    return lo.reshape(-1, 5), hi.reshape(-1, 5)


def order_by_rank(i: I64, j: I64, solved: Solved, rank: I64) -> RawPairs:
    """Pairs with ``rank[i] < rank[j]``, rows sorted by (rank[i], rank[j])."""
    swap = rank[i] > rank[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    order = np.argsort(rank[i] * rank.shape[0] + rank[j], kind="stable")
    return RawPairs(
        i[order],
        j[order],
        solved.t_in_s[order],
        solved.t_out_s[order],
        solved.tcpa_s[order],
        solved.dcpa_m[order],
    )


class NumpyBackend:
    """The built-in backend (``"numpy"``): grid pruning then the exact test, all numpy."""

    name = "numpy"

    def warm(self) -> None:
        """Nothing to load."""

    def find(
        self,
        state: TrackState,
        lookahead_s: float,
        h_sep_m: float,
        v_sep_m: float,
        group: I64 | None,
        rank: I64,
    ) -> RawPairs:
        """Every conflicting pair once, ordered by rank (:class:`~.engine.RawPairs`)."""
        n = len(state)
        lo, hi = _swept_boxes(state, lookahead_s, h_sep_m, v_sep_m)
        slices = engine.SLICES
        box_group = None if group is None else np.tile(group, slices)
        bi, bj = candidate_pairs(lo, hi, box_group, _grid_cells(lo, hi, v_sep_m), sweep=3)
        # Boxes of different slices never overlap (column 4): a pair is met in one slice
        # at a time, and kept from the first slice where its boxes overlap.
        sl, i, j = bi // n, bi % n, bj % n
        keep = np.ones(i.shape[0], dtype=bool)
        for s in range(slices - 1):
            ri, rj = s * n + i, s * n + j
            overlap = np.all((lo[ri, :4] <= hi[rj, :4]) & (lo[rj, :4] <= hi[ri, :4]), axis=1)
            keep &= ~((sl > s) & overlap)
        i, j = i[keep], j[keep]
        solved = solve_pairs(state, i, j, lookahead_s, h_sep_m, v_sep_m)
        hit = solved.conflict
        kept = Solved(
            hit[hit],
            solved.t_in_s[hit],
            solved.t_out_s[hit],
            solved.tcpa_s[hit],
            solved.dcpa_m[hit],
        )
        return order_by_rank(i[hit], j[hit], kept, rank)

    solve = staticmethod(solve_pairs)
    """The exact test on pairs (``i[k]``, ``j[k]``): :func:`solve_pairs`."""


numpy_backend = NumpyBackend()
"""The numpy backend."""


def _compiled() -> Backend:
    try:
        from .compiled import numba_backend
    except ImportError as exc:  # pragma: no cover - numba is a dependency
        raise InvalidInput(f"the numba backend is not available here: {exc}") from exc
    return numba_backend


_BACKENDS: dict[str, Callable[[], Backend]] = {"numpy": lambda: numpy_backend, "numba": _compiled}
_registry_lock = threading.Lock()


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend available by ``name``; ``factory`` may raise if it cannot run here.

    The factory is called on each use of the name: return one long-lived instance.
    """
    with _registry_lock:
        _BACKENDS[name] = factory


def available_backends() -> list[str]:
    """Names accepted by :func:`detect` besides ``"auto"``."""
    return sorted(_BACKENDS)


AUTO_COMPILED_FROM = 5_000
"""Tracks from which ``"auto"`` picks the compiled backend; below, the numpy one (a
one-off run would spend longer loading compiled code than it saves)."""


def resolve_backend(backend: str | Backend, n: int) -> Backend:
    """The backend that ``backend`` names for a picture of ``n`` tracks.

    ``"auto"`` is ``"numba"`` from :data:`AUTO_COMPILED_FROM` tracks and ``"numpy"``
    below; a name must be registered; a :class:`Backend` is returned as it is.
    """
    if not isinstance(backend, str):
        return backend
    if backend == "auto":
        if n < AUTO_COMPILED_FROM:
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


def warm_up(backend: str | Backend = "auto") -> Backend:
    """Load what ``backend`` needs before the first detection; returns it.

    A service calls this once at start: the compiled backend's kernels are then loaded
    from the on-disk cache (or compiled and cached on a first ever run, a few seconds),
    and no detection pays for it. ``"auto"`` warms (and returns) the compiled backend.
    """
    engine = resolve_backend(backend, AUTO_COMPILED_FROM)
    engine.warm()
    return engine


def _check_parameters(lookahead: float, h_sep: float, v_sep: float) -> None:
    for name, value in (("lookahead", lookahead), ("h_sep", h_sep), ("v_sep", v_sep)):
        if not np.isfinite(value) or value <= 0.0:
            raise InvalidInput(f"{name} must be a positive number, got {value}")
    check_duration("lookahead", lookahead)
    check_length("h_sep", h_sep)
    check_length("v_sep", v_sep)


def id_ranks(ids: Strs) -> I64:
    """Each id's position in sorted order, int64 shape (n,) (O(n) when already sorted)."""
    n = int(ids.shape[0])
    if n < 2 or bool(np.all(ids[1:] > ids[:-1])):
        return np.arange(n, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(n, dtype=np.int64)
    return rank


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
        n track states at the same instant (validated: no NaN can occur).
    lookahead : float
        T, seconds (> 0).
    h_sep, v_sep : float
        Horizontal and vertical separation minima, metres (> 0).
    between_parties : bool
        Keep only pairs whose tracks belong to different parties.
    backend : str or Backend
        ``"auto"``, a registered name (``"numpy"``, ``"numba"``), or a :class:`Backend`
        (e.g. the one :func:`warm_up` returned).

    Returns
    -------
    Conflicts
        k pairs, each once, ``a < b``, sorted by (a, b); ``i``, ``j`` index ``tracks``.
        With 0 or 1 track, an empty result.

    Raises
    ------
    InvalidInput
        A parameter that is not a positive finite number, a parameter, altitude or
        speed beyond the detectors' domain (:mod:`deconflict.bounds`), or an unknown
        backend.

    >>> t = Tracks(id=["b", "a"], party=["p", "q"], lat_deg=[0.0, 0.0], lon_deg=[0.0, 0.5],
    ...            alt_m=[9000.0, 9000.0], gs_mps=[200.0, 200.0], track_deg=[90.0, 270.0],
    ...            vs_mps=[0.0, 0.0])
    >>> c = detect(t)
    >>> c.a.tolist(), c.b.tolist(), [round(float(x), 1) for x in (c.t_in_s[0], c.tcpa_s[0])]
    (['a'], ['b'], [115.8, 139.0])
    """
    _check_parameters(lookahead, h_sep, v_sep)
    engine = resolve_backend(backend, len(tracks))
    if len(tracks) < 2:
        return Conflicts.empty(tracks.id)
    check_tracks(tracks)
    state = TrackState.from_tracks(tracks)
    group: I64 | None = None
    if between_parties:
        group = np.unique(tracks.party, return_inverse=True)[1].astype(np.int64)
    raw = engine.find(state, lookahead, h_sep, v_sep, group, id_ranks(tracks.id))
    return Conflicts(
        i=raw.i,
        j=raw.j,
        ids=tracks.id,
        t_in_s=raw.t_in_s,
        t_out_s=raw.t_out_s,
        tcpa_s=raw.tcpa_s,
        dcpa_m=raw.dcpa_m,
    )
