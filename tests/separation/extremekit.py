"""Extreme finite inputs for the core detectors, run as a child process.

``python extremekit.py NAME EXAMPLES`` runs the property ``NAME`` over ``EXAMPLES``
generated pictures and exits 0 when every detector call returned (or raised
:class:`~deconflict.errors.InvalidInput`) with a well-formed result. Each example has
:data:`GUARD_S` seconds: past that the process prints every thread's stack and exits
with status 1, so a detector that never returns fails its test instead of hanging it.
"""

from __future__ import annotations

import faulthandler
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.detect.borders import BorderSet, predict_crossings
from deconflict.detect.intents import VolumeSet, find_overlaps, non_conforming
from deconflict.detect.live import LivePairs
from deconflict.detect.separation import Conflicts, detect
from deconflict.detect.strikes import PositionSet, StrikeSet, strike_proximity
from deconflict.detect.zones import ZoneSet, predict_entries
from deconflict.errors import InvalidInput
from deconflict.model import Country, Geometry, Position, Rule, Strike, Tracks, Volume, Zone

GUARD_S = 60.0
"""Longest time one example may take before the process gives up on it."""

EXTREME = [
    1e308,
    -1e308,
    sys.float_info.max,
    -sys.float_info.max,
    5e-324,
    -5e-324,
    sys.float_info.min,
    0.0,
    -0.0,
    1e20,
    -1e20,
    3.4e38,
    -3.4e38,
    1e10,
    1e5,
    float(2**63),
    1.0,
]
"""Finite values that overflow, underflow or lose every digit when multiplied."""

NOW = 1_600_000_000.0


def finite(*, positive: bool = False) -> st.SearchStrategy[float]:
    """Extreme values, and any other finite float (positive ones only if asked)."""
    if positive:
        pool = [x for x in EXTREME if x > 0]
        return st.one_of(st.sampled_from(pool), st.floats(min_value=5e-324, allow_infinity=False))
    return st.one_of(st.sampled_from(EXTREME), st.floats(allow_nan=False, allow_infinity=False))


def _degrees(limit: float) -> st.SearchStrategy[float]:
    edges = [limit, -limit, 0.0, -0.0, 5e-324, -5e-324, limit - 1e-9]
    return st.one_of(st.sampled_from(edges), st.floats(-limit, limit))


@st.composite
def pictures(draw: st.DrawFn) -> Tracks:
    """2 to 6 tracks of 2 parties near one place; any field may be extreme."""
    n = draw(st.integers(2, 6))
    lat0 = draw(_degrees(90.0))
    lon0 = draw(_degrees(180.0))
    cols: dict[str, list[float]] = {k: [] for k in ("lat_deg", "lon_deg", "alt_m", "gs_mps")}
    cols.update(track_deg=[], vs_mps=[])
    for _ in range(n):
        wild = draw(st.booleans())

        def pick(normal: st.SearchStrategy[float], extreme: st.SearchStrategy[float]) -> float:
            return draw(extreme if wild and draw(st.booleans()) else normal)  # noqa: B023

        cols["lat_deg"].append(min(90.0, max(-90.0, lat0 + draw(st.floats(-0.05, 0.05)))))
        cols["lon_deg"].append(min(180.0, max(-180.0, lon0 + draw(st.floats(-0.05, 0.05)))))
        cols["alt_m"].append(pick(st.floats(0, 12_000), finite()))
        cols["gs_mps"].append(pick(st.floats(0, 300), finite(positive=True)))
        cols["track_deg"].append(pick(st.floats(0, 360), finite()))
        cols["vs_mps"].append(pick(st.floats(-20, 20), finite()))
    return Tracks(
        id=[f"t{k}" for k in range(n)],
        party=["p" if k % 2 else "q" for k in range(n)],
        **cols,  # type: ignore[arg-type]
    )


def check_conflicts(c: Conflicts, lookahead: float) -> None:
    """What every separation result promises: no NaN, each pair once, in order."""
    for name in ("t_in_s", "t_out_s", "tcpa_s", "dcpa_m"):
        values = getattr(c, name)
        assert not np.isnan(values).any(), f"{name} holds NaN: {values}"
        assert (values >= 0).all(), f"{name} is negative: {values}"
    assert (c.i < c.j).all()
    assert len({(int(a), int(b)) for a, b in zip(c.i, c.j, strict=True)}) == len(c)
    assert (c.t_in_s <= c.t_out_s).all() and (c.t_out_s <= lookahead).all()


def refused_or(call: Callable[[], Any]) -> Any:
    """``call()``, or None when it raised InvalidInput (the one error allowed)."""
    try:
        return call()
    except InvalidInput:
        return None


def guarded(body: Callable[..., None]) -> Callable[..., None]:
    """``body`` with the per-example guard around it."""

    def run(*args: Any, **kw: Any) -> None:
        faulthandler.dump_traceback_later(GUARD_S, exit=True)
        try:
            body(*args, **kw)
        finally:
            faulthandler.cancel_dump_traceback_later()

    run.__name__ = body.__name__
    return run


def separation(examples: int) -> None:
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        tracks=pictures(),
        lookahead=st.one_of(st.just(300.0), finite(positive=True)),
        h_sep=st.one_of(st.just(9260.0), finite(positive=True)),
        v_sep=st.one_of(st.just(304.8), finite(positive=True)),
        between=st.booleans(),
    )
    @guarded
    def prop(tracks: Tracks, lookahead: float, h_sep: float, v_sep: float, between: bool) -> None:
        for backend in ("numpy", "numba"):
            c = refused_or(lambda b=backend: detect(tracks, lookahead, h_sep, v_sep, between, b))
            if c is not None:
                check_conflicts(c, lookahead)

    prop()


