"""Numba kernel of :class:`~deconflict.detect.live.LivePairs`: candidate partners of
changed tracks among the standing ones.

A standing track k holds a box (row k of ``box``, (cap, 8) float32 as in
:mod:`deconflict.detect.kernels`) that bounds its path, grown as the exact test needs,
for every query time in its validity window, and its state at the box's epoch in the
boxes' frame (one ``motion`` record per track). A changed track has a
box for the lookahead from now. A pair is a candidate when the boxes overlap and the
straight-line motions (within the margins the boxes carry) come within the horizontal
and vertical separation at one time in [0, T]: a cheap, conservative form of the exact
test that keeps the candidates close to the conflicts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from .kernels import _BOX_MASK, _FIRST_SHIFT, boxes_overlap, cell_bucket, cell_range

__all__: list[str] = []


@njit(cache=True, nogil=True)
def _may_conflict(
    px: float, py: float, pz: float, vx: float, vy: float, vz: float, alt: float,
    vs: float, reach: float, v_sep: float, lookahead: float,
) -> bool:  # fmt: skip
    """Whether relative motion p + v t (m) comes within ``reach`` while the relative
    altitude alt + vs t is within ``v_sep``, for some t in [0, lookahead]."""
    a = vx * vx + vy * vy + vz * vz
    b = px * vx + py * vy + pz * vz
    c = px * px + py * py + pz * pz - reach * reach
    if a > 0.0:
        disc = b * b - a * c
        if disc < 0.0:
            return False
        root = math.sqrt(disc)
        lo, hi = (-b - root) / a, (-b + root) / a
    elif c <= 0.0:
        lo, hi = -math.inf, math.inf
    else:
        return False
    if vs != 0.0:
        v1 = (-v_sep - alt) / vs
        v2 = (v_sep - alt) / vs
        lo, hi = max(lo, min(v1, v2)), min(hi, max(v1, v2))
    elif abs(alt) > v_sep:
        return False
    lo, hi = max(lo, 0.0), min(hi, lookahead)
    return lo <= hi + 1e-6


@njit(cache=True, nogil=True)
def _lookup(
    m: int, q_box: Any, q_slot: Any, q_p: Any, q_v: Any, q_alt: Any, q_vs: Any,
    q_extra: Any, q_group: Any, bstart: Any, pack: Any, key: Any, coord: Any,
    keyed: bool, origin: Any, cell: Any, dims: Any, stride: Any, modulus: int, live: Any,
    motion: Any, use_group: bool, is_query: Any,
    now: float, lookahead: float, h_sep: float, v_sep: float,
    out_m: Any, out_s: Any, k: int,
) -> tuple[Any, Any, int]:  # fmt: skip
    """Append to ``out_m``, ``out_s`` (from row k) the candidates of query m in one grid."""
    full = 15
    me = q_slot[m]
    x0, x1, y0, y1, z0, z1, a0, a1 = cell_range(q_box, m, origin, cell, dims)
    for ia in range(a0, a1 + 1):
        for iz in range(z0, z1 + 1):
            for iy in range(y0, y1 + 1):
                for ix in range(x0, x1 + 1):
                    c_key, bk = cell_bucket(ix, iy, iz, ia, stride, 0, modulus)
                    bits_q = (
                        (1 if ix == x0 else 0) | (2 if iy == y0 else 0)
                        | (4 if iz == z0 else 0) | (8 if ia == a0 else 0)
                    )  # fmt: skip
                    for e in range(bstart[bk], bstart[bk + 1]):
                        # A pair is taken in the cell of the lower corner of the boxes'
                        # intersection; the entry's copy of its box is read in a row.
                        pk = pack[e]
                        if (bits_q | ((pk >> _FIRST_SHIFT) & 15)) != full:
                            continue
                        if keyed and key[e] != c_key:
                            continue
                        if not boxes_overlap(q_box, m, coord, e):
                            continue
                        j = pk & _BOX_MASK
                        if not live[j] or j == me or (is_query[j] and j < me):
                            continue
                        # One record per standing track: epoch state, margins, group.
                        r = motion[j]
                        if use_group and r[10] == q_group[m]:
                            continue
                        tau = now - r[8]
                        if not _may_conflict(
                            q_p[m, 0] - (r[0] + r[3] * tau),
                            q_p[m, 1] - (r[1] + r[4] * tau),
                            q_p[m, 2] - (r[2] + r[5] * tau),
                            q_v[m, 0] - r[3], q_v[m, 1] - r[4], q_v[m, 2] - r[5],
                            r[6] + r[7] * tau - q_alt[m], r[7] - q_vs[m],
                            h_sep + q_extra[m] + r[9], v_sep + 1e-3, lookahead,
                        ):  # fmt: skip
                            continue
                        if k == out_m.shape[0]:
                            grown_m = np.empty(2 * k, dtype=np.int64)
                            grown_s = np.empty(2 * k, dtype=np.int64)
                            grown_m[:k] = out_m[:k]
                            grown_s[:k] = out_s[:k]
                            out_m, out_s = grown_m, grown_s
                        out_m[k] = m
                        out_s[k] = j
                        k += 1
    return out_m, out_s, k


@njit(cache=True, nogil=True)
def candidates(
    q_box: Any, q_slot: Any, q_p: Any, q_v: Any, q_alt: Any, q_vs: Any, q_extra: Any,
    origin: Any, cell: Any, dims: Any, stride: Any,
    bstart: Any, pack: Any, key: Any, coord: Any, keyed: bool, modulus: int, in_grid: Any,
    p_bstart: Any, p_pack: Any, p_key: Any, p_coord: Any, p_keyed: bool, p_modulus: int,
    pending: Any, motion: Any, use_group: bool, is_query: Any,
    now: float, lookahead: float, h_sep: float, v_sep: float,
) -> tuple[Any, Any]:  # fmt: skip
    """Candidate pairs (query m, standing slot) for the changed tracks, each pair once.

    ``motion`` (cap, 12) holds one record per standing track: its state at the box's
    epoch in the boxes' frame (position m, velocity m/s: columns 0-5), altitude (m) and
    vertical speed (m/s) then (6, 7), the epoch (8, s), how far beyond half of
    ``h_sep`` its motion may stray (9, m) and its group (10).

    Standing tracks are looked up in two grids over the same cells: the main one, whose
    entries count only for slots still ``in_grid``, and the one of the ``pending``
    slots (changed since the main grid was built). A slot never pairs with itself nor
    with its own group (``use_group``); when both are changed (``is_query``), the pair
    is taken from the lower slot. ``q_extra`` (m) and ``q_group`` are those of the
    changed tracks.
    """
    out_m = np.empty(256, dtype=np.int64)
    out_s = np.empty(256, dtype=np.int64)
    k = 0
    q_group = motion[q_slot, 10]
    for m in range(q_box.shape[0]):
        out_m, out_s, k = _lookup(
            m, q_box, q_slot, q_p, q_v, q_alt, q_vs, q_extra, q_group, bstart, pack, key,
            coord, keyed, origin, cell, dims, stride, modulus, in_grid, motion, use_group,
            is_query, now, lookahead, h_sep, v_sep, out_m, out_s, k,
        )  # fmt: skip
        out_m, out_s, k = _lookup(
            m, q_box, q_slot, q_p, q_v, q_alt, q_vs, q_extra, q_group, p_bstart, p_pack,
            p_key, p_coord, p_keyed, origin, cell, dims, stride, p_modulus, pending, motion,
            use_group, is_query, now, lookahead, h_sep, v_sep, out_m, out_s, k,
        )  # fmt: skip
    return out_m[:k], out_s[:k]
