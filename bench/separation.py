"""Separation conflict detection: deconflict against BlueSky, measured in one run.

The peer is the state-based conflict detection of BlueSky, the open air traffic simulator
(TU Delft; PyPI ``bluesky-simulator``): its numpy ``StateBased`` and its compiled
``CStateBased``. Both are called through their own ``detect(ownship, intruder, rpz, hpz,
dtlookahead)`` in BlueSky's own virtual environment (``bench/.venv-bluesky``, created on
first use), on the same seeded synthetic traffic as deconflict, each (engine, N) in a fresh
process so that time and peak memory are its own.

Usage::

    .venv/bin/python bench/separation.py                    # full run (about half an hour)
    .venv/bin/python bench/separation.py --quick            # a tiny run
    .venv/bin/python bench/separation.py --sizes 1000,5000 --no-adsb-sweep
    .venv/bin/python bench/separation.py --density          # constant density, 10k .. 1M
    .venv/bin/python bench/separation.py --live             # LivePairs (bench/live.py)

Reported per N: best-of-3 time, peak memory (VmHWM of the process), pair counts, whether
the pair sets agree (each disagreement is judged against an independent reference that
flies great circles on the sphere: inside the ±0.5 % band around the thresholds or not),
and speed ratios. Then deconflict alone at constant density (the square grown with √N,
up to 1M tracks) and a sweep over recorded ADS-B traffic shipped in ``bench/data`` (one
check per minute); ``--live`` adds incremental detection (``bench/live.py``, which
``make bench`` also runs on its own). Nothing is read from outside the repository.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "_separation_runner.py"
BLUESKY_VENV = Path(__file__).resolve().parent / ".venv-bluesky"
BLUESKY_REQUIREMENT = "bluesky-simulator==1.1.1"
DEFAULT_ADSB = Path(__file__).resolve().parent / "data" / "switzerland.csv.gz"

EARTH_RADIUS_M = 6_371_008.8
FT_M = 0.3048
LOOKAHEAD_S = 300.0
H_SEP_M = 9260.0
V_SEP_M = 304.8
BAND = 0.005
"""Relative tolerance on Rh, Rv and T within which a disagreement is a threshold case."""

FULL_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
QUICK_SIZES = (500, 1_000)
DENSITY_SIZES = (10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)
"""Constant density: the square's side is 600 km at 10k and grows with √N (6,000 km at 1M)."""
DENSITY_BASE = (10_000, 600.0)
LIVE_SIZES = (10_000, 100_000)
SEED = 20_261_123
GiB = 1024.0**3
MiB = 1024.0**2

ENGINES = ("deconflict", "bluesky-numpy", "bluesky-c")
LABEL = {"deconflict": "deconflict", "bluesky-numpy": "BlueSky numpy", "bluesky-c": "BlueSky C++"}


# --------------------------------------------------------------------------- traffic


