"""Numba kernels of the compiled separation backend (:mod:`deconflict.detect.compiled`).

Plain loops over arrays, each compiled once and cached on disk (``cache=True``) and
releasing the GIL (``nogil=True``) so that :mod:`~deconflict.detect.compiled` can run
ranges of the same kernel on several threads. Kernels that work on a range take
``start, stop`` and touch only their own part of the outputs.

Boxes are float32 rows of ``box`` shaped (b, 8): x lo, x hi, y lo, y hi, z lo, z hi
(m, earth-centred axes turned by ``rot``), altitude lo, altitude hi (m), rounded
outwards. Box ``s * n + k`` is track k in time slice s. Every test of two boxes, in the
grid or not, reads these same values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from ..geo import EARTH_RADIUS_M

__all__: list[str] = []

_R = EARTH_RADIUS_M


@njit(cache=True, nogil=True)
def solve_one(
    cx: float, cy: float, cz: float, sx: float, sy: float, sz: float,
    wx: float, wy: float, wz: float, dz: float, dvz: float,
    lookahead: float, h_sep: float, v_sep: float,
) -> tuple[bool, float, float, float, float]:  # fmt: skip
    """One pair: chord c, sum s of unit vectors, relative velocity w (as solve_pairs)."""
    chord = math.sqrt(cx * cx + cy * cy + cz * cz)
    arc_m = 2.0 * _R * math.asin(min(0.5 * chord, 1.0))
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
    # "+ 0.0" turns a -0.0 (from -b / a with b = 0, or a clip at 0) into 0.0.
    t_in = min(max(lo, 0.0), lookahead) + 0.0
    t_out = min(max(hi, 0.0), lookahead) + 0.0
    return True, t_in, t_out, tcpa + 0.0, dcpa + 0.0


@njit(cache=True, nogil=True)
def solve_pair(
    u: Any, v: Any, alt: Any, vs: Any, i: int, j: int, lookahead: float, h_sep: float,
    v_sep: float,
) -> tuple[bool, float, float, float, float]:  # fmt: skip
    """The exact test on tracks i, j of the state arrays."""
    return solve_one(
        u[j, 0] - u[i, 0], u[j, 1] - u[i, 1], u[j, 2] - u[i, 2],
        u[j, 0] + u[i, 0], u[j, 1] + u[i, 1], u[j, 2] + u[i, 2],
        v[j, 0] - v[i, 0], v[j, 1] - v[i, 1], v[j, 2] - v[i, 2],
        alt[j] - alt[i], vs[j] - vs[i], lookahead, h_sep, v_sep,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def solve_rows(
    st: Any, i: int, j: int, lookahead: float, h_sep: float, v_sep: float
) -> tuple[bool, float, float, float, float]:  # fmt: skip
    """The exact test on tracks i, j of packed state rows ``st`` (n, 8): u, v, alt, vs.

    The same arithmetic as :func:`solve_pair` on the same values, so the same result.
    """
    return solve_one(
        st[j, 0] - st[i, 0], st[j, 1] - st[i, 1], st[j, 2] - st[i, 2],
        st[j, 0] + st[i, 0], st[j, 1] + st[i, 1], st[j, 2] + st[i, 2],
        st[j, 3] - st[i, 3], st[j, 4] - st[i, 4], st[j, 5] - st[i, 5],
        st[j, 6] - st[i, 6], st[j, 7] - st[i, 7], lookahead, h_sep, v_sep,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def solve_list(
    u: Any, v: Any, alt: Any, vs: Any, i: Any, j: Any, lookahead: float, h_sep: float,
    v_sep: float,
) -> tuple[Any, Any]:  # fmt: skip
    """The exact test on pairs (i[k], j[k]): conflict (k,) and t_in, t_out, tcpa, dcpa (k, 4)."""
    k = i.shape[0]
    hit = np.zeros(k, dtype=np.bool_)
    out = np.zeros((k, 4), dtype=np.float64)
    for m in range(k):
        ok, t_in, t_out, tcpa, dcpa = solve_pair(u, v, alt, vs, i[m], j[m], lookahead, h_sep, v_sep)
        if ok:
            hit[m] = True
            out[m, 0], out[m, 1], out[m, 2], out[m, 3] = t_in, t_out, tcpa, dcpa
    return hit, out


@njit(cache=True, nogil=True)
def _down(x: float) -> np.float32:
    """A float32 at or below x (x less four float32 half-steps, rounded)."""
    return np.float32(x - abs(x) * 2.5e-7 - 1e-6)


@njit(cache=True, nogil=True)
def _up(x: float) -> np.float32:
    """A float32 at or above x."""
    return np.float32(x + abs(x) * 2.5e-7 + 1e-6)


@njit(cache=True, nogil=True)
def swept_boxes(
    start: int, stop: int, u: Any, v: Any, alt: Any, vs: Any, gs: Any, rot: Any,
    edges: Any, growth: Any, v_half: float, box: Any,
) -> None:  # fmt: skip
    """Boxes of tracks ``start .. stop - 1`` in every slice.

    Slice s sweeps the tangent-line path from ``edges[s]`` to ``edges[s + 1]`` seconds
    after the state; its boxes grow horizontally by the polynomial ``growth[s, 0] +
    growth[s, 1] gs + growth[s, 2] gs² + growth[s, 3] gs³`` (m, gs in m/s) and in
    altitude by ``v_half``. Writes rows ``s * n + k`` of ``box`` (b, 8), float32
    rounded outwards: a box only ever grows by the rounding.
    """
    n = alt.shape[0]
    slices = edges.shape[0] - 1
    for k in range(start, stop):
        px = _R * (rot[0, 0] * u[k, 0] + rot[0, 1] * u[k, 1] + rot[0, 2] * u[k, 2])
        py = _R * (rot[1, 0] * u[k, 0] + rot[1, 1] * u[k, 1] + rot[1, 2] * u[k, 2])
        pz = _R * (rot[2, 0] * u[k, 0] + rot[2, 1] * u[k, 1] + rot[2, 2] * u[k, 2])
        vx = rot[0, 0] * v[k, 0] + rot[0, 1] * v[k, 1] + rot[0, 2] * v[k, 2]
        vy = rot[1, 0] * v[k, 0] + rot[1, 1] * v[k, 1] + rot[1, 2] * v[k, 2]
        vz = rot[2, 0] * v[k, 0] + rot[2, 1] * v[k, 1] + rot[2, 2] * v[k, 2]
        s_k = gs[k]
        for s in range(slices):
            t0, t1 = edges[s], edges[s + 1]
            g = growth[s, 0] + s_k * (growth[s, 1] + s_k * (growth[s, 2] + s_k * growth[s, 3]))
            row = s * n + k
            a, b = px + vx * t0, px + vx * t1
            box[row, 0], box[row, 1] = _down(min(a, b) - g), _up(max(a, b) + g)
            a, b = py + vy * t0, py + vy * t1
            box[row, 2], box[row, 3] = _down(min(a, b) - g), _up(max(a, b) + g)
            a, b = pz + vz * t0, pz + vz * t1
            box[row, 4], box[row, 5] = _down(min(a, b) - g), _up(max(a, b) + g)
            a, b = alt[k] + vs[k] * t0, alt[k] + vs[k] * t1
            box[row, 6], box[row, 7] = _down(min(a, b) - v_half), _up(max(a, b) + v_half)


@njit(cache=True, nogil=True)
def box_bounds(box: Any) -> tuple[Any, Any]:
    """Lowest lower edge and highest upper edge of the boxes on each axis: (4,), (4,)."""
    lo = np.full(4, np.inf)
    hi = np.full(4, -np.inf)
    for b in range(box.shape[0]):
        for d in range(4):
            lo[d] = min(lo[d], box[b, 2 * d])
            hi[d] = max(hi[d], box[b, 2 * d + 1])
    return lo, hi


@njit(cache=True, nogil=True)
def boxes_overlap(a: Any, i: int, b: Any, j: int) -> bool:
    """Whether row i of boxes ``a`` and row j of boxes ``b`` overlap (touching counts) on
    all four axes."""
    return bool(
        a[i, 0] <= b[j, 1] and b[j, 0] <= a[i, 1]
        and a[i, 2] <= b[j, 3] and b[j, 2] <= a[i, 3]
        and a[i, 4] <= b[j, 5] and b[j, 4] <= a[i, 5]
        and a[i, 6] <= b[j, 7] and b[j, 6] <= a[i, 7]
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _cell(x: float, origin: float, cell: float, dims: int) -> int:
    """Index of the cell holding x along one axis, clipped to ``0 .. dims - 1``."""
    if dims == 1:
        return 0
    c = math.floor((x - origin) / cell)
    return min(max(c, 0), dims - 1)


@njit(cache=True, nogil=True)
def cell_range(
    box: Any, b: int, origin: Any, cell: Any, dims: Any
) -> tuple[int, int, int, int, int, int, int, int]:
    """First and last cell index of box b along x, y, z and altitude."""
    return (
        _cell(box[b, 0], origin[0], cell[0], dims[0]),
        _cell(box[b, 1], origin[0], cell[0], dims[0]),
        _cell(box[b, 2], origin[1], cell[1], dims[1]),
        _cell(box[b, 3], origin[1], cell[1], dims[1]),
        _cell(box[b, 4], origin[2], cell[2], dims[2]),
        _cell(box[b, 5], origin[2], cell[2], dims[2]),
        _cell(box[b, 6], origin[3], cell[3], dims[3]),
        _cell(box[b, 7], origin[3], cell[3], dims[3]),
    )


@njit(cache=True, nogil=True)
def entry_count(m: int, which: Any, box: Any, origin: Any, cell: Any, dims: Any) -> float:
    """How many (box, cell) entries ``m`` boxes make in a grid of ``dims`` cells, in
    total (a float: it never overflows). Box p is row ``which[p]`` of ``box``, or row p
    when ``which`` is empty; O(m), whatever the boxes' sizes."""
    total = 0.0
    for p in range(m):
        b = which[p] if which.shape[0] else p
        x0, x1, y0, y1, z0, z1, a0, a1 = cell_range(box, b, origin, cell, dims)
        total += float(x1 - x0 + 1) * float(y1 - y0 + 1) * float(z1 - z0 + 1) * float(a1 - a0 + 1)
    return total


