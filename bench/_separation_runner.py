"""Child process of ``bench/separation.py``: time one engine on one traffic sample.

Run by the benchmark, never imported by it: the deconflict engine runs under the project's
interpreter, the BlueSky engines under the interpreter of BlueSky's own virtual environment.
Each (engine, N) gets a fresh process so that its peak memory is its own.

    python _separation_runner.py ENGINE INPUT.npz OUTPUT.npz OUTPUT.json [options]

ENGINE is ``deconflict``, ``bluesky-numpy`` or ``bluesky-c``. INPUT.npz holds float64
arrays ``lat, lon, alt_m, gs_mps, track_deg, vs_mps`` (degrees, metres, m/s). OUTPUT.npz
receives the conflicting pairs as int64 index arrays ``i < j``; OUTPUT.json the timings
(seconds, one per repeat: wall clock, and CPU time of all the process's threads) and
memory (bytes).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np


def _status_bytes(field: str) -> int:
    """A ``kB`` field of /proc/self/status (VmHWM, VmRSS, VmSize) in bytes; 0 if absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    if field == "VmHWM":
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return 0


def _deconflict(
    data: dict[str, np.ndarray], lookahead: float, h_sep: float, v_sep: float
) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    from deconflict.detect.separation import detect
    from deconflict.model import Tracks

    n = data["lat_deg"].shape[0]
    tracks = Tracks(
        id=np.char.add("T", np.char.zfill(np.arange(n).astype(str), 7)),
        party=np.full(n, "p"),
        **data,
    )

    def run() -> tuple[np.ndarray, np.ndarray]:
        pairs = detect(tracks, lookahead=lookahead, h_sep=h_sep, v_sep=v_sep)
        return pairs.i, pairs.j

    # One untimed run first: the backend that "auto" picks for this N (a compiled one from
    # a few thousand tracks on) loads or compiles its kernels here, not in the timed runs.
    run()
    return run


def _bluesky(
    data: dict[str, np.ndarray], lookahead: float, h_sep: float, v_sep: float, compiled: bool
) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    # BlueSky prints its start-up chatter on stdout; keep it out of the benchmark's output.
    with contextlib.redirect_stdout(io.StringIO()):
        from bluesky.traffic.asas import statebased

    if compiled:
        from bluesky.traffic.asas import cstatebased

        detect = cstatebased.detect
    else:
        # The numpy detector does not use its instance; building one needs a running
        # simulation (bluesky.init), which would also switch geometry to compiled helpers.
        def detect(own, intr, rpz, hpz, dtlook):  # type: ignore[no-untyped-def]
            return statebased.StateBased.detect(None, own, intr, rpz, hpz, dtlook)

    n = data["lat_deg"].shape[0]
    # The traffic attributes BlueSky's detectors read (SI units, degrees for angles).
    traf = SimpleNamespace(
        ntraf=n,
        id=list(range(n)),
        lat_deg=data["lat_deg"],
        lon_deg=data["lon_deg"],
        alt=data["alt_m"],
        gs=data["gs_mps"],
        trk=data["track_deg"],
        vs=data["vs_mps"],
        gseast=data["gs_mps"] * np.sin(np.radians(data["track_deg"])),
        gsnorth=data["gs_mps"] * np.cos(np.radians(data["track_deg"])),
    )
    rpz = np.full(n, h_sep)
    hpz = np.full(n, v_sep)
    dtlook = np.full(n, lookahead)

    def run() -> tuple[np.ndarray, np.ndarray]:
        confpairs = detect(traf, traf, rpz, hpz, dtlook)[0]
        # (ownship, intruder) ordered pairs, each conflict twice: keep each once, i < j.
        p = np.asarray(confpairs, dtype=np.int64).reshape(-1, 2)
        lo, hi = p.min(axis=1), p.max(axis=1)
        key = np.unique(lo * n + hi)
        return key // n, key % n

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["deconflict", "bluesky-numpy", "bluesky-c"])
    ap.add_argument("input")
    ap.add_argument("pairs_out")
    ap.add_argument("json_out")
    ap.add_argument("--lookahead", type=float, default=300.0)
    ap.add_argument("--h-sep", type=float, default=9260.0)
    ap.add_argument("--v-sep", type=float, default=304.8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--repeat-budget", type=float, default=60.0)
    ap.add_argument("--mem-cap", type=int, default=0, help="bytes of address space, 0: none")
    args = ap.parse_args()

    with np.load(args.input) as f:
        data = {k: np.ascontiguousarray(f[k], dtype=np.float64) for k in f.files}
    if args.engine == "deconflict":
        run = _deconflict(data, args.lookahead, args.h_sep, args.v_sep)
    else:
        compiled = args.engine == "bluesky-c"
        run = _bluesky(data, args.lookahead, args.h_sep, args.v_sep, compiled)

    base_rss = _status_bytes("VmRSS")
    if args.mem_cap > 0:
        # Cap what the detection may add on top of the address space mapped so far.
        cap = _status_bytes("VmSize") + args.mem_cap
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    result: dict[str, object] = {"engine": args.engine, "n": int(data["lat_deg"].shape[0])}
    if args.engine == "deconflict":
        from deconflict.detect import separation

        result["backends"] = separation.available_backends()
    times: list[float] = []
    cpu: list[float] = []
    i = j = np.empty(0, dtype=np.int64)
    try:
        spent = 0.0
        while len(times) < args.repeats and (not times or spent < args.repeat_budget):
            t0, c0 = time.perf_counter(), time.process_time()
            i, j = run()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            spent += times[-1]
    except MemoryError:
        result["error"] = "memory"
    result["times_s"] = times
    result["cpu_s"] = cpu
    result["base_rss_bytes"] = base_rss
    result["peak_rss_bytes"] = _status_bytes("VmHWM")
    if times:
        np.savez(args.pairs_out, i=np.asarray(i, np.int64), j=np.asarray(j, np.int64))
    Path(args.json_out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
