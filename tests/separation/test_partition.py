"""Separation partitioned by area: the detectors together find what one node finds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h3
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.detect.partition import (
    RESOLUTION,
    Partition,
    cells_of,
    halo_pairs,
    keep_owned,
    needed_tracks,
)
from deconflict.detect.separation import Conflicts, detect
from deconflict.errors import InvalidInput
from deconflict.model import Tracks
from deconflict.trackio import read_history

DATA = Path(__file__).parents[1] / "data" / "adsb"
DETECTORS = ["alpha", "bravo", "charlie", "delta", "echo"]


def rows(c: Conflicts) -> list[tuple[str, str, float, float, float, float]]:
    return [
        (str(a), str(b), float(t0), float(t1), float(tc), float(d))
        for a, b, t0, t1, tc, d in zip(
            c.a, c.b, c.t_in_s, c.t_out_s, c.tcpa_s, c.dcpa_m, strict=True
        )
    ]


def partitioned(
    tracks: Tracks, part: Partition, backend: str = "numpy", **kw: float
) -> tuple[list[tuple[str, str, float, float, float, float]], dict[str, int]]:
    """Pairs found by every detector on its needed tracks, kept where it owns them."""
    lookahead = float(kw.get("lookahead", 300.0))
    h_sep = float(kw.get("h_sep", 9260.0))
    cells = cells_of(tracks.lat_deg, tracks.lon_deg, resolution=part.resolution)
    pairs = halo_pairs(tracks, lookahead=lookahead, h_sep=h_sep)
    found: list[tuple[str, str, float, float, float, float]] = []
    sizes: dict[str, int] = {}
    for name in part.detectors:
        owned = part.owns(name, cells)
        need = needed_tracks(tracks, owned, lookahead=lookahead, h_sep=h_sep, pairs=pairs)
        sizes[name] = int(need.size)
        local = detect(tracks.take(need), backend=backend, **kw)
        found += rows(keep_owned(local, owned[need]))
    return found, sizes


# Places where traffic is put: a cell's vertex (three cells meet), the antimeridian,
# next to the north pole, the equator at 0 deg.
VERTEX = h3.cell_to_boundary(h3.latlng_to_cell(46.8, 8.2, RESOLUTION))[0]
PLACES = [VERTEX, (10.0, 179.95), (-35.0, -179.98), (89.6, 30.0), (0.0, 0.0)]


@st.composite
def traffic(draw: st.DrawFn) -> Tracks:
    lat0, lon0 = draw(st.sampled_from(PLACES))
    n = draw(st.integers(2, 40))
    spread = draw(st.sampled_from([0.05, 0.5, 2.0]))  # degrees around the place
    lat, lon, gs = [], [], []
    for _ in range(n):
        a = float(np.clip(lat0 + draw(st.floats(-spread, spread)), -90.0, 90.0))
        o = lon0 + draw(st.floats(-spread, spread)) * 3.0
        lat.append(a)
        lon.append(float((o + 180.0) % 360.0 - 180.0))
        gs.append(draw(st.sampled_from([0.0, 60.0, 250.0, 900.0, 1500.0])))
    track = draw(st.lists(st.floats(0.0, 359.9), min_size=n, max_size=n))
    alt = draw(st.lists(st.sampled_from([3000.0, 3100.0, 9000.0]), min_size=n, max_size=n))
    vs = draw(st.lists(st.sampled_from([0.0, -10.0, 15.0]), min_size=n, max_size=n))
    ids = draw(st.permutations([f"t{k:02d}" for k in range(n)]))
    return Tracks(
        id=ids,
        party=[f"p{k % 3}" for k in range(n)],
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        gs_mps=gs,
        track_deg=track,
        vs_mps=vs,
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    t=traffic(),
    k=st.integers(1, 5),
    resolution=st.sampled_from([RESOLUTION, 3, 5]),
    lookahead=st.sampled_from([60.0, 300.0]),
)
def test_detectors_together_find_what_one_node_finds(t, k, resolution, lookahead):
    part = Partition(DETECTORS[:k], resolution=resolution)
    found, _ = partitioned(t, part, lookahead=lookahead)
    single = rows(detect(t, lookahead=lookahead, backend="numpy"))
    assert len(found) == len(set(found)), "a pair reported by two detectors"
    assert sorted(found) == single  # same pairs, each once, the same numbers to the bit


@settings(max_examples=40, deadline=None)
@given(t=traffic(), k=st.integers(2, 5))
def test_between_parties_partitioned(t, k):
    part = Partition(DETECTORS[:k])
    found, _ = partitioned(t, part, between_parties=True)
    assert sorted(found) == rows(detect(t, between_parties=True, backend="numpy"))


def test_a_pair_straddling_a_cell_edge_is_reported_by_one_owner():
    # Two tracks head-on across the vertex where three cells meet.
    lat, lon = VERTEX
    t = Tracks(
        id=["x", "y"],
        party=["p", "q"],
        lat_deg=[lat - 0.02, lat + 0.02],
        lon_deg=[lon - 0.02, lon + 0.02],
        alt_m=[9000.0, 9000.0],
        gs_mps=[250.0, 250.0],
        track_deg=[45.0, 225.0],
        vs_mps=[0.0, 0.0],
    )
    cells = cells_of(t.lat_deg, t.lon_deg)
    assert cells[0] != cells[1]
    for names in (["a", "b"], ["a", "b", "c"], DETECTORS):
        part = Partition(names)
        found, _ = partitioned(t, part)
        assert [r[:2] for r in found] == [("x", "y")]
        # The reporter is the owner of x's cell, whichever owns y's.
        owner = part.owner_of(cells[:1])[0]
        need = needed_tracks(t, part.owns(owner, cells))
        assert need.tolist() == [0, 1]


def test_halo_width_is_speed_times_lookahead_plus_separation():
    # b sits just inside / just outside (gs_a + gs_b) * T + h_sep of a, both flying north.
    width = (200.0 + 100.0) * 300.0 + 9260.0
    deg = np.degrees(width / 6_371_008.8)
    for offset, inside in ((-0.5, True), (+2.0, False)):
        t = Tracks(
            id=["a", "b"],
            party=["p", "q"],
            lat_deg=[0.0, 0.0],
            lon_deg=[0.0, deg + np.degrees(offset / 6_371_008.8)],
            alt_m=[9000.0, 9000.0],
            gs_mps=[200.0, 100.0],
            track_deg=[0.0, 0.0],
            vs_mps=[0.0, 0.0],
        )
        i, _ = halo_pairs(t)
        assert (i.size == 1) is inside


def test_needed_tracks_are_only_own_and_halo():
    # Far-apart traffic: a detector owning a's cell receives neither c nor d.
    t = Tracks(
        id=["a", "b", "c", "d"],
        party=["p"] * 4,
        lat_deg=[46.0, 46.05, 10.0, -30.0],
        lon_deg=[7.0, 7.05, 100.0, -60.0],
        alt_m=[9000.0] * 4,
        gs_mps=[250.0] * 4,
        track_deg=[0.0] * 4,
        vs_mps=[0.0] * 4,
    )
    owned = np.array([True, False, False, False])
    assert needed_tracks(t, owned).tolist() == [0, 1]
    # Owning b (the higher id) alone: the pair's home is a's cell, so a is not needed.
    assert needed_tracks(t, np.array([False, True, False, False])).tolist() == [1]
    with pytest.raises(InvalidInput):
        needed_tracks(t, owned[:2])


def random_cells(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return cells_of(lat, rng.uniform(-180.0, 180.0, n))


def test_every_cell_has_one_owner_and_shares_are_even():
    cells = np.unique(random_cells(20_000, 1))
    part = Partition(["d1", "d2", "d3", "d4"])
    owner = part.owner_index(cells)
    masks = np.stack([part.owns(d, cells) for d in part.detectors])
    assert np.all(masks.sum(axis=0) == 1)
    assert np.array_equal(np.argmax(masks, axis=0), owner)
    share = np.bincount(owner, minlength=4) / cells.size
    assert np.all(np.abs(share - 0.25) < 0.03)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_joining_moves_only_the_joiners_cells(k):
    cells = np.unique(random_cells(5_000, 2))
    before = Partition(DETECTORS[:k]).owner_of(cells)
    after = Partition([*DETECTORS[:k], "newcomer"]).owner_of(cells)
    moved = before != after
    assert np.all(after[moved] == "newcomer")
    assert 0.5 / (k + 1) < moved.mean() < 1.5 / (k + 1)


@pytest.mark.parametrize("leaver", ["alpha", "charlie", "echo"])
def test_leaving_moves_only_the_leavers_cells(leaver):
    cells = np.unique(random_cells(5_000, 3))
    before = Partition(DETECTORS).owner_of(cells)
    after = Partition([d for d in DETECTORS if d != leaver]).owner_of(cells)
    moved = before != after
    assert np.array_equal(moved, before == leaver)


def test_order_of_names_does_not_matter_and_bad_names_are_refused():
    cells = random_cells(500, 4)
    a = Partition(["x", "y", "z"]).owner_of(cells)
    assert np.array_equal(a, Partition(["z", "x", "y"]).owner_of(cells))
    for bad in ([], ["x", "x"], [""]):
        with pytest.raises(InvalidInput):
            Partition(bad)
    with pytest.raises(InvalidInput):
        Partition(["x"]).owns("y", cells)


def test_the_assignment_is_the_same_in_two_fresh_processes():
    script = (
        "import json, numpy as np\n"
        "from deconflict.detect.partition import Partition, cells_of\n"
        "rng = np.random.default_rng(7)\n"
        "c = cells_of(rng.uniform(-89, 89, 3000), rng.uniform(-180, 180, 3000))\n"
        "p = Partition(['gamma', 'alpha', 'beta'])\n"
        "print(json.dumps([c.tolist(), p.owner_of(c).tolist()]))\n"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert outs[0] == outs[1]
    cells, owners = json.loads(outs[0])
    here = Partition(["alpha", "beta", "gamma"]).owner_of(np.array(cells, dtype=np.uint64))
    assert here.tolist() == owners


def test_cells_are_h3_cells_and_bad_points_are_refused():
    c = cells_of([46.5, 89.99, -89.99], [7.5, 179.999, -179.999])
    assert c.dtype == np.uint64
    assert [h3.int_to_str(int(x)) for x in c] == [
        h3.latlng_to_cell(46.5, 7.5, RESOLUTION),
        h3.latlng_to_cell(89.99, 179.999, RESOLUTION),
        h3.latlng_to_cell(-89.99, -179.999, RESOLUTION),
    ]
    with pytest.raises(InvalidInput):
        cells_of([np.nan], [0.0])
    with pytest.raises(InvalidInput):
        cells_of([0.0, 1.0], [0.0])


@pytest.fixture(scope="module")
def switzerland():
    return read_history(DATA / "switzerland_1345.csv.gz")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("k", [1, 3])
def test_recorded_traffic_on_one_and_three_detectors(switzerland, k, backend):
    t0 = float(switzerland.time_s.min())
    total = 0
    for minute in range(0, 10, 2):
        t = switzerland.at(t0 + 60.0 * minute + 30.0)
        assert len(t) > 20
        for res in (RESOLUTION, 3, 5):
            part = Partition(DETECTORS[:k], resolution=res)
            # A wider minimum so that the recorded day has pairs to find.
            kw = {"h_sep": 30_000.0, "v_sep": 600.0}
            found, _ = partitioned(t, part, backend, **kw)
            single = rows(detect(t, backend=backend, **kw))
            assert sorted(found) == single
            total += len(single)
    assert total > 0


def test_the_partition_core_imports_no_bus_store_or_service():
    import ast

    import deconflict.detect.partition as mod

    tree = ast.parse(Path(mod.__file__).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    allowed = {
        "__future__",
        "functools",
        "hashlib",
        "collections.abc",
        "h3",
        "numpy",
        "numpy.typing",
    }
    relative = {n for n in names if n.startswith(".")}
    assert names - relative <= allowed
    assert {n.lstrip(".").split(".")[0] for n in relative if n.startswith("..")} <= {
        "errors",
        "geo",
        "model",
    }
