"""The compiled separation backend: grid, scan, exact test and output order in Numba.

Same definition and same pairs as the numpy backend (the tests hold them to each other).
The tracks are put in Z-order of fine cells (nearby tracks, nearby memory); their swept
boxes (:mod:`deconflict.detect.engine`) are entered in a grid by a counting sort (a
histogram of cells, then each entry written to its place: no comparison sort of
entries, no per-entry search), and each cell's entries are sorted by altitude step, so
a box meets only the boxes of its cell that start inside its altitude band. The scan
and the exact test are fused, so candidate pairs are never materialised; the output is
put in (a, b) order by a radix sort on the first track's rank.

Work is split into ranges that never write to one place, run on one thread pool kept
for the process (:func:`parallel`, never a pool per call); the kernels
(:mod:`deconflict.detect.kernels`) release the GIL. The compiled code is cached on disk
on first use; :meth:`NumbaBackend.warm` loads it.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidInput
from ..geo import EARTH_RADIUS_M
from . import engine
from . import kernels as kn
from .arrays import F32, F64, I64
from .engine import (
    MAX_DOUBLINGS,
    V_MARGIN_M,
    RawPairs,
    Solved,
    TrackState,
    box_growth,
    facing,
    fewest_doublings,
)

__all__ = [
    "BucketGrid",
    "Cells",
    "NumbaBackend",
    "build_grid",
    "build_self_grid",
    "entries_within",
    "growth_polynomials",
    "numba_backend",
    "order_pairs",
    "parallel",
    "plan_cells",
    "swept_boxes",
    "threads",
]


MAX_ENTRIES_PER_BOX = 64
"""Cells a box may be entered in on average before the grid is made coarser."""

_MIN_PARALLEL = 20_000
"""Items below which a kernel runs on the calling thread alone."""

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def threads() -> int:
    """Threads used for one call: the cores this process may run on, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _forget_pool() -> None:
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    # A forked child has none of the parent's threads: it starts its own pool.
    os.register_at_fork(after_in_child=_forget_pool)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="deconflict")
        return _pool


def parallel(work: Callable[[int, int], Any], bounds: Sequence[int]) -> list[Any]:
    """``work(bounds[k], bounds[k + 1])`` for every k, on the process's thread pool.

    One range runs on the calling thread. The pool is created on first use and kept
    for the process (never one per call); callers on several threads share it. ``work``
    must not call :func:`parallel` itself (the pool's threads would wait on each other).
    """
    ranges = [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]
    if len(ranges) <= 1:
        return [work(a, b) for a, b in ranges]
    futures = [_executor().submit(work, a, b) for a, b in ranges]
    return [f.result() for f in futures]