_Q_SHIFT = 36
_FIRST_SHIFT = 32
_BOX_MASK = (1 << 32) - 1


@njit(cache=True, nogil=True)
def cell_bucket(
    ix: int, iy: int, iz: int, ia: int, stride: Any, base: int, modulus: int
) -> tuple[int, int]:
    """The key ``sum(index * stride)`` of a cell and its bucket: ``base`` plus the key,
    or plus the key modulo ``modulus`` when that is > 0."""
    k = ix * stride[0] + iy * stride[1] + iz * stride[2] + ia * stride[3]
    return k, base + (k % modulus if modulus > 0 else k)


@njit(cache=True, nogil=True)
def grid_enter(
    b0: int, b1: int, which: Any, box: Any, origin: Any, cell: Any, dims: Any,
    stride: Any, base: int, modulus: int, k0: int, k1: int, cursor: Any,
    alt_origin: float, quantum: float, e_pack: Any, e_key: Any, e_coord: Any,
) -> int:  # fmt: skip
    """Enter boxes ``b0 .. b1 - 1`` in the buckets ``k0 .. k1 - 1`` only: each entry
    advances ``cursor[bucket]`` and, when ``e_pack`` has rows, is written at the place
    the cursor gave. Returns the entries. With ``e_pack`` empty this only counts: given
    ``hist[1:]`` as ``cursor``, it is the histogram that places the entries.

    Box p is row ``which[p]`` of ``box``, or row p when ``which`` is empty; an entry
    names the row. Tasks with disjoint bucket ranges write disjoint places.

    A box is entered in every cell its corners span along the axes with ``dims > 1``
    (x, y, z, altitude), in the bucket of :func:`cell_bucket`. An entry is packed in one
    int64: the altitude step of the box's lower altitude edge (``quantum`` m from
    ``alt_origin``, bits 36 up), the ``first`` bits (bit d: the cell is the box's first
    along axis d) and the box (bits 0-31). ``e_key`` receives the cell key when
    ``modulus`` > 0; when ``e_coord`` has rows, each entry also gets a copy of its box.
    """
    write = e_pack.shape[0] > 0
    total = 0
    for p in range(b0, b1):
        b = which[p] if which.shape[0] else p
        x0, x1, y0, y1, z0, z1, a0, a1 = cell_range(box, b, origin, cell, dims)
        q = math.floor((box[b, 6] - alt_origin) / quantum) if write else 0
        for ia in range(a0, a1 + 1):
            for iz in range(z0, z1 + 1):
                for iy in range(y0, y1 + 1):
                    for ix in range(x0, x1 + 1):
                        k, bk = cell_bucket(ix, iy, iz, ia, stride, base, modulus)
                        if bk < k0 or bk >= k1:
                            continue
                        e = cursor[bk]
                        cursor[bk] = e + 1
                        total += 1
                        if not write:
                            continue
                        bits = 0
                        if ix == x0:
                            bits |= 1
                        if iy == y0:
                            bits |= 2
                        if iz == z0:
                            bits |= 4
                        if ia == a0:
                            bits |= 8
                        e_pack[e] = (q << _Q_SHIFT) | (bits << _FIRST_SHIFT) | b
                        if modulus > 0:
                            e_key[e] = k
                        if e_coord.shape[0]:
                            for d in range(8):
                                e_coord[e, d] = box[b, d]
    return total


