"""Overlapping pairs among many axis-aligned boxes, via a grid and a sweep.

The broad phase of the detectors: it never forms an N×N matrix. Boxes are hashed onto a
grid over every dimension but one; inside each cell the boxes are sorted on the
remaining (sweep) dimension, so each box meets only the boxes starting within its own
extent there. A pair is reported only by the cell holding the lower corner of the two
boxes' intersection, so no pair is reported twice. Memory grows with the number of
(box, cell) entries plus the pairs tested, processed in bounded chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InvalidInput
from .arrays import F64, I64
from .engine import fewest_doublings

__all__ = ["Grid", "build_grid", "candidate_pairs"]


MAX_ENTRIES_PER_BOX = 64
"""Cells a box may be entered in on average before the grid is made coarser."""

PAIR_CHUNK = 4_000_000
"""Most pairs tested at once by :func:`candidate_pairs`; bounds memory in dense cells."""


@dataclass(frozen=True)
class Grid:
    """Boxes entered in the cells they cover, sorted by (cell, lower edge on ``sweep``).

    Attributes
    ----------
    key : ndarray of int64, shape (e,)
        Cell number of each entry.
    owner : ndarray of int64, shape (e,)
        Box of each entry.
    reach : ndarray of int64, shape (e,)
        One past the last entry of the same cell that starts within this box's sweep
        extent; entry k meets entries ``k + 1 .. reach[k] - 1``.
    first : ndarray of uint8, shape (e,)
        Bit h is set when the entry's cell is the box's first cell along hashed
        dimension h. A pair met in a cell is reported there only when, along every
        hashed dimension, one of the two entries is in its box's first cell: that cell
        holds the lower corner of the boxes' intersection, so each pair is reported once.
    full : uint8
        All bits of the hashed dimensions.
    lo, hi : ndarray of float64, shape (e, d)
        Corners of each entry's box.
    hashed : ndarray of int64, shape (h,)
        Dimensions the grid hashes on.
    origin, cell : ndarray of float64, shape (d,)
        Grid origin and cell size per dimension.
    stride : ndarray of int64, shape (h,)
        Weight of each hashed dimension's cell index in ``key``.
    sweep : int
        The dimension sorted within cells.
    """

    key: I64
    owner: I64
    reach: I64
    first: NDArray[np.uint8]
    full: np.uint8
    lo: F64
    hi: F64
    hashed: I64
    origin: F64
    cell: F64
    stride: I64
    sweep: int


def build_grid(lo: F64, hi: F64, cell: F64 | None = None, sweep: int = 0) -> Grid:
    """Enter n boxes with corners ``lo``, ``hi`` (shape (n, d)) in a grid.

    ``cell`` (shape (d,)) is the cell size per dimension, by default the median box
    size; a dimension whose whole range spans fewer than two cells is not hashed. Boxes
    that are not finite (values beyond the detectors' domain) raise InvalidInput.
    """
    n, d = lo.shape
    lo_t = np.ascontiguousarray(lo.T)
    hi_t = np.ascontiguousarray(hi.T)
    if n and not (np.isfinite(lo_t).all() and np.isfinite(hi_t).all()):
        raise InvalidInput("boxes that are not finite (extreme coordinates?)")
    if cell is None:
        cell = np.median(hi_t - lo_t, axis=1) if n else np.ones(d)
    first_cell = np.maximum(np.asarray(cell, dtype=np.float64), 1e-9)
    origin = lo_t.min(axis=1) if n else np.zeros(d)
    with np.errstate(over="ignore"):
        extent = hi_t.max(axis=1) - origin if n else np.zeros(d)
    tried: dict[int, tuple[Any, ...]] = {}

    def at(doublings: int) -> tuple[Any, ...]:
        """The grid's cells doubled that many times: sizes, hashed axes, first and last
        cell of each box on each, cells per box along each, entries per box."""
        if doublings not in tried:
            with np.errstate(over="ignore"):
                size = np.ldexp(first_cell, doublings)
            hashed = [k for k in range(d) if k != sweep and n and extent[k] >= 2.0 * size[k]]
            with np.errstate(over="ignore", invalid="ignore"):
                fl = [np.floor((lo_t[k] - origin[k]) / size[k]) for k in hashed]
                fh = [np.floor((hi_t[k] - origin[k]) / size[k]) for k in hashed]
            entries = np.ones(n)
            for bottom, top in zip(fl, fh, strict=True):
                entries *= top - bottom + 1
            tried[doublings] = (size, hashed, fl, fh, entries)
        return tried[doublings]

    # Boxes much larger than the cells (a skewed mix of sizes) would be entered in too
    # many cells: coarsen the grid (as few doublings as needed) until the entries stay
    # proportional to n.
    def fits(k: int) -> bool:
        return bool(float(at(k)[4].sum()) <= MAX_ENTRIES_PER_BOX * n + 1024)

    found = fewest_doublings(fits)
    cell, hashed, fl, fh, _ = at(found)
    if not fits(found) or not all(float(top.max()) < 2.0**62 for top in fh):
        raise InvalidInput("boxes span too many grid cells (extreme coordinates?)")
    clo = [bottom.astype(np.int64) for bottom in fl]
    chi = [top.astype(np.int64) for top in fh]
    span = [top - bottom + 1 for bottom, top in zip(clo, chi, strict=True)]
    dims = [int(h.max()) + 1 for h in chi]
    if len(hashed) > 8 or float(np.prod(np.asarray(dims, dtype=np.float64))) >= 2.0**62:
        raise InvalidInput("boxes span too many grid cells (extreme coordinates?)")
    strides = np.cumprod([1, *dims[:-1]]).astype(np.int64) if dims else np.empty(0, np.int64)
    # One entry per (box, cell) the box covers, as a single integer key per cell.
    count = np.ones(n, dtype=np.int64)
    for s_k in span:
        count *= s_k
    owner = np.repeat(np.arange(n, dtype=np.int64), count)
    offset = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    key = np.zeros(owner.size, dtype=np.int64)
    first = np.zeros(owner.size, dtype=np.uint8)
    for k in range(len(hashed)):
        s_k = span[k][owner]
        step = offset % s_k
        key += (clo[k][owner] + step) * strides[k]
        first |= (step == 0).astype(np.uint8) << k
        offset //= s_k
    # Sorted by (cell, lower edge on the sweep axis), a box's partners in its cell are
    # the entries after it up to the last one starting within its extent.
    base = float(origin[sweep])
    width = (float(hi_t[sweep].max()) - base + 1.0) if n else 1.0
    sweep_lo = lo_t[sweep][owner] - base
    top = int(key.max()) if key.size else 0
    if (top + 1) * width < 2.0**40:
        # One float sort key: cell * width + offset on the sweep axis (exact to < 1e-3).
        ranked = key * width + sweep_lo
        order = np.argsort(ranked)
        key, owner, ranked, first = key[order], owner[order], ranked[order], first[order]
        limit = key * width + (hi_t[sweep][owner] - base)
    else:
        order = np.lexsort((sweep_lo, key))
        key, owner, sweep_lo, first = key[order], owner[order], sweep_lo[order], first[order]
        run = np.cumsum(np.r_[0, key[1:] != key[:-1]])
        ranked = run * width + sweep_lo
        limit = run * width + (hi_t[sweep][owner] - base)
    reach = np.searchsorted(ranked, limit, side="right")
    return Grid(
        key=key,
        owner=owner,
        reach=reach.astype(np.int64),
        first=first,
        full=np.uint8((1 << len(hashed)) - 1),
        lo=np.take(lo, owner, axis=0),
        hi=np.take(hi, owner, axis=0),
        hashed=np.asarray(hashed, dtype=np.int64),
        origin=origin,
        cell=cell,
        stride=strides,
        sweep=sweep,
    )


def candidate_pairs(
    lo: F64,
    hi: F64,
    group: I64 | None = None,
    cell: F64 | None = None,
    sweep: int = 0,
) -> tuple[I64, I64]:
    """All pairs of boxes that overlap, without forming an N×N matrix.

    Parameters
    ----------
    lo, hi : ndarray, shape (n, d)
        Lower and upper corners of n axis-aligned boxes in d dimensions.
    group : ndarray of int64, shape (n,), optional
        Boxes of equal group are never paired.
    cell : ndarray, shape (d,), optional
        Grid cell size per dimension; by default the median box size. A dimension whose
        whole range spans fewer than two cells is not hashed.
    sweep : int
        The dimension swept (sorted) inside each cell instead of hashed.

    Returns
    -------
    i, j : ndarray of int64, shape (k,)
        Each overlapping pair once, ``i < j``, in no particular order. Boxes that only
        touch count as overlapping.

    The boxes are hashed onto a grid over every dimension but ``sweep``; inside a cell
    they are sorted on ``sweep`` so that each box meets only the boxes starting within
    its own extent there. A pair is reported only by the cell holding the lower corner
    of the two boxes' intersection, so no pair is reported twice.

    >>> lo = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    >>> i, j = candidate_pairs(lo, lo + 2.0)
    >>> i.tolist(), j.tolist()
    ([0], [1])
    """
    n, d = lo.shape
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return empty, empty
    grid = build_grid(lo, hi, cell, sweep)
    partners = grid.reach - np.arange(grid.key.size) - 1
    group_e = None if group is None else group[grid.owner]
    cum = np.cumsum(partners)
    out_i: list[I64] = [empty]
    out_j: list[I64] = [empty]
    start = 0
    while start < grid.key.size:
        done = int(cum[start - 1]) if start else 0
        last = max(int(np.searchsorted(cum, done + PAIR_CHUNK, side="right")), start + 1)
        p = partners[start:last]
        entry = np.arange(start, last, dtype=np.int64)
        src = np.repeat(entry, p)
        # dst runs from src + 1 to src + p: the output position plus a per-entry shift.
        shift = entry + 1 - (np.cumsum(p) - p)
        dst = np.arange(src.size, dtype=np.int64) + np.repeat(shift, p)
        if group_e is not None:
            keep = group_e[src] != group_e[dst]
            src, dst = src[keep], dst[keep]
        for k in range(d):
            if k != sweep:
                keep = (grid.lo[src, k] <= grid.hi[dst, k]) & (grid.lo[dst, k] <= grid.hi[src, k])
                src, dst = src[keep], dst[keep]
        mine = (grid.first[src] | grid.first[dst]) == grid.full
        bi, bj = grid.owner[src[mine]], grid.owner[dst[mine]]
        out_i.append(np.minimum(bi, bj))
        out_j.append(np.maximum(bi, bj))
        start = last
    return np.concatenate(out_i), np.concatenate(out_j)
