"""The compiled backend as a service uses it: warmed once, one thread pool, many callers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from deconflict.detect import compiled
from deconflict.detect.separation import detect, warm_up
from deconflict.geo import destination
from deconflict.model import Tracks


def busy_region(n: int, seed: int) -> Tracks:
    rng = np.random.default_rng(seed)
    lat, lon = destination(
        np.full(n, 46.0), np.full(n, 7.0), rng.uniform(0, 360, n), rng.uniform(0, 120e3, n)
    )
    return Tracks(
        id=[f"k{m:05d}" for m in range(n)],
        party=rng.choice(["a", "b", "c"], n),
        lat_deg=lat,
        lon_deg=lon,
        alt_m=rng.integers(10, 41, n) * 304.8 + rng.uniform(-30, 30, n),
        gs_mps=rng.uniform(60, 260, n),
        track_deg=rng.uniform(0, 360, n),
        vs_mps=np.where(rng.random(n) < 0.2, rng.uniform(-15, 15, n), 0.0),
    )


def test_warm_up_returns_the_compiled_backend_ready():
    engine = warm_up()
    assert engine is compiled.numba_backend
    assert warm_up("numba") is engine
    assert warm_up("numpy").name == "numpy"


def test_one_pool_for_the_process_and_concurrent_callers_agree(pairs_of):
    tracks = busy_region(8_000, 5)
    first = detect(tracks, backend="numba", between_parties=True)
    pool = compiled._executor()
    with ThreadPoolExecutor(max_workers=4) as callers:
        results = list(
            callers.map(lambda _: detect(tracks, backend="numba", between_parties=True), range(4))
        )
    assert compiled._executor() is pool
    want = pairs_of(first)
    assert len(want) > 1000
    for r in results:
        assert pairs_of(r) == want
        np.testing.assert_array_equal(r.t_in_s, first.t_in_s)
        np.testing.assert_array_equal(r.dcpa_m, first.dcpa_m)