@njit(cache=True, nogil=True)
def sort_buckets(k0: int, k1: int, bstart: Any, e_pack: Any, e_key: Any, keyed: bool) -> None:
    """Sort the entries of each bucket ``k0 .. k1 - 1`` by altitude step (their high bits)."""
    for bk in range(k0, k1):
        a, b = bstart[bk], bstart[bk + 1]
        if b - a < 2:
            continue
        if not keyed:
            e_pack[a:b].sort()
            continue
        perm = np.argsort(e_pack[a:b])
        pack, key = e_pack[a:b].copy(), e_key[a:b].copy()
        for m in range(b - a):
            e_pack[a + m] = pack[perm[m]]
            e_key[a + m] = key[perm[m]]


@njit(cache=True, nogil=True)
def spatial_keys(u: Any, v: Any, rot: Any, t_s: float, size_m: float, limit: int) -> Any:
    """Cell of each track's position at ``t_s`` (cells of ``size_m`` in the frame
    ``rot``), numbered x fastest: keys (n,) in ``0 .. cells - 1``, then ``cells`` (the
    last entry). z is left out when cells would exceed ``limit``; all keys are 0 when
    even x, y would."""
    n = u.shape[0]
    p = np.empty((n, 3))
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for k in range(n):
        for d in range(3):
            x = _R * (rot[d, 0] * u[k, 0] + rot[d, 1] * u[k, 1] + rot[d, 2] * u[k, 2])
            x += t_s * (rot[d, 0] * v[k, 0] + rot[d, 1] * v[k, 1] + rot[d, 2] * v[k, 2])
            p[k, d] = x
            lo[d] = min(lo[d], x)
            hi[d] = max(hi[d], x)
    # Each axis counts at most limit + 1 cells (more is as good as too many): a size of
    # 0 or a span beyond any integer never overflows, and the loop below stays short.
    dims = np.ones(3, dtype=np.int64)
    for d in range(3):
        if n:
            cells = (hi[d] - lo[d]) / size_m if size_m > 0.0 else math.inf
            dims[d] = math.floor(cells) + 1 if cells < limit else limit + 1
    if float(dims[0]) * float(dims[1]) * float(dims[2]) > limit:
        dims[2] = 1
    if float(dims[0]) * float(dims[1]) > limit:
        dims[0] = dims[1] = 1
    keys = np.zeros(n + 1, dtype=np.int64)
    if dims[2] == 1:
        # A Z-order (Morton) key over x, y: cells near in the plane are near in the order.
        bits = 0
        while (1 << bits) < max(dims[0], dims[1]):
            bits += 1
        if (1 << (2 * bits)) <= 4 * limit:
            for k in range(n):
                cx = min(math.floor((p[k, 0] - lo[0]) / size_m), dims[0] - 1) if dims[0] > 1 else 0
                cy = min(math.floor((p[k, 1] - lo[1]) / size_m), dims[1] - 1) if dims[1] > 1 else 0
                key = 0
                for b in range(bits):
                    key |= ((cx >> b) & 1) << (2 * b) | ((cy >> b) & 1) << (2 * b + 1)
                keys[k] = key
            keys[n] = 1 << (2 * bits)
            return keys
    for k in range(n):
        key = 0
        for d in range(2, -1, -1):
            c = min(math.floor((p[k, d] - lo[d]) / size_m), dims[d] - 1) if dims[d] > 1 else 0
            key = key * dims[d] + c
        keys[k] = key
    keys[n] = dims[0] * dims[1] * dims[2]
    return keys


