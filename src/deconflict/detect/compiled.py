"""The compiled separation backend: the grid scan and the exact test fused in one loop.

Same definition and same results as the numpy backend (the tests hold them to each
other); it walks the grid of :mod:`deconflict.detect.grid` pair by pair with Numba, so
it never materialises candidate pairs. Registered as ``"numba"`` and picked by
``"auto"`` when Numba is importable.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ..geo import EARTH_RADIUS_M
from .grid import build_grid

__all__ = ["numba_backend"]

_ALT = 3
"""Column of the altitude band in the boxes of ``_swept_boxes``: the sweep axis."""

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True)
def _solve_one(
    cx: float, cy: float, cz: float, sx: float, sy: float, sz: float,
    wx: float, wy: float, wz: float, dz: float, dvz: float,
    lookahead: float, h_sep: float, v_sep: float,
) -> tuple[bool, float, float, float, float]:  # fmt: skip
    """One pair: chord c, sum s of unit vectors, relative velocity w (as in solve_pairs)."""
    chord = math.sqrt(cx * cx + cy * cy + cz * cz)
    arc_m = 2.0 * EARTH_RADIUS_M * math.asin(min(0.5 * chord, 1.0))
    scale = arc_m / chord if chord > 0.0 else 0.0
    ws = wx * sx + wy * sy + wz * sz
    ss = sx * sx + sy * sy + sz * sz
    a = max(wx * wx + wy * wy + wz * wz - ws * ws / ss, 0.0)
    b = scale * (cx * wx + cy * wy + cz * wz)
    c0 = arc_m * arc_m
    c = c0 - h_sep * h_sep
    inf = math.inf
    if a > 0.0:
        disc = b * b - a * c
        if disc > 0.0:
            q = -(b + math.copysign(math.sqrt(disc), b))
            r1 = q / a
            r2 = c / q
            h_lo, h_hi = min(r1, r2), max(r1, r2)
        else:
            h_lo, h_hi = inf, -inf
    elif c < 0.0:
        h_lo, h_hi = -inf, inf
    else:
        h_lo, h_hi = inf, -inf
    if dvz != 0.0:
        v1 = (-v_sep - dz) / dvz
        v2 = (v_sep - dz) / dvz
        v_lo, v_hi = min(v1, v2), max(v1, v2)
    elif abs(dz) < v_sep:
        v_lo, v_hi = -inf, inf
    else:
        v_lo, v_hi = inf, -inf
    lo = max(h_lo, v_lo)
    hi = min(h_hi, v_hi)
    if not (lo < hi and lo < lookahead and hi > 0.0):
        return False, 0.0, 0.0, 0.0, 0.0
    tcpa = min(max(-b / a, 0.0), lookahead) if a > 0.0 else 0.0
    dcpa = math.sqrt(max(c0 + tcpa * (2.0 * b + a * tcpa), 0.0))
    return True, min(max(lo, 0.0), lookahead), min(max(hi, 0.0), lookahead), tcpa, dcpa


@njit(cache=True, nogil=True)
def _scan(
    start: int, stop: int, owner: Any, reach: Any, first: Any, full: int, lo: Any, hi: Any,
    box_lo: Any, box_hi: Any, group: Any,
    n: int, u: Any, v: Any, alt: Any, vs: Any,
    lookahead: float, h_sep: float, v_sep: float,
) -> tuple[Any, Any, Any]:  # fmt: skip
    cap = 1024
    out_ij = np.empty((cap, 2), dtype=np.int64)
    out_t = np.empty((cap, 4), dtype=np.float64)
    k = 0
    use_group = group.shape[0] > 0
    for e in range(start, stop):
        be = owner[e]
        xl, xh, yl, yh = lo[e, 0], hi[e, 0], lo[e, 1], hi[e, 1]
        for f in range(e + 1, reach[e]):
            # Boxes: x, y, z, altitude (the sweep axis: overlap is given), slice.
            if (lo[f, 0] > xh) | (hi[f, 0] < xl) | (lo[f, 1] > yh) | (hi[f, 1] < yl):
                continue
            if lo[f, 2] > hi[e, 2] or hi[f, 2] < lo[e, 2] or lo[f, 4] != lo[e, 4]:
                continue
            bf = owner[f]
            if use_group and group[be] == group[bf]:
                continue
            # Reported only from the cell of the lower corner of the intersection.
            if (first[e] | first[f]) != full:
                continue
            # Kept from the first time slice in which the boxes overlap.
            if be >= n:
                pe, pf = be - n, bf - n
                earlier = True
                for dim in range(4):
                    if box_lo[pe, dim] > box_hi[pf, dim] or box_lo[pf, dim] > box_hi[pe, dim]:
                        earlier = False
                        break
                if earlier:
                    continue
            i, j = be % n, bf % n
            if i > j:
                i, j = j, i
            hit, t_in, t_out, tcpa, dcpa = _solve_one(
                u[j, 0] - u[i, 0], u[j, 1] - u[i, 1], u[j, 2] - u[i, 2],
                u[j, 0] + u[i, 0], u[j, 1] + u[i, 1], u[j, 2] + u[i, 2],
                v[j, 0] - v[i, 0], v[j, 1] - v[i, 1], v[j, 2] - v[i, 2],
                alt[j] - alt[i], vs[j] - vs[i], lookahead, h_sep, v_sep,
            )  # fmt: skip
            if not hit:
                continue
            if k == cap:
                cap *= 2
                grown_ij = np.empty((cap, 2), dtype=np.int64)
                grown_t = np.empty((cap, 4), dtype=np.float64)
                grown_ij[:k] = out_ij[:k]
                grown_t[:k] = out_t[:k]
                out_ij, out_t = grown_ij, grown_t
            out_ij[k, 0], out_ij[k, 1] = i, j
            out_t[k, 0], out_t[k, 1], out_t[k, 2], out_t[k, 3] = t_in, t_out, tcpa, dcpa
            k += 1
    return out_ij[:k], out_t[:k], k


def numba_backend(
    state: Any, lookahead: float, h_sep: float, v_sep: float, group: I64 | None
) -> tuple[I64, I64, F64, F64, F64, F64]:
    """Separation conflicts with the grid scan and exact test compiled by Numba.

    The scan runs in one thread per core on slices of the grid with equal work.
    """
    from .separation import _SLICES, _grid_cells, _swept_boxes

    n = len(state)
    lo, hi = _swept_boxes(state, lookahead, h_sep, v_sep, _SLICES)
    grid = build_grid(lo, hi, _grid_cells(lo, hi, v_sep), sweep=_ALT)
    box_group = np.empty(0, dtype=np.int64) if group is None else np.tile(group, _SLICES)
    work = np.cumsum(grid.reach - np.arange(grid.reach.size) - 1)
    parts = max(1, min(os.cpu_count() or 1, 8)) if work.size and work[-1] > 100_000 else 1
    cuts = np.searchsorted(work, work[-1] * np.arange(1, parts) / parts) if parts > 1 else []
    bounds = [0, *map(int, cuts), grid.reach.size]

    def scan(k: int) -> tuple[Any, Any, int]:
        return _scan(
            bounds[k], bounds[k + 1], grid.owner, grid.reach, grid.first, int(grid.full),
            grid.lo, grid.hi, lo, hi, box_group, n, state.u, state.v, state.alt_m,
            state.vs_mps, float(lookahead), float(h_sep), float(v_sep),
        )  # fmt: skip

    if parts == 1:
        results = [scan(0)]
    else:
        with ThreadPoolExecutor(max_workers=parts) as pool:
            results = list(pool.map(scan, range(parts)))
    ij = np.concatenate([r[0] for r in results])
    t = np.concatenate([r[1] for r in results])
    return ij[:, 0], ij[:, 1], t[:, 0], t[:, 1], t[:, 2], t[:, 3]
