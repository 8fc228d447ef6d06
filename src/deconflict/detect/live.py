"""Incremental separation detection over a standing picture (:class:`LivePairs`).

A live service holds N tracks, each state valid at its own time, and learns of a few
changed tracks at a time. :meth:`LivePairs.conflicts_of` answers, for M changed tracks,
exactly what a full :func:`~deconflict.detect.separation.detect` over every track
dead-reckoned to now would say about the pairs that involve them, at a cost that grows
with M (and the traffic near them), not with N.

How. Each standing track keeps a box (earth-centred axes, as in
:mod:`deconflict.detect.engine`) that bounds its path over ``[t_e, t_e + T + slack]``
from the state dead-reckoned to an epoch ``t_e``, grown by what the exact test needs
plus how far the great circle strays from the straight tangent line within ``slack``
seconds. Such a box serves every query with ``now`` in ``[t_e, t_e + slack]``; a box
outside its window is rebuilt (epoch = now) when a query needs it. The boxes sit in a
grid; boxes changed since the grid was built wait in a second, small grid over the same
cells (rebuilt when it has changed, at the next query), and the main grid is rebuilt
from every standing box when that one grows past about 16 √N boxes. A
query builds boxes for the changed tracks over ``[now, now + T]``, collects standing
tracks whose boxes overlap and whose straight-line motion comes within reach
(:mod:`deconflict.detect.livescan`), dead-reckons only those to now, and runs the
backend's exact test on them.

Exactness. The states at now are made by the same functions as :meth:`tracks_at`
(:func:`deconflict.geo.dead_reckon`, then :meth:`TrackState.from_columns`, both
elementwise), and the exact test is the backend's, symmetric to the bit; the pruning
never drops a pair the exact test accepts. So :meth:`conflicts_of` returns the pairs,
times and distances that ``detect(self.tracks_at(now), backend=the same backend)``
returns for those tracks.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInput
from ..geo import EARTH_RADIUS_M, dead_reckon
from ..model import Tracks
from . import livescan
from .arrays import F64, I64
from .compiled import (
    MAX_ENTRIES_PER_BOX,
    BucketGrid,
    Cells,
    build_grid,
    entries_within,
    plan_cells,
    swept_boxes,
)
from .engine import Backend, TrackState, box_growth, facing, fewest_doublings
from .inputs import check_duration, check_length, check_states, check_tracks
from .livecolumns import SlotColumns
from .separation import (
    AUTO_COMPILED_FROM,
    DEFAULT_H_SEP_M,
    DEFAULT_LOOKAHEAD_S,
    DEFAULT_V_SEP_M,
    Conflicts,
    detect,
    resolve_backend,
)

__all__ = ["LivePairs"]


DEFAULT_SLACK_S = 60.0
"""How long a standing box serves queries after its epoch, seconds."""

_MARGIN_M = 1.0
"""Added to the standing boxes: covers rounding between separately computed states."""

_ENTRIES_PER_BOX = MAX_ENTRIES_PER_BOX
"""Cells a standing box may be entered in on average before the grid is made coarser."""

_SPEED_FLOOR_MPS = 300.0
"""The least speed bound the boxes assume for partners (raised when a track is faster)."""


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise InvalidInput(f"{name} must be a positive number, got {value}")
    return v


class LivePairs:
    """Separation conflicts of a standing picture of tracks, updated incrementally.

    Parameters
    ----------
    lookahead_s, h_sep_m, v_sep_m : float
        T (s), Rh (m) and Rv (m), as for :func:`~deconflict.detect.separation.detect`.
    between_parties : bool
        Only pairs of tracks of different parties.
    backend : str or Backend
        The exact test's backend: ``"auto"`` is the compiled one (``"numba"``),
        whatever N; a registered name or a :class:`~deconflict.detect.engine.Backend`.
        :meth:`all_conflicts` runs :func:`~deconflict.detect.separation.detect` with
        the same backend, so the incremental and the full answers agree exactly.
    slack_s : float
        How long a standing track's box serves queries before it is rebuilt, seconds.
    warm : bool
        Load the compiled code (the backend's and this class's) now, once per process:
        from the on-disk cache, or compiled and cached on a first ever run (seconds).
        Then no query pays for it.

    Times are POSIX seconds; every state is valid at its own time and is dead-reckoned
    (great circle, constant ground and vertical speed) to the ``now_s`` of a query. The
    methods are safe to call from several threads (one at a time inside).

    >>> live = LivePairs(between_parties=False)
    >>> live.upsert(Tracks(id=["a", "b"], party=["p", "q"], lat_deg=[0.0, 0.0], lon_deg=[0.0, 0.5],
    ...                    alt_m=[9000.0, 9000.0], gs_mps=[200.0, 200.0],
    ...                    track_deg=[90.0, 270.0], vs_mps=[0.0, 0.0]),
    ...             np.array([1000.0, 1000.0]))
    >>> c = live.conflicts_of(["a"], now_s=1010.0)
    >>> c.a.tolist(), c.b.tolist(), round(float(c.tcpa_s[0]), 1)
    (['a'], ['b'], 129.0)
    """

    def __init__(
        self,
        *,
        lookahead_s: float = DEFAULT_LOOKAHEAD_S,
        h_sep_m: float = DEFAULT_H_SEP_M,
        v_sep_m: float = DEFAULT_V_SEP_M,
        between_parties: bool = True,
        backend: str | Backend = "auto",
        slack_s: float = DEFAULT_SLACK_S,
        warm: bool = True,
    ) -> None:
        self.lookahead_s = check_duration("lookahead_s", _positive("lookahead_s", lookahead_s))
        self.h_sep_m = check_length("h_sep_m", _positive("h_sep_m", h_sep_m))
        self.v_sep_m = check_length("v_sep_m", _positive("v_sep_m", v_sep_m))
        self.slack_s = check_duration("slack_s", _positive("slack_s", slack_s))
        self.between_parties = bool(between_parties)
        self.backend = resolve_backend(
            "numba" if backend == "auto" else backend, AUTO_COMPILED_FROM
        )
        self._lock = threading.RLock()
        self._slot: dict[str, int] = {}
        self._ids: list[str] = []
        self._parties: list[str] = []
        self._party_code: dict[str, int] = {}
        self._free: list[int] = []
        self._pending: set[int] = set()
        self._pending_grid: BucketGrid | None = None
        self._grid: BucketGrid | None = None
        self._cells: Cells | None = None
        self._rot: F64 | None = None
        self._speed_cap = _SPEED_FLOOR_MPS
        self._rebuild_all = False
        self._epoch_lo = math.inf
        self._epoch_hi = -math.inf
        self._c = SlotColumns.empty(0)
        if warm:
            _warm_up(self.backend)

    # -- storage -------------------------------------------------------------------

    def _allocate(self, cap: int) -> None:
        """Grow the per-slot columns to ``cap`` slots (keeping what is held)."""
        old = self._c.cap
        self._c = self._c.resized(cap)
        self._ids.extend([""] * (cap - old))
        self._parties.extend([""] * (cap - old))
        self._free.extend(range(cap - 1, old - 1, -1))

    def _take_slot(self, track_id: str) -> int:
        slot = self._slot.get(track_id)
        if slot is not None:
            return slot
        if not self._free:
            self._allocate(max(64, 2 * self._c.cap))
        slot = self._free.pop()
        self._slot[track_id] = slot
        self._ids[slot] = track_id
        return slot

    def __len__(self) -> int:
        return len(self._slot)

    def _slots_of(self, ids: ArrayLike) -> I64:
        """Slots of the held ``ids`` (unique, sorted); ids not held are skipped."""
        wanted = np.unique(np.asarray(ids, dtype=np.str_).reshape(-1)).tolist()
        slots = [self._slot.get(track_id, -1) for track_id in wanted]
        return np.sort(np.array([s for s in slots if s >= 0], dtype=np.int64))

    # -- states and boxes ----------------------------------------------------------

    def _states_at(self, slots: I64, when: F64 | float) -> tuple[TrackState, F64, F64, F64]:
        """States of ``slots`` dead-reckoned to ``when`` (s), and their lat, lon, track.

        Raises InvalidInput, having changed nothing, when a state dead-reckoned that far
        leaves the detectors' domain (a time far from the state's own)."""
        with np.errstate(over="ignore", invalid="ignore"):
            dt = np.asarray(when, dtype=np.float64) - self._c.time[slots]
            lat, lon, alt, trk = dead_reckon(
                self._c.lat_deg[slots], self._c.lon_deg[slots], self._c.alt[slots],
                self._c.gs[slots], self._c.trk[slots], self._c.vs[slots], dt,
            )  # fmt: skip
        check_states(
            lambda k: self._ids[int(slots[k])], lat, lon, trk, alt, self._c.gs[slots],
            self._c.vs[slots], f"to {float(np.max(when)):g} s",
        )  # fmt: skip
        state = TrackState.from_columns(lat, lon, alt, self._c.gs[slots], trk, self._c.vs[slots])
        return state, lat, lon, trk

    def _growth(self) -> tuple[float, float]:
        """(per_mps, fixed_m) of the boxes for the lookahead at the current speed bound."""
        return box_growth(self.lookahead_s, self.h_sep_m, self._speed_cap)

    def _set_boxes(self, slots: I64, epoch: F64) -> None:
        """Standing boxes of ``slots`` for queries in ``[epoch, epoch + slack]``."""
        if slots.shape[0] == 0:
            return
        assert self._rot is not None
        state, _, _, _ = self._states_at(slots, epoch)
        per_mps, fixed_m = self._growth()
        t, slack, r = self.lookahead_s, self.slack_s, EARTH_RADIUS_M
        # How far the great circle strays from the tangent line at the epoch, for a
        # query up to `slack` later looking `t` ahead: s² (slack²/2 + t slack) / R + ...
        square = 1.01 * (0.5 * slack * slack + t * slack) / r
        cube = 1.01 * slack * slack * (slack / 6.0 + 0.5 * t) / (r * r)
        poly = np.array([[fixed_m + _MARGIN_M, per_mps, square, cube]])
        edges = np.array([0.0, t + slack])
        self._c.box[slots] = swept_boxes(state, edges, poly, self.v_sep_m, self._rot)
        s = state.gs_mps
        record = np.empty((slots.shape[0], 12))
        record[:, 0:3] = EARTH_RADIUS_M * (state.u @ self._rot.T)
        record[:, 3:6] = state.v @ self._rot.T
        record[:, 6] = state.alt_m
        record[:, 7] = state.vs_mps
        record[:, 8] = epoch
        record[:, 9] = (
            fixed_m + _MARGIN_M - 0.5 * self.h_sep_m + s * (per_mps + s * (square + s * cube))
        )
        record[:, 10] = self._c.group[slots]
        record[:, 11] = 0.0
        self._c.motion[slots] = record
        self._c.epoch[slots] = epoch
        self._c.in_grid[slots] = False
        self._c.is_pending[slots] = True
        self._pending.update(slots.tolist())
        self._pending_grid = None

    def _rebuild_grid(self) -> None:
        """Enter every standing box in a new grid; nothing is pending after.

        The standing tracks are renumbered in the order of the grid cell of their box's
        lower corner, so that the tracks a lookup meets in one cell sit close in memory.
        """
        alive = np.flatnonzero(self._c.alive).astype(np.int64)
        self._pending.clear()
        self._pending_grid = None
        if alive.shape[0] == 0:
            self._grid = self._cells = None
            return
        box = self._c.box[alive]
        step = max(1, alive.shape[0] // 4096)
        sample = box[::step].astype(np.float64)
        extent = np.median(sample[:, 1:4:2] - sample[:, 0:4:2], axis=0)
        size = max(float(extent.max()), 1.0)
        alt_cell = max(2.0 * self.v_sep_m, float(np.median(sample[:, 7] - sample[:, 6])))
        first = np.array([size, size, size, alt_cell])
        tried: dict[int, Cells] = {}

        def at(k: int) -> Cells:
            if k not in tried:
                with np.errstate(over="ignore"):
                    tried[k] = plan_cells(box, np.ldexp(first, k), hash_alt=True)
            return tried[k]

        # Boxes far larger than the median (a fast climber among level traffic) would be
        # entered in too many cells: coarsen until the entries stay proportional.
        limit = _ENTRIES_PER_BOX * alive.shape[0] + 65_536
        cells = at(fewest_doublings(lambda k: entries_within(at(k), box, limit)))
        corner = np.floor((box[:, 0:8:2] - cells.origin) / cells.cell).astype(np.int64)
        corner = np.clip(corner, 0, cells.dims - 1)
        order = alive[np.argsort(corner @ cells.stride, kind="stable")]
        n, cap = order.shape[0], self._c.cap
        self._c = self._c.reordered(order)
        self._ids = [self._ids[s] for s in order.tolist()] + [""] * (cap - n)
        self._parties = [self._parties[s] for s in order.tolist()] + [""] * (cap - n)
        self._slot = dict(zip(self._ids[:n], range(n), strict=True))
        self._free = list(range(cap - 1, n - 1, -1))
        which = np.arange(n, dtype=np.int64)
        self._grid = build_grid(self._c.box, [0, n], cells, 0.0, 1e12, 8 * n, which, inline=True)
        self._cells = cells
        self._c.in_grid[:n] = True
        self._c.is_pending[:] = False

    def _refresh(self, now: float) -> None:
        """Make every standing box valid at ``now`` and keep the pending list short."""
        alive = np.flatnonzero(self._c.alive).astype(np.int64)
        if self._rebuild_all:
            if alive.shape[0]:
                state, _, _, _ = self._states_at(alive, now)  # may refuse: nothing changed
                self._rot = facing(state.u)
            self._set_boxes(alive, np.full(alive.shape[0], now))
            self._epoch_lo = self._epoch_hi = now
            self._rebuild_grid()
            self._rebuild_all = False
        elif now < self._epoch_hi or now > self._epoch_lo + self.slack_s:
            epoch = self._c.epoch[alive]
            stale = alive[(epoch > now) | (epoch + self.slack_s < now)]
            self._set_boxes(stale, np.full(stale.shape[0], now))
            epoch = self._c.epoch[alive]
            self._epoch_lo = float(epoch.min()) if alive.shape[0] else math.inf
            self._epoch_hi = float(epoch.max()) if alive.shape[0] else -math.inf
        if len(self._pending) > 1024 + 16 * math.isqrt(alive.shape[0]):
            self._rebuild_grid()
        if self._pending_grid is None and self._cells is not None:
            which = np.array(sorted(self._pending), dtype=np.int64)
            limit = _ENTRIES_PER_BOX * which.shape[0] + 65_536
            if not entries_within(self._cells, self._c.box, limit, which):
                # a changed box far larger than the cells: plan the cells again
                self._rebuild_grid()
                which = np.array(sorted(self._pending), dtype=np.int64)
            self._pending_grid = build_grid(
                self._c.box, [0, which.shape[0]], self._cells, 0.0, 1e12, 8 * which.shape[0],
                which, inline=True,
            )  # fmt: skip

    # -- the picture ---------------------------------------------------------------

    def upsert(self, tracks: Tracks, time_s: ArrayLike) -> None:
        """Add tracks, or replace the state of those already held (by id).

        ``time_s`` (POSIX s, shape (m,) or a number for all) is when each state is
        valid. Raises InvalidInput when it is not finite or of the wrong shape, or when
        an altitude or speed is beyond the detectors' domain (:mod:`deconflict.bounds`);
        zero tracks change nothing.
        """
        m = len(tracks)
        try:
            given = np.asarray(time_s, dtype=np.float64)
            when = np.broadcast_to(given, (m,)) if given.ndim < 2 else None
        except (TypeError, ValueError):
            when = None
        if when is None or not np.all(np.isfinite(when)):
            raise InvalidInput(f"time_s: expected a finite POSIX time or {m} of them")
        if m == 0:
            return
        check_tracks(tracks)
        with self._lock:
            slots = np.array([self._take_slot(str(t)) for t in tracks.id.tolist()], np.int64)
            for slot, party in zip(slots.tolist(), tracks.party.tolist(), strict=True):
                self._parties[slot] = party
                self._c.group[slot] = self._party_code.setdefault(party, len(self._party_code))
            self._c.lat_deg[slots], self._c.lon_deg[slots] = tracks.lat_deg, tracks.lon_deg
            self._c.alt[slots], self._c.gs[slots] = tracks.alt_m, tracks.gs_mps
            self._c.trk[slots], self._c.vs[slots] = tracks.track_deg, tracks.vs_mps
            self._c.time[slots] = when
            self._c.alive[slots] = True
            fastest = float(tracks.gs_mps.max())
            if self._rot is None or fastest > self._speed_cap:
                # New bounds for every box: rebuild them all at the next query.
                self._speed_cap = max(self._speed_cap, 1.25 * fastest)
                self._rebuild_all = True
                self._c.in_grid[:] = False
                self._c.is_pending[:] = False
                self._pending.clear()
                self._pending_grid = None
                if self._rot is None:
                    self._rot = facing(TrackState.from_tracks(tracks).u)
                return
            if self._rebuild_all:
                return
            self._set_boxes(slots, when.copy())
            self._epoch_lo = min(self._epoch_lo, float(when.min()))
            self._epoch_hi = max(self._epoch_hi, float(when.max()))

    def remove(self, ids: ArrayLike) -> None:
        """Forget the tracks of ``ids``; ids not held are ignored."""
        with self._lock:
            for track_id in np.asarray(ids, dtype=np.str_).reshape(-1).tolist():
                slot = self._slot.pop(track_id, None)
                if slot is None:
                    continue
                self._c.alive[slot] = False
                self._c.in_grid[slot] = False
                self._c.is_pending[slot] = False
                self._pending.discard(slot)
                self._ids[slot] = ""
                self._parties[slot] = ""
                self._free.append(slot)

    def tracks_at(self, now_s: float) -> Tracks:
        """Every standing track dead-reckoned to ``now_s`` (in no particular order)."""
        now = _finite_time(now_s)
        with self._lock:
            alive = np.flatnonzero(self._c.alive).astype(np.int64)
            with np.errstate(over="ignore", invalid="ignore"):  # Tracks refuses what is lost
                dt = now - self._c.time[alive]
                lat, lon, alt, trk = dead_reckon(
                    self._c.lat_deg[alive], self._c.lon_deg[alive], self._c.alt[alive],
                    self._c.gs[alive], self._c.trk[alive], self._c.vs[alive], dt,
                )  # fmt: skip
            return Tracks(
                id=[self._ids[s] for s in alive.tolist()],
                party=[self._parties[s] for s in alive.tolist()],
                lat_deg=lat,
                lon_deg=lon,
                alt_m=alt,
                gs_mps=self._c.gs[alive],
                track_deg=trk,
                vs_mps=self._c.vs[alive],
            )

    # -- detection -----------------------------------------------------------------

    def all_conflicts(self, *, now_s: float) -> Conflicts:
        """Every conflicting pair at ``now_s``: the full pass (the safety net).

        :func:`~deconflict.detect.separation.detect` over :meth:`tracks_at` with this
        picture's parameters and backend; empty with fewer than two tracks.
        """
        return detect(
            self.tracks_at(now_s),
            lookahead=self.lookahead_s,
            h_sep=self.h_sep_m,
            v_sep=self.v_sep_m,
            between_parties=self.between_parties,
            backend=self.backend,
        )

    def conflicts_of(self, ids: ArrayLike, *, now_s: float) -> Conflicts:
        """Every conflicting pair with at least one member in ``ids``, at ``now_s``.

        Exactly the pairs (and times, distances) of :meth:`all_conflicts` that involve
        ``ids``, each once, ``a < b``, sorted by (a, b); the result's ``ids`` are those of
        its tracks only (``i``, ``j`` index them). Ids not held have no pairs; no ids,
        or no partner, give an empty result. Raises InvalidInput for a time that is not
        finite.
        """
        now = _finite_time(now_s)
        with self._lock:
            if len(self._slot) < 2:
                return Conflicts.empty(np.empty(0, dtype=np.str_))
            # Refreshing may renumber the slots: look the ids up after it.
            self._refresh(now)
            q_slots = self._slots_of(ids)
            if q_slots.shape[0] == 0:
                return Conflicts.empty(np.empty(0, dtype=np.str_))
            assert self._rot is not None
            q_state, _, _, _ = self._states_at(q_slots, now)
            per_mps, fixed_m = self._growth()
            poly = np.array([[fixed_m, per_mps, 0.0, 0.0]])
            q_box = swept_boxes(
                q_state, np.array([0.0, self.lookahead_s]), poly, self.v_sep_m, self._rot
            )
            q_extra = fixed_m - 0.5 * self.h_sep_m + per_mps * q_state.gs_mps
            grid, cells, waiting = self._grid, self._cells, self._pending_grid
            if grid is None or cells is None or waiting is None:
                grid = waiting = _EMPTY_GRID
                cells = _EMPTY_CELLS
            self._c.is_query[q_slots] = True
            try:
                found_m, found_s = livescan.candidates(
                    q_box, q_slots, EARTH_RADIUS_M * (q_state.u @ self._rot.T),
                    np.ascontiguousarray(q_state.v @ self._rot.T), q_state.alt_m,
                    q_state.vs_mps, q_extra, cells.origin, cells.cell, cells.dims,
                    cells.stride, grid.bstart, grid.pack, grid.key, grid.coord, grid.keyed,
                    grid.modulus, self._c.in_grid, waiting.bstart, waiting.pack, waiting.key,
                    waiting.coord, waiting.keyed, waiting.modulus, self._c.is_pending,
                    self._c.motion, self.between_parties, self._c.is_query, now,
                    self.lookahead_s, self.h_sep_m, self.v_sep_m,
                )  # fmt: skip
            finally:
                self._c.is_query[q_slots] = False
            return self._solve(q_slots[found_m], found_s, now)

    def _solve(self, a: I64, b: I64, now: float) -> Conflicts:
        """The exact test on slot pairs (a, b) at ``now``; the conflicts, ordered."""
        if a.shape[0] == 0:
            return Conflicts.empty(np.empty(0, dtype=np.str_))
        slots, local = np.unique(np.concatenate([a, b]), return_inverse=True)
        k = a.shape[0]
        state, _, _, _ = self._states_at(slots, now)
        solved = self.backend.solve(
            state, local[:k], local[k:], self.lookahead_s, self.h_sep_m, self.v_sep_m
        )
        hit = solved.conflict
        if not np.any(hit):
            return Conflicts.empty(np.empty(0, dtype=np.str_))
        la, lb = local[:k][hit], local[k:][hit]
        members, pos = np.unique(np.concatenate([la, lb]), return_inverse=True)
        ids = np.array([self._ids[s] for s in slots[members].tolist()], dtype=np.str_)
        order_ids = np.argsort(ids, kind="stable")
        rank = np.empty(ids.shape[0], dtype=np.int64)
        rank[order_ids] = np.arange(ids.shape[0])
        i, j = rank[pos[: la.shape[0]]], rank[pos[la.shape[0] :]]
        first, second = np.minimum(i, j), np.maximum(i, j)
        order = np.argsort(first * ids.shape[0] + second, kind="stable")
        return Conflicts(
            i=first[order],
            j=second[order],
            ids=ids[order_ids],
            t_in_s=solved.t_in_s[hit][order],
            t_out_s=solved.t_out_s[hit][order],
            tcpa_s=solved.tcpa_s[hit][order],
            dcpa_m=solved.dcpa_m[hit][order],
        )


_warmed: set[int] = set()
_warm_lock = threading.Lock()


def _warm_up(backend: Backend) -> None:
    """Run ``backend`` and every kernel of :class:`LivePairs` once (once per process)."""
    with _warm_lock:
        if id(backend) in _warmed:
            return
        backend.warm()
        live = LivePairs(backend=backend, between_parties=True, warm=False)
        tracks = Tracks(
            id=["a", "b", "c"], party=["p", "q", "p"], lat_deg=[0.0, 0.0, 0.01],
            lon_deg=[0.0, 0.05, 0.0], alt_m=[9000.0] * 3, gs_mps=[200.0, 150.0, 0.0],
            track_deg=[90.0, 270.0, 0.0], vs_mps=[0.0, 1.0, 0.0],
        )  # fmt: skip
        live.upsert(tracks, np.zeros(3))
        live.conflicts_of(["a"], now_s=1.0)
        live.upsert(tracks.take([1]), np.ones(1))
        live.conflicts_of(["b"], now_s=2.0)
        _warmed.add(id(backend))


_EMPTY_GRID = BucketGrid(
    bstart=np.zeros(2, dtype=np.int64),
    pack=np.empty(0, dtype=np.int64),
    key=np.empty(0, dtype=np.int64),
    keyed=False,
    alt_origin=0.0,
    quantum=1.0,
)
_EMPTY_CELLS = Cells(
    origin=np.zeros(4), span=np.ones(4), cell=np.ones(4), dims=np.ones(4, dtype=np.int64)
)


def _finite_time(now_s: float) -> float:
    now = float(now_s)
    if not math.isfinite(now):
        raise InvalidInput(f"now_s must be a finite POSIX time, got {now_s}")
    return now
