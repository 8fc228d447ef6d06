"""The detectors terminate on any finite input: extreme floats (1e308, -1e308, 5e-324,
-0.0, speeds of 1e20 m/s, lookaheads of 1e308 s) give a well-formed result or
InvalidInput, never a hang, another exception or NaN.

Each property runs in a child process (``extremekit.py``) whose examples are guarded:
one that does not return within a minute ends the child, and the test fails with the
stacks of the detector that did not return."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deconflict.detect.live import LivePairs
from deconflict.detect.separation import detect
from deconflict.errors import InvalidInput
from deconflict.model import Tracks

KIT = Path(__file__).with_name("extremekit.py")
TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("name", "examples"), [("separation", 150), ("live", 100), ("areas", 100)])
def test_detectors_return_on_extreme_finite_input(name: str, examples: int) -> None:
    out = subprocess.run(
        [sys.executable, str(KIT), name, str(examples)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=TESTS,
    )
    assert out.returncode == 0, (
        f"{name}: exit {out.returncode}\n{out.stdout[-4000:]}\n{out.stderr[-8000:]}"
    )


def _picture(n: int, **wild: float) -> Tracks:
    """n level tracks of two parties in a 40 km box; track 0 takes the ``wild`` values."""
    rng = np.random.default_rng(7)
    cols = {
        "lat_deg": 35.0 + rng.uniform(-0.2, 0.2, n),
        "lon_deg": 40.0 + rng.uniform(-0.2, 0.2, n),
        "alt_m": rng.choice([3000.0, 3300.0, 9000.0], n),
        "gs_mps": rng.uniform(50.0, 250.0, n),
        "track_deg": rng.uniform(0.0, 360.0, n),
        "vs_mps": np.zeros(n),
    }
    for name, value in wild.items():
        cols[name][0] = value
    return Tracks(id=[f"t{k:05d}" for k in range(n)], party=["p", "q"] * (n // 2), **cols)


@pytest.mark.parametrize(
    ("name", "value"), [("gs_mps", 1e308), ("vs_mps", 1e308), ("gs_mps", 1e20), ("alt_m", -1e308)]
)
def test_values_beyond_the_domain_are_refused_naming_them(name: str, value: float) -> None:
    tracks = _picture(4, **{name: value})
    for backend in ("numpy", "numba"):
        with pytest.raises(InvalidInput, match=f"row 0, column '{name}'.*beyond"):
            detect(tracks, backend=backend)
    live = LivePairs()
    with pytest.raises(InvalidInput, match=f"column '{name}'"):
        live.upsert(tracks, 0.0)
    assert len(live) == 0


def test_a_state_dead_reckoned_out_of_the_domain_is_refused_and_changes_nothing() -> None:
    live = LivePairs()
    tracks = _picture(4, vs_mps=1e5)
    live.upsert(tracks, 0.0)
    before = live.conflicts_of(tracks.id, now_s=1.0)
    with pytest.raises(InvalidInput, match="'t00000' dead-reckoned"):
        live.conflicts_of(tracks.id, now_s=1e300)
    again = live.conflicts_of(tracks.id, now_s=1.0)
    assert again.records() == before.records()


def test_one_box_far_larger_than_the_rest_keeps_every_grid_small() -> None:
    """A track climbing at 90 km/s among level traffic: its box spans thousands of the
    cells sized for the others. The grids coarsen instead of entering it in all of them,
    and the answers stay those of the full pass."""
    n = 2000
    tracks = _picture(n, vs_mps=9e4, gs_mps=9e4)
    live = LivePairs(lookahead_s=300.0)
    live.upsert(tracks, 0.0)
    full = live.all_conflicts(now_s=5.0)
    some = live.conflicts_of(tracks.id[:50], now_s=5.0)
    assert live._grid is not None and live._grid.pack.shape[0] <= 64 * n + 65_536
    wanted = {(a, b) for a, b in zip(full.a, full.b, strict=True) if a < "t00050" or b < "t00050"}
    assert set(zip(some.a, some.b, strict=True)) == wanted
    compiled, plain = detect(tracks, backend="numba"), detect(tracks, backend="numpy")
    assert set(zip(compiled.a, compiled.b, strict=True)) == set(zip(plain.a, plain.b, strict=True))
    # a pending box like it (changed after the grid was built) also re-plans the cells
    live.upsert(_picture(n, vs_mps=-9e4).take([0]), 6.0)
    live.conflicts_of(["t00000"], now_s=7.0)
    assert live._grid is not None and live._grid.pack.shape[0] <= 64 * n + 65_536