def live(examples: int) -> None:
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        tracks=pictures(),
        times=st.lists(st.one_of(st.just(NOW), finite()), min_size=6, max_size=6),
        now=st.lists(st.one_of(st.just(NOW + 1.0), finite()), min_size=2, max_size=2),
        lookahead=st.one_of(st.just(300.0), finite(positive=True)),
        sep=st.tuples(finite(positive=True), finite(positive=True)),
        slack=st.one_of(st.just(60.0), finite(positive=True)),
    )
    @guarded
    def prop(
        tracks: Tracks,
        times: list[float],
        now: list[float],
        lookahead: float,
        sep: tuple[float, float],
        slack: float,
    ) -> None:
        picture = refused_or(
            lambda: LivePairs(lookahead_s=lookahead, h_sep_m=sep[0], v_sep_m=sep[1], slack_s=slack)
        )
        if picture is None:
            return
        half = len(tracks) // 2
        first, second = tracks.take(np.arange(half)), tracks.take(np.arange(half, len(tracks)))
        for part, when in ((first, times[:half]), (second, times[half : len(tracks)])):
            refused_or(lambda p=part, w=when: picture.upsert(p, np.array(w)))
        for t in now:
            c = refused_or(lambda t=t: picture.conflicts_of(tracks.id, now_s=t))
            if c is not None:
                check_conflicts(c, picture.lookahead_s)
            c = refused_or(lambda t=t: picture.all_conflicts(now_s=t))
            if c is not None:
                check_conflicts(c, picture.lookahead_s)
        picture.remove(first.id)
        c = refused_or(lambda: picture.conflicts_of(tracks.id, now_s=now[0]))
        if c is not None:
            check_conflicts(c, picture.lookahead_s)

    prop()


def _square(lat: float, lon: float, d: float) -> Geometry:
    ring = [(lon - d, lat - d), (lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d)]
    return Geometry("Polygon", ([*ring, ring[0]],))


def _clip(x: float, limit: float) -> float:
    return min(limit, max(-limit, x))


def areas(examples: int) -> None:
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        tracks=pictures(),
        radius=finite(positive=True),
        band=st.tuples(finite(), finite()),
        lookahead=st.one_of(st.just(300.0), finite(positive=True)),
        window=st.tuples(finite(), finite()),
    )
    @guarded
    def prop(
        tracks: Tracks,
        radius: float,
        band: tuple[float, float],
        lookahead: float,
        window: tuple[float, float],
    ) -> None:
        lat, lon = float(tracks.lat_deg[0]), float(tracks.lon_deg[0])
        here = Geometry("Point", (lon, lat))
        low, high = min(band), max(band)
        rules = (Rule("*", "forbid"),)
        zones = [
            refused_or(
                lambda: Zone(
                    "c",
                    "c",
                    "claimed",
                    ("r",),
                    (),
                    rules,
                    here,
                    radius_m=radius,
                    alt_min_m=low,
                    alt_max_m=high,
                )
            ),
            refused_or(
                lambda: Zone(
                    "s",
                    "s",
                    "claimed",
                    ("r",),
                    (),
                    rules,
                    _square(_clip(lat, 89.0), _clip(lon, 179.0), 0.5),
                    alt_min_m=low,
                    alt_max_m=high,
                )
            ),
        ]
        zset = refused_or(lambda: ZoneSet.from_zones([z for z in zones if z is not None]))
        if zset is not None:
            refused_or(lambda: predict_entries(tracks, zset, now_s=NOW, lookahead_s=lookahead))
        start, end = min(window), max(window)
        vols = [
            refused_or(
                lambda: Volume(
                    "v", "p", here, start, end, radius_m=radius, alt_min_m=low, alt_max_m=high
                )
            ),
            refused_or(lambda: Volume("w", "q", here, start, end, radius_m=radius)),
        ]
        vset = refused_or(lambda: VolumeSet.from_volumes([v for v in vols if v is not None]))
        if vset is not None:
            refused_or(lambda: non_conforming(tracks, vset, now_s=NOW))
            refused_or(lambda: find_overlaps(vset, now_s=NOW))
        strike = refused_or(lambda: Strike("k", "q", lat, lon, radius, start, end, margin_m=radius))
        position = refused_or(lambda: Position("f", "p", "forces", lat, lon, radius))
        if strike is not None and position is not None:
            sset = refused_or(lambda: StrikeSet.from_strikes([strike]))
            pset = refused_or(lambda: PositionSet.from_positions([position]))
            if sset is not None and pset is not None:
                refused_or(lambda: strike_proximity(sset, pset, now_s=NOW))
        west = Country("w", "West", _square(0.0, -1.0, 1.0))
        east = Country("e", "East", _square(0.0, 1.0, 1.0))
        borders = BorderSet.from_countries([west, east])
        refused_or(lambda: predict_crossings(tracks, borders, lookahead_s=lookahead))

    prop()


PROPERTIES = {"separation": separation, "live": live, "areas": areas}

if __name__ == "__main__":
    name, examples = sys.argv[1], int(sys.argv[2])
    PROPERTIES[name](examples)
    print(f"{name}: {examples} examples passed")