def even_bounds(n: int, parts: int | None = None) -> list[int]:
    """Cut ``0 .. n`` into ``parts`` (default: one per thread) nearly equal ranges."""
    parts = (threads() if n >= _MIN_PARALLEL else 1) if parts is None else parts
    return [n * k // parts for k in range(parts + 1)]


def weighted_bounds(cum: I64, parts: int) -> list[int]:
    """Cut ``0 .. len(cum)`` into ranges of about equal weight, ``cum`` the running sum."""
    size = int(cum.shape[0])
    if size == 0 or parts <= 1 or int(cum[-1]) == 0:
        return [0, size]
    cuts = np.searchsorted(cum, int(cum[-1]) * np.arange(1, parts) / parts, side="left")
    return [0, *sorted({int(c) for c in cuts if 0 < c < size}), size]


@dataclass(frozen=True)
class BucketGrid:
    """Boxes entered in the cells they cover, grouped by bucket.

    ``bstart`` (nb + 1) gives each bucket's entries. A bucket is one cell of one range
    of boxes (``keyed`` false) or, when the cells far outnumber the entries, the cells of
    one range whose key has one residue modulo a prime ``modulus`` (``keyed`` true: ``key`` holds
    each entry's cell, and entries of other cells in the bucket are skipped). An entry
    is one int64 (:func:`~deconflict.detect.kernels.grid_enter`): the altitude step
    (``quantum`` m from ``alt_origin``) of its box's lower altitude edge, its ``first``
    bits and its box; inside a bucket entries are in altitude-step order, or, for a
    grid built ``inline``, each entry has a copy of its box in ``coord`` (e, 8).
    """

    bstart: I64
    pack: I64
    key: I64
    keyed: bool
    alt_origin: float
    quantum: float
    modulus: int = 0
    coord: F32 = field(default_factory=lambda: np.empty((0, 8), dtype=np.float32))
    full: int = 15


@dataclass(frozen=True)
class Cells:
    """A grid's cells: ``origin``, ``cell`` (m) and ``dims`` along x, y, z, altitude
    (``dims`` 1: not hashed), the boxes' ``span`` from the origin (m), and the
    ``stride`` of each axis in a cell key."""

    origin: F64
    span: F64
    cell: F64
    dims: I64

    @property
    def stride(self) -> I64:
        return np.cumprod(np.r_[1, self.dims[:-1]]).astype(np.int64)

    @property
    def count(self) -> int:
        return int(np.prod(self.dims))


def plan_cells(box: F32, size: F64, hash_alt: bool) -> Cells:
    """Cells of about ``size`` (4,) over the boxes ``box`` (b, 8).

    x and y are hashed where the boxes span two cells or more; z only when some box
    lies more than 60° from the frame's pole (elsewhere the sphere is a graph over x, y
    and z adds nothing); altitude when ``hash_alt``. Sizes are doubled, as few times as
    needed (counted, not searched one by one), until there are fewer than 2**56 cells.
    Raises InvalidInput for boxes that are not finite (values beyond the detectors'
    domain, :mod:`deconflict.bounds`).
    """
    if box.shape[0]:
        origin, top = kn.box_bounds(box)
        span = top - origin
        if not (np.isfinite(origin).all() and np.isfinite(span).all()):
            raise InvalidInput(
                "the tracks' swept boxes are not finite: a speed, altitude or time beyond "
                "what the detectors take"
            )
    else:
        origin, span = np.zeros(4), np.ones(4)
    size = np.asarray(size, dtype=np.float64)
    hashed = span >= 2.0 * size
    hashed[2] &= bool(box.shape[0]) and float(origin[2]) < 0.5 * EARTH_RADIUS_M
    hashed[3] &= hash_alt

    def dims_at(k: int) -> F64:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return np.where(hashed, np.floor(span / np.ldexp(size, k)) + 1, 1.0)

    def fits(k: int) -> bool:
        return float(np.prod(dims_at(k))) < 2.0**56

    k = fewest_doublings(fits)
    if k == MAX_DOUBLINGS and not fits(k):  # pragma: no cover - sizes of 0: one cell
        hashed[:] = False
    dims = dims_at(k).astype(np.int64)
    cell = np.ldexp(size, k)
    return Cells(origin, span, np.ascontiguousarray(cell, dtype=np.float64), dims)


def _prime_at_least(x: int) -> int:
    x = max(x, 3) | 1
    while any(x % p == 0 for p in range(3, math.isqrt(x) + 1, 2)):
        x += 2
    return x


def build_grid(
    box: F32,
    parts: Sequence[int],
    cells: Cells,
    alt_origin: float,
    quantum: float,
    expected: int,
    which: I64 | None = None,
    inline: bool = False,
) -> BucketGrid:
    """Enter the boxes ``box`` (b, 8) in ``cells`` (only rows ``which``, if given).

    ``parts`` cuts the boxes (positions in ``which``, if given) into ranges with buckets
    of their own (time slices). Each range's buckets are split among the threads: a
    task reads its range's boxes and writes the entries of its buckets only, so tasks
    never write to one place and every bucket holds its entries in box order. The
    entries of a bucket are then sorted by altitude step, unless ``inline``: then each
    entry carries a copy of its box (``BucketGrid.coord``), for lookups that read the boxes of
    a cell in a row, and no order. ``expected`` estimates the entries: when the cells
    far outnumber them, buckets are cells modulo a prime of about that size.
    """
    if box.shape[0] >= 2**32:  # pragma: no cover - 4 billion boxes
        raise ValueError("too many boxes for one grid")
    stride, origin, cell, dims = cells.stride, cells.origin, cells.cell, cells.dims
    rows = np.empty(0, dtype=np.int64) if which is None else which
    ranges = list(itertools.pairwise(parts))
    per_range = cells.count
    modulus = 0
    if per_range > expected // max(len(ranges), 1) + 65_536:
        modulus = _prime_at_least(expected // max(len(ranges), 1) + 1)
        per_range = modulus
    split = threads() if expected >= _MIN_PARALLEL else 1
    # Tasks: (box range, bucket range), the buckets of each box range cut in `split`.
    tasks = [
        (a, b, r * per_range + per_range * h // split, r * per_range + per_range * (h + 1) // split)
        for r, (a, b) in enumerate(ranges)
        for h in range(split)
    ]
    hist = np.zeros(per_range * len(ranges) + 1, dtype=np.int64)

    def enter(cursor: I64, pack: I64, key: I64, coord: F32) -> int:
        """Every task's entries, as :func:`~deconflict.detect.kernels.grid_enter` enters them."""

        def task(t: int, _: int) -> int:
            a, b, k0, k1 = tasks[t]
            base = (k0 // per_range) * per_range
            total: int = kn.grid_enter(
                a, b, rows, box, origin, cell, dims, stride, base, modulus, k0, k1, cursor,
                alt_origin, quantum, pack, key, coord,
            )  # fmt: skip
            return total

        return int(sum(parallel(task, range(len(tasks) + 1))))

    none = np.empty(0, dtype=np.int64)
    entries = enter(hist[1:], none, none, np.empty((0, 8), dtype=np.float32))
    bstart = np.cumsum(hist)
    pack = np.empty(entries, dtype=np.int64)
    key = np.empty(entries if modulus else 0, dtype=np.int64)
    coord = np.empty((entries if inline else 0, 8), dtype=np.float32)
    enter(bstart[:-1].copy(), pack, key, coord)

    def sort(a: int, b: int) -> None:
        kn.sort_buckets(a, b, bstart, pack, key, modulus > 0)

    if not inline:
        parallel(sort, weighted_bounds(bstart[1:], threads() if entries >= _MIN_PARALLEL else 1))
    return BucketGrid(bstart, pack, key, modulus > 0, alt_origin, quantum, modulus, coord)


def entries_within(cells: Cells, box: F32, limit: float, which: I64 | None = None) -> bool:
    """Whether the boxes ``box`` (only rows ``which``, if given) make at most ``limit``
    entries in ``cells``: bounded from the widest box along each axis (a cheap pass),
    counted box by box only when that bound is over the limit."""
    rows = box if which is None else box[which]
    m = rows.shape[0]
    if m == 0:
        return True
    widest = (rows[:, 1::2].astype(np.float64) - rows[:, 0::2]).max(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        spans = np.minimum(np.floor(widest / cells.cell) + 2.0, cells.dims)
    if m * float(np.prod(np.where(cells.dims > 1, spans, 1.0))) <= limit:
        return True
    which = np.empty(0, dtype=np.int64) if which is None else which
    total: float = kn.entry_count(m, which, box, cells.origin, cells.cell, cells.dims)
    return total <= limit


def build_self_grid(box: F32, n: int, v_sep_m: float) -> BucketGrid:
    """Enter the boxes ``box`` ((slices * n, 8), row ``s * n + k``) in a grid.

    Cells are 1.5 median horizontal box sizes (from a sample); boxes too large for them
    make them coarser, so that entries stay proportional to the boxes (at most
    :data:`MAX_ENTRIES_PER_BOX` per box on average, counted over every box). Altitude is not
    hashed: it is the sweep axis, in steps of a quarter of ``v_sep_m`` (at most about
    65,000 steps). Each slice has buckets of its own.
    """
    boxes = box.shape[0]
    step = max(1, boxes // 4096)
    sample = box[::step].astype(np.float64)
    extent = np.median(sample[:, 1:4:2] - sample[:, 0:4:2], axis=0)
    size = max(1.5 * float(extent.max()), 1.0)
    tried: dict[int, tuple[Cells, F64]] = {}

    def at(k: int) -> tuple[Cells, F64]:
        """The cells of ``size`` doubled k times, and the sample's entries per box."""
        if k not in tried:
            with np.errstate(over="ignore"):
                s = float(np.ldexp(size, k))
            cells = plan_cells(box, np.array([s, s, s, 1.0]), hash_alt=False)
            spans = np.ones(sample.shape[0])
            for d in range(3):
                if cells.dims[d] > 1:
                    a = np.floor((sample[:, 2 * d] - cells.origin[d]) / cells.cell[d])
                    b = np.floor((sample[:, 2 * d + 1] - cells.origin[d]) / cells.cell[d])
                    spans *= b - a + 1
            tried[k] = (cells, spans)
        return tried[k]

    chosen = fewest_doublings(lambda k: float(at(k)[1].mean()) <= MAX_ENTRIES_PER_BOX)
    # The sample may miss a box far larger than the rest: count every box's entries, and
    # coarsen further while they are out of proportion (a bound on the grid's memory).
    limit = MAX_ENTRIES_PER_BOX * boxes + 65_536
    chosen += fewest_doublings(lambda k: entries_within(at(chosen + k)[0], box, limit))
    cells, spans = at(chosen)
    alt_origin = float(cells.origin[3])
    alt_top = alt_origin + float(cells.span[3])
    quantum = max(0.25 * v_sep_m, (alt_top - alt_origin) / 65_000.0, 1e-9)
    parts = [s * n for s in range(boxes // n + 1)]
    expected = int(boxes * float(spans.mean())) + 1
    return build_grid(box, parts, cells, alt_origin, quantum, expected)


def swept_boxes(state: TrackState, edges: F64, growth: F64, v_sep_m: float, rot: F64) -> F32:
    """Boxes ((slices * n, 8), row ``s * n + k``, float32 rounded outwards; see
    :mod:`~deconflict.detect.kernels`) of every track in every slice.

    Slice s sweeps from ``edges[s]`` to ``edges[s + 1]`` s after the state and grows
    horizontally by the polynomial ``growth[s]`` (4,) in the ground speed (from
    :func:`~deconflict.detect.engine.box_growth`), in altitude by half ``v_sep_m``.
    """
    n = len(state)
    slices = edges.shape[0] - 1
    box = np.empty((slices * n, 8), dtype=np.float32)
    coef = np.ascontiguousarray(growth, dtype=np.float64)
    v_half = 0.5 * v_sep_m + V_MARGIN_M

    def fill(a: int, b: int) -> None:
        kn.swept_boxes(
            a, b, state.u, state.v, state.alt_m, state.vs_mps, state.gs_mps, rot,
            edges, coef, v_half, box,
        )  # fmt: skip

    parallel(fill, even_bounds(n))
    return box


def growth_polynomials(edges: F64, h_sep_m: float, s_max_mps: float) -> F64:
    """Per slice, the growth polynomial (slices, 4) of :func:`swept_boxes` for a sweep
    ending ``edges[s + 1]`` s after the state (:func:`~.engine.box_growth`)."""
    out = np.zeros((edges.shape[0] - 1, 4))
    for s, t in enumerate(edges[1:]):
        per_mps, fixed_m = box_growth(float(t), h_sep_m, s_max_mps)
        out[s, 0], out[s, 1] = fixed_m, per_mps
    return out


def spatial_order(state: TrackState, rot: F64, t_s: float, size_m: float) -> I64:
    """Track indices (n,) grouped by the cell (of ``size_m``) of their position at ``t_s``."""
    n = len(state)
    keys = kn.spatial_keys(state.u, state.v, rot, t_s, size_m, 4 * n + 65_536)
    order: I64 = kn.counting_order(keys[:n], int(keys[n]))
    return order


def permuted(
    state: TrackState, perm: I64, group: I64 | None, rank: I64
) -> tuple[TrackState, F64, I64, I64]:
    """The state in the order ``perm``, also as packed rows (n, 8: u, v, alt, vs), and
    the groups (empty when ``None``) and ranks in that order."""
    n = len(state)
    st = np.empty((n, 8))
    gs = np.empty(n)
    rank2 = np.empty(n, dtype=np.int64)
    groups = np.empty(0 if group is None else n, dtype=np.int64)
    source = np.empty(0, dtype=np.int64) if group is None else group
    rank = np.ascontiguousarray(rank, dtype=np.int64)

    def gather(a: int, b: int) -> None:
        kn.gather_state(
            a, b, perm, state.u, state.v, state.alt_m, state.vs_mps, state.gs_mps, rank,
            source, st, gs, rank2, groups,
        )  # fmt: skip

    parallel(gather, even_bounds(n))
    local = TrackState(
        u=np.ascontiguousarray(st[:, 0:3]),
        v=np.ascontiguousarray(st[:, 3:6]),
        alt_m=np.ascontiguousarray(st[:, 6]),
        vs_mps=np.ascontiguousarray(st[:, 7]),
        gs_mps=gs,
    )
    return local, st, groups, rank2


def order_pairs(parts: Sequence[tuple[I64, F64]], n: int) -> RawPairs:
    """Rows of every part sorted by (first rank, second rank), as :class:`RawPairs`.

    A part is rows (k, 4) ``rank_i, rank_j, i, j`` (ranks below ``n``) and times
    (k, 4). A radix sort: rows are moved to blocks by the high bits of the first rank
    (a streaming pass, each part to its own places), then each block (about a thousand
    rows) is sorted in cache by a counting sort; parts and blocks run on the thread pool.
    """
    k = sum(int(p[0].shape[0]) for p in parts)
    bits = max(int(n - 1).bit_length(), 1)
    block_bits = min(bits, max(int(k // 1024).bit_length(), 1), 20)
    shift = bits - block_bits
    blocks = 1 << block_bits
    hist = np.zeros((len(parts), blocks), dtype=np.int64)

    def tally(a: int, b: int) -> None:
        for p in range(a, b):
            kn.radix_count(parts[p][0], shift, hist[p])

    parallel(tally, range(len(parts) + 1))
    totals = hist.sum(axis=0)
    start = np.zeros(blocks + 1, dtype=np.int64)
    np.cumsum(totals, out=start[1:])
    # Part p writes block b from start[b] + (rows of parts before p in block b).
    cursors = start[:-1] + np.cumsum(hist, axis=0) - hist
    rows = np.empty((k, 4), dtype=np.int64)
    times = np.empty((k, 4))

    def place(a: int, b: int) -> None:
        for p in range(a, b):
            kn.radix_place(parts[p][0], parts[p][1], shift, cursors[p], rows, times)

    parallel(place, range(len(parts) + 1))
    i, j = np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int64)
    t_in, t_out, tcpa, dcpa = (np.empty(k) for _ in range(4))

    def sort(a: int, b: int) -> None:
        kn.sort_blocks(a, b, start, shift, rows, times, i, j, t_in, t_out, tcpa, dcpa)

    parallel(sort, weighted_bounds(start[1:], threads() if k >= _MIN_PARALLEL else 1))
    return RawPairs(i, j, t_in, t_out, tcpa, dcpa)


class NumbaBackend:
    """The compiled backend (``"numba"``): see the module's description."""

    name = "numba"

    def __init__(self) -> None:
        self._warm = False
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Load the compiled kernels (compiling and caching them on a first ever run).

        Runs every kernel once on a small picture; later calls are a no-op.
        """
        with self._lock:
            if self._warm:
                return
            lat = np.array([0.0, 0.0, 0.01, 40.0])
            lon = np.array([0.0, 0.01, 0.0, 40.0])
            state = TrackState.from_columns(
                lat, lon, np.full(4, 9000.0), np.array([200.0, 150.0, 0.0, 100.0]),
                np.array([90.0, 270.0, 0.0, 10.0]), np.array([0.0, 5.0, 0.0, 0.0]),
            )  # fmt: skip
            rank = np.arange(4, dtype=np.int64)
            for group in (None, np.array([0, 1, 0, 1], dtype=np.int64)):
                self.find(state, 300.0, 9260.0, 304.8, group, rank)
            self.solve(state, rank[:2], rank[2:], 300.0, 9260.0, 304.8)
            self._warm = True

    def find(
        self,
        state: TrackState,
        lookahead_s: float,
        h_sep_m: float,
        v_sep_m: float,
        group: I64 | None,
        rank: I64,
    ) -> RawPairs:
        """Every conflicting pair once, ordered by rank (:class:`~.engine.RawPairs`).

        The tracks are first put in spatial order (by the cell of their mid-lookahead
        position), so that the scan's reads of nearby tracks hit nearby memory.
        """
        rot = facing(state.u)
        s_max = float(state.gs_mps.max())
        perm = spatial_order(state, rot, 0.5 * lookahead_s, (h_sep_m + s_max * lookahead_s) / 3)
        local, rows, groups, local_rank = permuted(state, perm, group, rank)
        n = len(local)
        slices = engine.SLICES
        edges = lookahead_s * np.arange(slices + 1) / slices
        growth = growth_polynomials(edges, h_sep_m, s_max)
        box = swept_boxes(local, edges, growth, v_sep_m, rot)
        grid = build_self_grid(box, n, v_sep_m)
        sizes = np.diff(grid.bstart)
        work = np.cumsum(sizes * sizes)

        def scan(a: int, b: int) -> tuple[I64, F64]:
            result: tuple[I64, F64] = kn.scan_buckets(
                a, b, grid.bstart, grid.pack, grid.key, grid.keyed, box, grid.full,
                grid.alt_origin, grid.quantum, n, groups, local_rank, perm, rows,
                float(lookahead_s), float(h_sep_m), float(v_sep_m),
            )  # fmt: skip
            return result

        parts_n = 4 * threads() if grid.pack.shape[0] >= _MIN_PARALLEL else 1
        parts = parallel(scan, weighted_bounds(work, parts_n))
        return order_pairs(parts, n)

    def solve(
        self, state: TrackState, i: I64, j: I64, lookahead_s: float, h_sep_m: float, v_sep_m: float
    ) -> Solved:
        """The exact test on pairs (``i[k]``, ``j[k]``), compiled."""
        hit, t = kn.solve_list(
            state.u, state.v, state.alt_m, state.vs_mps,
            np.ascontiguousarray(i, dtype=np.int64), np.ascontiguousarray(j, dtype=np.int64),
            float(lookahead_s), float(h_sep_m), float(v_sep_m),
        )  # fmt: skip
        return Solved(hit, t[:, 0], t[:, 1], t[:, 2], t[:, 3])


numba_backend = NumbaBackend()
"""The process's compiled backend (one instance: it remembers being warm)."""