def make_traffic(n: int, seed: int = SEED, side_m: float = 600e3) -> dict[str, np.ndarray]:
    """Seeded synthetic en-route traffic in a square of ``side_m`` centred on 47°N 8°E.

    Flight levels FL100–FL400 in 1,000 ft steps with ±30 m of noise, ground speed
    60–260 m/s, uniform tracks, one aircraft in five climbing or descending at 2.5–15 m/s.
    The first ``k`` aircraft of a sample are the same for every n (one stream per column).
    """
    streams = [np.random.default_rng([seed, k]) for k in range(8)]
    lat0, lon0 = 47.0, 8.0
    y = streams[0].uniform(-0.5, 0.5, n) * side_m
    x = streams[1].uniform(-0.5, 0.5, n) * side_m
    lat = lat0 + np.degrees(y / EARTH_RADIUS_M)
    lon = lon0 + np.degrees(x / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    level_ft = streams[2].integers(10, 41, n) * 1000.0  # FL100..FL400, 31 levels
    alt = level_ft * FT_M + streams[3].uniform(-30.0, 30.0, n)
    gs = streams[4].uniform(60.0, 260.0, n)
    trk = streams[5].uniform(0.0, 360.0, n)
    moving = streams[6].random(n) < 0.2
    vs = np.where(moving, streams[7].choice([-1.0, 1.0], n) * streams[7].uniform(2.5, 15.0, n), 0)
    return {
        "lat_deg": lat,
        "lon_deg": lon,
        "alt_m": alt,
        "gs_mps": gs,
        "track_deg": trk,
        "vs_mps": vs.astype(np.float64),
    }


# --------------------------------------------------------------------------- machine


def _run_text(cmd: list[str], timeout: float = 60.0) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def machine_info(bluesky_python: Path | None) -> dict[str, str]:
    """CPU, cores, memory, interpreter and library versions, load at start."""
    cpu = platform.processor() or "unknown"
    mem = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) * 1024 / GiB:.1f} GiB"
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    commit = _run_text(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"])
    if commit:
        dirty = _run_text(
            ["git", "-C", str(ROOT), "status", "--porcelain", "src/deconflict/detect"]
        )
        info["deconflict commit"] = commit + (" (detect/ modified in tree)" if dirty else "")
    if bluesky_python is not None:
        probe = (
            "import importlib.metadata as m, numpy, platform; "
            "print(m.version('bluesky-simulator'), numpy.__version__, platform.python_version())"
        )
        parts = _run_text([str(bluesky_python), "-c", probe]).split()
        if len(parts) == 3:
            info["BlueSky"] = f"bluesky-simulator {parts[0]} (numpy {parts[1]}, python {parts[2]})"
    return info


# --------------------------------------------------------------------------- BlueSky venv


@dataclass
class BlueSkySetup:
    python: Path | None
    numpy_ok: bool = False
    c_ok: bool = False
    notes: list[str] = field(default_factory=list)


def _import_check(python: Path, module: str) -> str:
    """'' when ``python`` imports ``module``, else the last line of the error."""
    code = (
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    import {module}\n"
    )
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    if out.returncode == 0:
        return ""
    lines = (out.stderr or out.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {out.returncode}"


def _pip(python: Path, *args: str) -> tuple[bool, str]:
    out = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    tail = "\n".join((out.stderr or "").strip().splitlines()[-5:])
    return out.returncode == 0, tail


def ensure_bluesky(venv: Path = BLUESKY_VENV) -> BlueSkySetup:
    """BlueSky in its own virtual environment, created (and its C++ detector built) if missing.

    The PyPI wheel ships the compiled ``cstatebased`` detector; when it does not import,
    the package is rebuilt from its source distribution with this machine's compiler.
    """
    python = venv / "bin" / "python"
    if not python.exists() or _import_check(python, "bluesky"):
        print(f"setting up {venv.relative_to(ROOT)} with {BLUESKY_REQUIREMENT} ...", flush=True)
        made = subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            return BlueSkySetup(None, notes=[f"cannot create {venv}: {made.stderr.strip()}"])
        ok, tail = _pip(python, BLUESKY_REQUIREMENT)
        if not ok:
            return BlueSkySetup(None, notes=[f"pip install {BLUESKY_REQUIREMENT} failed: {tail}"])
    setup = BlueSkySetup(python)
    err = _import_check(python, "bluesky.traffic.asas.statebased")
    setup.numpy_ok = not err
    if err:
        setup.notes.append(f"BlueSky StateBased does not import: {err}")
    err = _import_check(python, "bluesky.traffic.asas.cstatebased")
    if err and setup.numpy_ok:
        setup.notes.append(f"BlueSky cstatebased does not import ({err}); building from sdist")
        ok, tail = _pip(
            python,
            "--force-reinstall",
            "--no-deps",
            "--no-binary",
            "bluesky-simulator",
            BLUESKY_REQUIREMENT,
        )
        err = _import_check(python, "bluesky.traffic.asas.cstatebased") if ok else tail
    setup.c_ok = not err
    if err:
        setup.notes.append(f"BlueSky CStateBased unavailable: {err}")
    return setup


# --------------------------------------------------------------------------- one engine run


@dataclass
class EngineRun:
    engine: str
    n: int
    status: str  # ok | skipped | timeout | memory | error | unavailable
    note: str = ""
    times_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    peak_bytes: int = 0
    base_bytes: int = 0
    i: np.ndarray | None = None
    j: np.ndarray | None = None

    @property
    def best_s(self) -> float:
        return min(self.times_s) if self.times_s else math.nan

    @property
    def pairs(self) -> int:
        return -1 if self.i is None else int(self.i.size)

    def summary(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "n": self.n,
            "status": self.status,
            "note": self.note,
            "times_s": self.times_s,
            "cpu_s": self.cpu_s,
            "best_s": None if math.isnan(self.best_s) else self.best_s,
            "peak_bytes": self.peak_bytes,
            "base_bytes": self.base_bytes,
            "pairs": self.pairs,
        }


def run_engine(
    engine: str,
    python: Path,
    inputs: Path,
    workdir: Path,
    n: int,
    *,
    timeout_s: float,
    mem_cap_bytes: int,
    repeats: int,
    repeat_budget_s: float,
) -> EngineRun:
    """Run one engine on one sample in a fresh process; best of ``repeats`` timings."""
    pairs_out = workdir / f"{engine}-{n}-pairs.npz"
    json_out = workdir / f"{engine}-{n}.json"
    cmd = [
        str(python),
        str(RUNNER),
        engine,
        str(inputs),
        str(pairs_out),
        str(json_out),
        f"--lookahead={LOOKAHEAD_S}",
        f"--h-sep={H_SEP_M}",
        f"--v-sep={V_SEP_M}",
        f"--repeats={repeats}",
        f"--repeat-budget={repeat_budget_s}",
        f"--mem-cap={mem_cap_bytes}",
    ]
    env = dict(os.environ)
    if engine == "deconflict":
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
        )
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return EngineRun(engine, n, "timeout", f"timed out after {timeout_s:.0f} s")
    if not json_out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        status = "memory" if "MemoryError" in proc.stderr else "error"
        return EngineRun(engine, n, status, f"exit {proc.returncode}: " + " | ".join(tail))
    res = json.loads(json_out.read_text())
    run = EngineRun(
        engine,
        n,
        "ok",
        times_s=[float(t) for t in res["times_s"]],
        cpu_s=[float(t) for t in res.get("cpu_s", [])],
        peak_bytes=int(res["peak_rss_bytes"]),
        base_bytes=int(res["base_rss_bytes"]),
    )
    if res.get("error") == "memory":
        run.status = "memory"
        run.note = f"out of memory under a {mem_cap_bytes / GiB:.0f} GiB cap"
        if not run.times_s:
            return run
    with np.load(pairs_out) as f:
        i, j = f["i"], f["j"]
    run.i, run.j = np.minimum(i, j), np.maximum(i, j)
    return run


# --------------------------------------------------------------------------- reference


def _great_circle(
    lat: np.ndarray, lon: np.ndarray, track: np.ndarray, dist_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Destination (radians) after ``dist_m`` along the great circle of initial ``track``."""
    d = dist_m / EARTH_RADIUS_M
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    lat2 = np.arcsin(np.clip(sin_lat * np.cos(d) + cos_lat * np.sin(d) * np.cos(track), -1, 1))
    lon2 = lon + np.arctan2(np.sin(track) * np.sin(d) * cos_lat, np.cos(d) - sin_lat * np.sin(lat2))
    return lat2, lon2


def _separation_ratio(data: dict[str, np.ndarray], i: np.ndarray, j: np.ndarray, t: np.ndarray):
    """g(t) = max(horizontal / Rh, vertical / Rv) for pairs (k,) at times (k, m)."""
    lat, lon = np.radians(data["lat_deg"]), np.radians(data["lon_deg"])
    trk = np.radians(data["track_deg"])
    gs, alt, vs = data["gs_mps"], data["alt_m"], data["vs_mps"]
    la, oa = _great_circle(lat[i, None], lon[i, None], trk[i, None], gs[i, None] * t)
    lb, ob = _great_circle(lat[j, None], lon[j, None], trk[j, None], gs[j, None] * t)
    h = np.sin(0.5 * (lb - la)) ** 2 + np.cos(la) * np.cos(lb) * np.sin(0.5 * (ob - oa)) ** 2
    horiz = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    vert = np.abs((alt[j] - alt[i])[:, None] + (vs[j] - vs[i])[:, None] * t)
    return np.maximum(horiz / H_SEP_M, vert / V_SEP_M)


def reference_min_ratio(
    data: dict[str, np.ndarray], i: np.ndarray, j: np.ndarray, t_max: float, step_s: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest g(t) over t in [0, t_max] and where, per pair: < 1 means a conflict.

    Independent of both engines: aircraft fly great circles on the sphere at constant
    ground speed (the contract's "straight lines"), altitude changes linearly. g is
    sampled every ``step_s`` and the best sample refined by golden-section search.
    """
    best = np.empty(i.size)
    when = np.empty(i.size)
    grid = np.linspace(0.0, t_max, math.ceil(t_max / step_s) + 1)
    dt = grid[1] - grid[0]
    for s in range(0, i.size, 400):
        ii, jj = i[s : s + 400], j[s : s + 400]
        g = _separation_ratio(data, ii, jj, np.broadcast_to(grid, (ii.size, grid.size)))
        k = np.argmin(g, axis=1)
        lo = np.maximum(grid[k] - dt, 0.0)
        hi = np.minimum(grid[k] + dt, t_max)
        phi = (math.sqrt(5.0) - 1.0) / 2.0
        for _ in range(40):
            a = hi - phi * (hi - lo)
            b = lo + phi * (hi - lo)
            ga = _separation_ratio(data, ii, jj, a[:, None])[:, 0]
            gb = _separation_ratio(data, ii, jj, b[:, None])[:, 0]
            left = ga < gb
            hi = np.where(left, b, hi)
            lo = np.where(left, lo, a)
        mid = 0.5 * (lo + hi)
        gm = _separation_ratio(data, ii, jj, mid[:, None])[:, 0]
        gk = g[np.arange(ii.size), k]
        better = gm < gk
        best[s : s + ii.size] = np.where(better, gm, gk)
        when[s : s + ii.size] = np.where(better, mid, grid[k])
    return best, when


def classify(
    data: dict[str, np.ndarray], i: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: verdict ('conflict' | 'clear' | 'band'), min g over [0, T], time of it.

    'conflict': a conflict even with Rh, Rv and T all 0.5 % smaller; 'clear': none even
    with all 0.5 % larger; 'band': the answer depends on the last half percent.
    """
    tight, _ = reference_min_ratio(data, i, j, LOOKAHEAD_S * (1.0 - BAND))
    loose, _ = reference_min_ratio(data, i, j, LOOKAHEAD_S * (1.0 + BAND))
    nominal, when = reference_min_ratio(data, i, j, LOOKAHEAD_S)
    verdict = np.where(
        tight < 1.0 - BAND, "conflict", np.where(loose >= 1.0 + BAND, "clear", "band")
    )
    return verdict, nominal, when


# --------------------------------------------------------------------------- comparison


@dataclass
class Agreement:
    peer: str
    common: int
    only_ours: int
    only_peer: int
    in_band: int
    ours_wrong: int  # outside the band and deconflict's answer contradicts the reference
    peer_wrong: int
    examples: list[dict[str, object]] = field(default_factory=list)

    @property
    def disagreements(self) -> int:
        return self.only_ours + self.only_peer

    def cell(self) -> str:
        if self.disagreements == 0:
            return "identical"
        text = f"{self.disagreements} differ"
        outside = self.disagreements - self.in_band
        if outside == 0:
            return text + ", all in ±0.5 % band"
        return (
            text + f": {self.in_band} in band, {outside} outside "
            f"(BlueSky off: {self.peer_wrong}, deconflict off: {self.ours_wrong})"
        )


def _keys(run: EngineRun, n: int) -> np.ndarray:
    assert run.i is not None and run.j is not None
    return np.unique(run.i.astype(np.int64) * n + run.j.astype(np.int64))


def compare(
    data: dict[str, np.ndarray], ours: EngineRun, peer: EngineRun, cache: dict[int, tuple]
) -> Agreement:
    """Pair-set agreement of deconflict and a peer, disagreements judged by the reference."""
    n = ours.n
    a, b = _keys(ours, n), _keys(peer, n)
    only_a = np.setdiff1d(a, b, assume_unique=True)
    only_b = np.setdiff1d(b, a, assume_unique=True)
    todo = np.array([k for k in np.concatenate([only_a, only_b]) if int(k) not in cache])
    if todo.size:
        verdict, ratio, when = classify(data, todo // n, todo % n)
        for k, v, r, w in zip(todo, verdict, ratio, when, strict=True):
            cache[int(k)] = (str(v), float(r), float(w))
    agreement = Agreement(
        LABEL[peer.engine],
        int(np.intersect1d(a, b).size),
        int(only_a.size),
        int(only_b.size),
        0,
        0,
        0,
    )
    for keys, reported_by_ours in ((only_a, True), (only_b, False)):
        for k in keys:
            verdict, ratio, when = cache[int(k)]
            if verdict == "band":
                agreement.in_band += 1
                continue
            truly = verdict == "conflict"
            ours_right = truly == reported_by_ours
            if ours_right:
                agreement.peer_wrong += 1
            else:
                agreement.ours_wrong += 1
            wrong = "peer" if ours_right else "deconflict"
            if sum(e["wrong"] == wrong for e in agreement.examples) < 3:
                agreement.examples.append(
                    {
                        "i": int(k // n),
                        "j": int(k % n),
                        "reported_by": "deconflict" if reported_by_ours else peer.engine,
                        "reference": verdict,
                        "min_ratio": round(ratio, 5),
                        "at_s": round(when, 2),
                        "wrong": wrong,
                    }
                )
    return agreement


def _state_row(data: dict[str, np.ndarray], k: int) -> str:
    return (
        f"T{k:07d},p,{float(data['lat'][k])!r},{float(data['lon'][k])!r},{float(data['alt_m'][k])!r},"
        f"{float(data['gs_mps'][k])!r},{float(data['track_deg'][k])!r},{float(data['vs_mps'][k])!r}"
    )


# --------------------------------------------------------------------------- formatting


def _fmt_time(run: EngineRun | None) -> str:
    if run is None:
        return "–"
    if run.status == "ok" or (run.status == "memory" and run.times_s):
        best = run.best_s
        text = f"{best * 1e3:.1f} ms" if best < 1.0 else f"{best:.2f} s"
        if len(run.times_s) < 3:
            text += f" (best of {len(run.times_s)})"
        return text
    return run.note or run.status


def _fmt_mem(run: EngineRun | None) -> str:
    if run is None or not run.peak_bytes:
        return "–"
    return f"{run.peak_bytes / MiB:,.0f} MiB"


def _ratio(ours: EngineRun | None, peer: EngineRun | None) -> float:
    if ours is None or peer is None or not ours.times_s or not peer.times_s:
        return math.nan
    return peer.best_s / ours.best_s


def _fmt_ratio(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:,.1f}×"


def markdown_table(
    sizes: list[int],
    runs: dict[tuple[str, int], EngineRun],
    agreements: dict[tuple[str, int], Agreement],
) -> str:
    head = (
        "| N | pairs: deconflict / BlueSky numpy / C++ | deconflict | BlueSky numpy | "
        "BlueSky C++ | speed-up vs numpy | vs C++ | agreement vs numpy | vs C++ | "
        "peak memory: deconflict / numpy / C++ |\n"
        "|---:|---|---:|---:|---:|---:|---:|---|---|---|"
    )
    rows = [head]
    for n in sizes:
        ours = runs.get(("deconflict", n))
        bn = runs.get(("bluesky-numpy", n))
        bc = runs.get(("bluesky-c", n))
        counts = " / ".join(
            f"{r.pairs:,}" if r is not None and r.pairs >= 0 else "–" for r in (ours, bn, bc)
        )
        agree = [agreements.get((e, n)) for e in ("bluesky-numpy", "bluesky-c")]
        mems = " / ".join(_fmt_mem(r) for r in (ours, bn, bc))
        rows.append(
            f"| {n:,} | {counts} | {_fmt_time(ours)} | {_fmt_time(bn)} | {_fmt_time(bc)} | "
            f"{_fmt_ratio(_ratio(ours, bn))} | {_fmt_ratio(_ratio(ours, bc))} | "
            f"{agree[0].cell() if agree[0] else '–'} | {agree[1].cell() if agree[1] else '–'} | "
            f"{mems} |"
        )
    return "\n".join(rows)


def targets(
    runs: dict[tuple[str, int], EngineRun], agreements: dict[tuple[str, int], Agreement]
) -> list[tuple[str, str, str]]:
    """(target, measured, met?) rows."""

    def best(engine: str, n: int) -> EngineRun | None:
        r = runs.get((engine, n))
        return r if r is not None and r.times_s else None

    out: list[tuple[str, str, str]] = []
    if agreements:
        wrong = sum(a.ours_wrong for a in agreements.values())
        band = sum(a.in_band for a in agreements.values())
        peer_wrong = sum(a.peer_wrong for a in agreements.values())
        out.append(
            (
                "pair sets agree up to the ±0.5 % band",
                f"deconflict wrong outside the band: {wrong}; in band: {band}; "
                f"peer wrong outside the band: {peer_wrong}",
                "yes" if wrong == 0 else "no",
            )
        )
    for engine, n, goal in (("bluesky-numpy", 5_000, 50.0), ("bluesky-c", 10_000, 20.0)):
        r = _ratio(best("deconflict", n), best(engine, n))
        if not math.isnan(r):
            out.append(
                (f"≥ {goal:.0f}× {LABEL[engine]} at N = {n:,}", f"{r:,.1f}×", _yes(r >= goal))
            )
    b = best("deconflict", 100_000)
    if b:
        out.append(("N = 100k in < 1 s", f"{b.best_s:.2f} s", _yes(b.best_s < 1.0)))
    return out


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


# --------------------------------------------------------------------------- constant density


def density_side_km(n: int) -> float:
    """Side of the square holding n tracks at the density of 10k in 600 km × 600 km."""
    base_n, base_side_km = DENSITY_BASE
    return base_side_km * math.sqrt(n / base_n)


def density_series(
    sizes: list[int], args: argparse.Namespace, work: Path
) -> list[tuple[int, float, EngineRun]]:
    """deconflict alone at constant density: (N, side km, run) per N, each in its own
    process, best of at least 5."""
    out = []
    for n in sizes:
        side = density_side_km(n)
        inputs = work / f"density-{n}.npz"
        np.savez(inputs, **make_traffic(n, args.seed, side * 1e3))
        run = run_engine(
            "deconflict",
            Path(sys.executable),
            inputs,
            work,
            n,
            timeout_s=args.timeout,
            mem_cap_bytes=0,
            repeats=max(args.repeats, 5),
            repeat_budget_s=args.repeat_budget,
        )
        times = ", ".join(f"{t:.3f}" for t in run.times_s)
        print(
            f"density N={n:>9,}  side {side:,.0f} km  {run.status:<8} pairs={run.pairs:>10,}  "
            f"best={_fmt_time(run):>10}  peak={_fmt_mem(run):>10}  runs=[{times}]",
            flush=True,
        )
        out.append((n, side, run))
    return out


def density_markdown(series: list[tuple[int, float, EngineRun]]) -> str:
    rows = [
        "| N | square side | conflicting pairs | deconflict, wall (best) | × the previous N | "
        "per track | CPU time, all threads (best) | peak memory |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    prev: EngineRun | None = None
    for n, side, run in series:
        grow = "–"
        if prev is not None and prev.times_s and run.times_s:
            grow = f"{run.best_s / prev.best_s:.2f}× (N × {n / prev.n:g})"
        per = f"{run.best_s / n * 1e6:.2f} µs" if run.times_s else "–"
        cpu = f"{min(run.cpu_s):.2f} s" if run.cpu_s else "–"
        rows.append(
            f"| {n:,} | {side:,.0f} km | {run.pairs:,} | {_fmt_time(run)} | {grow} | {per} | "
            f"{cpu} | {_fmt_mem(run)} |"
        )
        prev = run
    return "\n".join(rows)


def density_targets(series: list[tuple[int, float, EngineRun]]) -> list[tuple[str, str, str]]:
    """(target, measured, met?) rows for the constant-density series."""
    best = {n: run for n, _, run in series if run.times_s}
    out: list[tuple[str, str, str]] = []
    for a, b in ((10_000, 100_000), (100_000, 1_000_000)):
        if a in best and b in best:
            g = best[b].best_s / best[a].best_s
            out.append(
                (f"constant density: growth {a // 1000}k → {b // 1000}k ≤ 11×", f"{g:.1f}×",
                 _yes(g <= 11.0))
            )  # fmt: skip
    if 1_000_000 in best:
        t = best[1_000_000].best_s
        out.append(("constant density: N = 1M in < 3 s", f"{t:.2f} s", _yes(t < 3.0)))
    return out


# --------------------------------------------------------------------------- ADS-B sweep


def adsb_sweep(path: Path, step_s: float = 60.0) -> dict[str, float | int | str]:
    """Detect every ``step_s`` of recorded time over a recorded history file."""
    from deconflict.detect.separation import detect
    from deconflict.trackio import read_history

    t0 = time.perf_counter()
    history = read_history(path)
    read_s = time.perf_counter() - t0
    first, last = history.span
    checks = np.arange(first, last + 1e-9, step_s)
    # Warm up once (a compiled backend loads its kernels on first use), untimed.
    detect(history.at(float(checks[len(checks) // 2]), max_age_s=60.0))
    detect_s = snapshot_s = 0.0
    worst_s = 0.0
    pair_checks = 0
    unique: set[tuple[str, str]] = set()
    sizes: list[int] = []
    for t in checks:
        s0 = time.perf_counter()
        tracks = history.at(float(t), max_age_s=60.0)
        s1 = time.perf_counter()
        pairs = detect(tracks, lookahead=LOOKAHEAD_S, h_sep=H_SEP_M, v_sep=V_SEP_M)
        s2 = time.perf_counter()
        snapshot_s += s1 - s0
        detect_s += s2 - s1
        worst_s = max(worst_s, s2 - s1)
        sizes.append(len(tracks))
        pair_checks += len(pairs)
        unique.update(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True))
    hours = (last - first) / 3600.0
    return {
        "file": str(path),
        "rows": int(history.id.size),
        "aircraft": int(np.unique(history.id).size),
        "hours": hours,
        "read_s": read_s,
        "checks": int(checks.size),
        "tracks_mean": float(np.mean(sizes)) if sizes else 0.0,
        "tracks_max": int(max(sizes)) if sizes else 0,
        "detect_s": detect_s,
        "snapshot_s": snapshot_s,
        "detect_mean_ms": 1e3 * detect_s / max(checks.size, 1),
        "detect_max_ms": 1e3 * worst_s,
        "unique_pairs": len(unique),
        "unique_pairs_per_hour": len(unique) / hours if hours else math.nan,
        "pair_checks": pair_checks,
        "pair_checks_per_hour": pair_checks / hours if hours else math.nan,
    }


def adsb_markdown(r: dict[str, float | int | str]) -> str:
    return "\n".join(
        [
            "| recorded traffic | checks (every 60 s) | tracks per check (mean / max) | "
            "detect total | per check (mean / max) | conflicting pairs per hour: "
            "unique / pair-checks |",
            "|---|---:|---:|---:|---:|---:|",
            f"| {Path(str(r['file'])).name}: {r['rows']:,} rows, {r['aircraft']:,} aircraft, "
            f"{r['hours']:.1f} h | {r['checks']:,} | {r['tracks_mean']:.0f} / {r['tracks_max']} | "
            f"{r['detect_s']:.2f} s | {r['detect_mean_ms']:.2f} / {r['detect_max_ms']:.1f} ms | "
            f"{r['unique_pairs_per_hour']:.1f} / {r['pair_checks_per_hour']:.1f} |",
        ]
    )


# --------------------------------------------------------------------------- main


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", help="comma-separated N (default: 1k..100k)")
    ap.add_argument("--quick", action="store_true", help="tiny run: N = 500, 1,000")
    ap.add_argument(
        "--adsb-sweep",
        action="store_true",
        help="run the recorded-traffic sweep (alone, unless --sizes/--quick is given too); "
        "a run without options does both",
    )
    ap.add_argument("--no-adsb-sweep", action="store_true", help="skip the sweep in a full run")
    ap.add_argument(
        "--density",
        action="store_true",
        help="run deconflict alone at constant density, 10k .. 1M tracks (part of a full run)",
    )
    ap.add_argument("--density-sizes", help="comma-separated N for --density")
    ap.add_argument("--no-density", action="store_true", help="skip it in a full run")
    ap.add_argument(
        "--live",
        action="store_true",
        help="time incremental detection too (bench/live.py, which make bench runs itself)",
    )
    ap.add_argument("--adsb", type=Path, default=DEFAULT_ADSB, help="recorded history file")
    ap.add_argument("--no-bluesky", action="store_true", help="time deconflict alone")
    ap.add_argument("--bluesky-venv", type=Path, default=BLUESKY_VENV)
    ap.add_argument(
        "--timeout", type=float, default=600.0, help="seconds per (engine, N) process (600)"
    )
    ap.add_argument(
        "--bluesky-mem-gib",
        type=float,
        default=12.0,
        help="memory BlueSky numpy may add; larger N are skipped (12)",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--repeat-budget",
        type=float,
        default=60.0,
        help="stop repeating once an (engine, N) has used this many seconds (60)",
    )
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--side-km", type=float, default=600.0, help="side of the traffic square")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="results folder")
    return ap.parse_args(argv)


def _sizes(args: argparse.Namespace) -> list[int]:
    if args.quick:
        return list(QUICK_SIZES)
    if args.sizes:
        return [int(float(s)) for s in args.sizes.replace("k", "e3").split(",") if s.strip()]
    if args.adsb_sweep or args.density or args.live:
        return []
    return list(FULL_SIZES)


def _size_list(text: str | None, default: tuple[int, ...]) -> list[int]:
    if not text:
        return list(default)
    return [int(float(s)) for s in text.replace("k", "e3").replace("M", "e6").split(",") if s]


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    sizes = _sizes(args)
    full = not (args.quick or args.sizes or args.adsb_sweep or args.density or args.live)
    sweep = args.adsb_sweep or (full and not args.no_adsb_sweep)
    density = args.density or (full and not args.no_density)
    live = args.live  # `make bench` runs bench/live.py on its own
    try:
        interpreter = str(Path(sys.executable).relative_to(ROOT))
    except ValueError:
        interpreter = "python"
    given = sys.argv[1:] if argv is None else argv
    command = " ".join([interpreter, "bench/separation.py", *given])

    bluesky = BlueSkySetup(None)
    if sizes and not args.no_bluesky:
        bluesky = ensure_bluesky(args.bluesky_venv)
    info = machine_info(bluesky.python)
    print("# Separation benchmark: deconflict vs BlueSky state-based conflict detection")
    print()
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(
        f"- parameters: T = {LOOKAHEAD_S:.0f} s, Rh = {H_SEP_M:.0f} m, Rv = {V_SEP_M} m; "
        f"traffic {args.side_km:.0f} km square at 47°N 8°E, seed {args.seed}"
    )
    for note in bluesky.notes:
        print(f"- note: {note}")
    print(flush=True)

    runs: dict[tuple[str, int], EngineRun] = {}
    agreements: dict[tuple[str, int], Agreement] = {}
    ours_wrong: list[str] = []  # reproducers: deconflict contradicts the reference
    peer_wrong: list[str] = []
    seen: set[tuple[object, object]] = set()
    last_ok: dict[str, EngineRun] = {}
    budget = int(args.bluesky_mem_gib * GiB)
    with tempfile.TemporaryDirectory(prefix="bench-separation-") as tmp:
        work = Path(tmp)
        for n in sizes:
            data = make_traffic(n, args.seed, args.side_km * 1e3)
            inputs = work / f"traffic-{n}.npz"
            np.savez(inputs, **data)
            cache: dict[int, tuple] = {}
            for engine in ENGINES:
                if engine != "deconflict":
                    if args.no_bluesky:
                        continue
                    ok = bluesky.numpy_ok if engine == "bluesky-numpy" else bluesky.c_ok
                    if not ok or bluesky.python is None:
                        runs[(engine, n)] = EngineRun(engine, n, "unavailable", "unavailable")
                        continue
                python = Path(sys.executable) if engine == "deconflict" else bluesky.python
                assert python is not None
                prev = last_ok.get(engine)
                note = ""
                if engine == "bluesky-numpy":
                    coef = 170.0
                    if prev is not None:
                        coef = max((prev.peak_bytes - prev.base_bytes) / prev.n**2, 1.0)
                    need = coef * n * n
                    if need > budget:
                        note = (
                            f"skipped: would need ~{need / GiB:.0f} GiB "
                            f"(cap {args.bluesky_mem_gib:.0f} GiB)"
                        )
                if engine != "deconflict" and prev is not None and not note:
                    guess = prev.best_s * (n / prev.n) ** 2
                    if guess > args.timeout:
                        note = f"skipped: would take ~{guess:.0f} s (limit {args.timeout:.0f} s)"
                if note:
                    runs[(engine, n)] = EngineRun(engine, n, "skipped", note)
                    print(f"N={n:>7,}  {LABEL[engine]:<14} {note}", flush=True)
                    continue
                run = run_engine(
                    engine,
                    python,
                    inputs,
                    work,
                    n,
                    timeout_s=args.timeout,
                    mem_cap_bytes=budget if engine == "bluesky-numpy" else 0,
                    repeats=args.repeats,
                    repeat_budget_s=args.repeat_budget,
                )
                runs[(engine, n)] = run
                if run.status == "ok":
                    last_ok[engine] = run
                times = ", ".join(f"{t:.3f}" for t in run.times_s)
                print(
                    f"N={n:>7,}  {LABEL[engine]:<14} {run.status:<8} pairs={run.pairs:>9,}  "
                    f"best={_fmt_time(run):>22}  peak={_fmt_mem(run):>10}  runs=[{times}]"
                    + (f"  {run.note}" if run.note else ""),
                    flush=True,
                )
            ours = runs.get(("deconflict", n))
            for engine in ENGINES[1:]:
                peer = runs.get((engine, n))
                if ours is None or peer is None or ours.i is None or peer.i is None:
                    continue
                agreement = compare(data, ours, peer, cache)
                agreements[(engine, n)] = agreement
                print(
                    f"N={n:>7,}  agreement with {LABEL[engine]}: {agreement.common:,} common, "
                    f"{agreement.only_ours} only deconflict, {agreement.only_peer} only peer; "
                    f"{agreement.in_band} in ±0.5 % band; outside: deconflict wrong "
                    f"{agreement.ours_wrong}, peer wrong {agreement.peer_wrong}",
                    flush=True,
                )
                for ex in agreement.examples:
                    line = (
                        f"N={n}, vs {LABEL[engine]}: pair T{ex['i']:07d} / T{ex['j']:07d} "
                        f"reported by {ex['reported_by']}; reference: {ex['reference']} "
                        f"(min max(h/Rh, v/Rv) = {ex['min_ratio']} at t = {ex['at_s']} s); "
                        f"wrong: {ex['wrong']}\n"
                        f"    {_state_row(data, int(ex['i']))}\n"
                        f"    {_state_row(data, int(ex['j']))}"
                    )
                    if ex["wrong"] == "deconflict":
                        ours_wrong.append(line)
                    elif (ex["i"], ex["j"]) not in seen:
                        peer_wrong.append(line)
                    seen.add((ex["i"], ex["j"]))

    table = markdown_table(sizes, runs, agreements) if sizes else ""
    goals = targets(runs, agreements)
    series: list[tuple[int, float, EngineRun]] = []
    if density:
        print("\nconstant density (deconflict alone) ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-density-") as tmp:
            series = density_series(_size_list(args.density_sizes, DENSITY_SIZES), args, Path(tmp))
        goals += density_targets(series)
    live_rows: list[dict[str, float | int | str]] = []
    if live:
        import live as live_bench  # bench/live.py

        print("\nincremental detection (LivePairs) ...", flush=True)
        for n in LIVE_SIZES:
            r = live_bench.run_live(n, 250, 100, args.seed)
            print(
                f"live N={n:>7,}  M=250: {r['mean_us']:.1f} µs per changed track "
                f"(median {r['median_us']:.1f}); full pass {r['full_s']:.3f} s; "
                f"identical: {r['identical']}",
                flush=True,
            )
            live_rows.append(r)
            if n == 10_000:
                us = float(r["mean_us"])
                goals.append(
                    ("live, N = 10k, M = 250: ≤ 50 µs per changed track", f"{us:.1f} µs",
                     _yes(us <= 50.0 and r["identical"] == "yes"))
                )  # fmt: skip
    sweep_result = None
    if sweep:
        print(f"\nADS-B sweep over {args.adsb} ...", flush=True)
        if args.adsb.exists():
            sweep_result = adsb_sweep(args.adsb)
        else:
            print(f"  skipped: {args.adsb} not found", flush=True)

    md: list[str] = [f"Command: `{command}`", ""]
    md += [f"- {k}: {v}" for k, v in info.items()]
    if table:
        md += ["", table]
    if goals:
        md += ["", "| target | measured | met |", "|---|---|---|"]
        md += [f"| {t} | {m} | {ok} |" for t, m, ok in goals]
    if series:
        md += ["", "Constant density (the square grown with √N):", "", density_markdown(series)]
    if live_rows:
        import live as live_bench

        md += ["", "Incremental detection (`bench/live.py`):", "", live_bench.markdown(live_rows)]
    if sweep_result is not None:
        md += ["", adsb_markdown(sweep_result)]
    rows = "(state rows: id,party,lat,lon,alt_m,gs_mps,track_deg,vs_mps)"
    if ours_wrong:
        md += ["", f"deconflict outside the ±0.5 % band {rows}:", "", "```", *ours_wrong, "```"]
    if peer_wrong:
        md += ["", f"Examples where BlueSky is outside the band {rows}:", "", "```"]
        md += [*peer_wrong[:4], "```"]
    text = "\n".join(md)
    print("\n" + text)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "separation.md").write_text(text + "\n")
    results = {
        "command": command,
        "machine": info,
        "runs": [r.summary() for r in runs.values()],
        "agreements": {f"{e}@{n}": vars(a) for (e, n), a in agreements.items()},
        "targets": goals,
        "adsb_sweep": sweep_result,
        "density": [{"n": n, "side_km": side, **run.summary()} for n, side, run in series],
        "live": live_rows,
    }
    (args.out / "separation.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwritten: {args.out / 'separation.md'}, {args.out / 'separation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