@njit(cache=True, nogil=True)
def counting_order(values: Any, buckets: int) -> Any:
    """A stable order of ``values`` (ints in ``0 .. buckets - 1``)."""
    start = np.zeros(buckets + 1, dtype=np.int64)
    for x in values:
        start[x + 1] += 1
    for b in range(buckets):
        start[b + 1] += start[b]
    order = np.empty(values.shape[0], dtype=np.int64)
    for p in range(values.shape[0]):
        x = values[p]
        order[start[x]] = p
        start[x] += 1
    return order


@njit(cache=True, nogil=True)
def _grow(ij: Any, t: Any, k: int) -> tuple[Any, Any]:
    cap = 2 * ij.shape[0]
    ij2 = np.empty((cap, ij.shape[1]), dtype=np.int64)
    t2 = np.empty((cap, 4), dtype=np.float64)
    ij2[:k] = ij[:k]
    t2[:k] = t[:k]
    return ij2, t2


@njit(cache=True, nogil=True)
def scan_buckets(
    b0: int, b1: int, bstart: Any, e_pack: Any, e_key: Any, keyed: bool, box: Any,
    full: int, alt_origin: float, quantum: float, n: int, group: Any, rank: Any, ids: Any,
    st: Any, lookahead: float, h_sep: float, v_sep: float,
) -> tuple[Any, Any]:  # fmt: skip
    """Conflicting pairs among the entries of buckets ``b0 .. b1 - 1``.

    ``st`` (n, 8) holds each track's state in one row (u, v, alt, vs): one cache line.

    Inside a bucket the entries are in altitude order, so entry e meets only the
    entries after it that start within its altitude band. A pair is taken in the cell
    of the lower corner of the boxes' intersection (``first`` bits) and in the first
    slice where its boxes overlap. Returns rows (k, 4) ``rank[p], rank[q], ids[p],
    ids[q]`` with ``rank[p] < rank[q]``, and t_in, t_out, tcpa, dcpa (k, 4).
    """
    ij = np.empty((1024, 4), dtype=np.int64)
    t = np.empty((1024, 4), dtype=np.float64)
    k = 0
    use_group = group.shape[0] > 0
    for bk in range(b0, b1):
        s1 = bstart[bk + 1]
        for e in range(bstart[bk], s1):
            pe = e_pack[e]
            be = pe & _BOX_MASK
            fe = (pe >> _FIRST_SHIFT) & 15
            xl, xh, yl, yh = box[be, 0], box[be, 1], box[be, 2], box[be, 3]
            zl, zh, al, ah = box[be, 4], box[be, 5], box[be, 6], box[be, 7]
            q_top = math.floor((ah - alt_origin) / quantum)
            for f in range(e + 1, s1):
                pf = e_pack[f]
                if (pf >> _Q_SHIFT) > q_top:
                    break
                if keyed and e_key[f] != e_key[e]:
                    continue
                if (fe | ((pf >> _FIRST_SHIFT) & 15)) != full:
                    continue
                bf = pf & _BOX_MASK
                if box[bf, 6] > ah or box[bf, 7] < al:
                    continue
                if box[bf, 0] > xh or box[bf, 1] < xl or box[bf, 2] > yh or box[bf, 3] < yl:
                    continue
                if box[bf, 4] > zh or box[bf, 5] < zl:
                    continue
                sl = be // n
                p, q = be - sl * n, bf - sl * n
                if use_group and group[p] == group[q]:
                    continue
                # Taken in the first slice where the boxes overlap.
                earlier = False
                for s2 in range(sl):
                    if boxes_overlap(box, s2 * n + p, box, s2 * n + q):
                        earlier = True
                        break
                if earlier:
                    continue
                if rank[p] > rank[q]:
                    p, q = q, p
                ok, t_in, t_out, tcpa, dcpa = solve_rows(st, p, q, lookahead, h_sep, v_sep)
                if not ok:
                    continue
                if k == ij.shape[0]:
                    ij, t = _grow(ij, t, k)
                ij[k, 0], ij[k, 1], ij[k, 2], ij[k, 3] = rank[p], rank[q], ids[p], ids[q]
                t[k, 0], t[k, 1], t[k, 2], t[k, 3] = t_in, t_out, tcpa, dcpa
                k += 1
    return ij[:k], t[:k]


