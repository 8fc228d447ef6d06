"""LivePairs gives exactly what a full detect on the dead-reckoned picture gives,
restricted to the pairs of the changed tracks, through upserts, removals and time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.detect.live import LivePairs
from deconflict.detect.separation import detect
from deconflict.geo import dead_reckon
from deconflict.model import Tracks

T, RH, RV = 300.0, 9260.0, 304.8


def _random_tracks(rng: np.random.Generator, n: int, prefix: str, box: float) -> Tracks:
    return Tracks(
        id=[f"{prefix}{k}" for k in range(n)],
        party=rng.choice(["p", "q", "r"], n),
        lat_deg=rng.uniform(40.0, 40.0 + box, n),
        lon_deg=rng.uniform(10.0, 10.0 + box, n),
        alt_m=rng.choice([9000.0, 9150.0, 9600.0], n),
        gs_mps=rng.uniform(0.0, 300.0, n),
        track_deg=rng.uniform(0.0, 360.0, n),
        vs_mps=rng.choice([0.0, 0.0, 5.0, -7.5], n),
    )


def _reference(
    states: dict[str, tuple[str, float, tuple[float, ...]]], now: float, changed: set[str]
) -> list[tuple[str, str, float, float]]:
    ids = sorted(states)
    cols = np.array([states[i][2] for i in ids])
    t0 = np.array([states[i][1] for i in ids])
    lat, lon, alt, trk = dead_reckon(
        cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4], cols[:, 5], now - t0
    )
    tracks = Tracks(
        id=ids,
        party=[states[i][0] for i in ids],
        lat_deg=lat,
        lon_deg=((lon + 180.0) % 360.0) - 180.0,
        alt_m=alt,
        gs_mps=cols[:, 3],
        track_deg=trk,
        vs_mps=cols[:, 5],
    )
    c = detect(tracks, lookahead=T, h_sep=RH, v_sep=RV, between_parties=True, backend="numpy")
    return [
        (a, b, float(ti), float(d))
        for a, b, ti, d in zip(c.a.tolist(), c.b.tolist(), c.t_in_s, c.dcpa_m, strict=True)
        if a in changed or b in changed
    ]


def _got(live: LivePairs, changed: set[str], now: float) -> list[tuple[str, str, float, float]]:
    c = live.conflicts_of(sorted(changed), now_s=now)
    rows = list(zip(c.a.tolist(), c.b.tolist(), c.t_in_s.tolist(), c.dcpa_m.tolist(), strict=True))
    pairs = [(a, b) for a, b, _, _ in rows]
    assert len(set(pairs)) == len(pairs), "each pair once"
    assert all(a < b for a, b in pairs) and pairs == sorted(pairs)
    return rows


def _same(
    got: list[tuple[str, str, float, float]], want: list[tuple[str, str, float, float]]
) -> None:
    assert [(a, b) for a, b, _, _ in got] == [(a, b) for a, b, _, _ in want]
    for g, w in zip(got, want, strict=True):
        assert abs(g[2] - w[2]) < 1e-6 and abs(g[3] - w[3]) < 1e-3


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 120), box=st.sampled_from([0.2, 1.0, 4.0]))
def test_incremental_equals_full_pass(seed: int, n: int, box: float) -> None:
    rng = np.random.default_rng(seed)
    live = LivePairs(lookahead_s=T, h_sep_m=RH, v_sep_m=RV, between_parties=True, backend="numpy")
    states: dict[str, tuple[str, float, tuple[float, ...]]] = {}
    now = 1000.0
    for step in range(4):
        batch = _random_tracks(rng, n, f"s{step}-" if step % 2 else "t", box)
        times = now - rng.uniform(0.0, 20.0, len(batch))
        live.upsert(batch, times)
        for k in range(len(batch)):
            states[str(batch.id[k])] = (
                str(batch.party[k]),
                float(times[k]),
                (
                    float(batch.lat_deg[k]),
                    float(batch.lon_deg[k]),
                    float(batch.alt_m[k]),
                    float(batch.gs_mps[k]),
                    float(batch.track_deg[k]),
                    float(batch.vs_mps[k]),
                ),
            )
        if step == 2:
            gone = sorted(states)[: n // 3]
            live.remove(gone)
            for g in gone:
                del states[g]
        changed = set(
            rng.choice(sorted(states), size=min(len(states), 1 + n // 4), replace=False).tolist()
        )
        _same(_got(live, changed, now), _reference(states, now, changed))
        now += float(rng.uniform(0.0, 45.0))
    every = set(states)
    _same(_got(live, every, now), _reference(states, now, every))
    full = live.all_conflicts(now_s=now)
    assert len(full) == len(_reference(states, now, every))


def test_a_stationary_pair_far_from_changes_is_not_reported() -> None:
    live = LivePairs(between_parties=False)
    a = Tracks(
        id=["a", "b", "c"],
        party=["p", "q", "p"],
        lat_deg=[0.0, 0.0, 50.0],
        lon_deg=[0.0, 0.01, 50.0],
        alt_m=[1000.0] * 3,
        gs_mps=[0.0] * 3,
        track_deg=[0.0] * 3,
        vs_mps=[0.0] * 3,
    )
    live.upsert(a, np.zeros(3))
    assert len(live.conflicts_of(["c"], now_s=5.0)) == 0
    c = live.conflicts_of(["a"], now_s=5.0)
    assert (c.a.tolist(), c.b.tolist()) == (["a"], ["b"])
    assert len(live.conflicts_of(["nobody"], now_s=5.0)) == 0