@njit(cache=True, nogil=True)
def radix_count(rows: Any, shift: int, hist: Any) -> None:
    """Add to ``hist[r >> shift]`` each row's first rank r (``rows[:, 0]``)."""
    for m in range(rows.shape[0]):
        hist[rows[m, 0] >> shift] += 1


@njit(cache=True, nogil=True)
def radix_place(
    rows: Any, t: Any, shift: int, cursor: Any, out_rows: Any, out_t: Any
) -> None:  # fmt: skip
    """Move each row to ``cursor[r >> shift]`` (advanced): one pass of a radix sort
    whose few hundred buckets take writes in streams."""
    for m in range(rows.shape[0]):
        b = rows[m, 0] >> shift
        p = cursor[b]
        cursor[b] = p + 1
        for d in range(4):
            out_rows[p, d] = rows[m, d]
            out_t[p, d] = t[m, d]


@njit(cache=True, nogil=True)
def sort_blocks(
    b0: int, b1: int, start: Any, shift: int, rows: Any, t: Any, i: Any, j: Any,
    t_in: Any, t_out: Any, tcpa: Any, dcpa: Any,
) -> None:  # fmt: skip
    """Sort the rows of each block ``start[b] .. start[b + 1] - 1`` (b in b0 .. b1 - 1) by
    (first rank, second rank) and write them out as columns: ``i``, ``j`` (the ids,
    ``rows[:, 2:4]``) and the four times.

    A block holds the first ranks ``b << shift`` onwards: a counting sort on them, then
    the (short) run of each first rank sorted by second rank.
    """
    width = 1 << shift
    count = np.empty(width + 1, dtype=np.int64)
    for b in range(b0, b1):
        lo, hi = start[b], start[b + 1]
        if hi == lo:
            continue
        base = b << shift
        count[:] = 0
        for m in range(lo, hi):
            count[rows[m, 0] - base + 1] += 1
        for r in range(width):
            count[r + 1] += count[r]
        order = np.empty(hi - lo, dtype=np.int64)
        for m in range(lo, hi):
            r = rows[m, 0] - base
            order[count[r]] = m
            count[r] += 1
        # count[r] is now the end of run r: sort each run by second rank.
        a = 0
        for r in range(width):
            z = count[r]
            for x in range(a + 1, z):
                y = order[x]
                key = rows[y, 1]
                w = x
                while w > a and rows[order[w - 1], 1] > key:
                    order[w] = order[w - 1]
                    w -= 1
                order[w] = y
            a = z
        for m in range(hi - lo):
            p = order[m]
            i[lo + m], j[lo + m] = rows[p, 2], rows[p, 3]
            t_in[lo + m], t_out[lo + m], tcpa[lo + m], dcpa[lo + m] = (
                t[p, 0],
                t[p, 1],
                t[p, 2],
                t[p, 3],
            )


@njit(cache=True, nogil=True)
def gather_state(
    start: int, stop: int, perm: Any, u: Any, v: Any, alt: Any, vs: Any, gs: Any,
    rank: Any, group: Any, st: Any, gs2: Any, rank2: Any, group2: Any,
) -> None:  # fmt: skip
    """Rows ``start .. stop - 1`` of the state in the order ``perm``, in one pass: the
    packed rows ``st`` (u, v, alt, vs), ground speed, rank and group."""
    use_group = group.shape[0] > 0
    for k in range(start, stop):
        p = perm[k]
        for d in range(3):
            st[k, d] = u[p, d]
            st[k, 3 + d] = v[p, d]
        st[k, 6], st[k, 7] = alt[p], vs[p]
        gs2[k], rank2[k] = gs[p], rank[p]
        if use_group:
            group2[k] = group[p]
