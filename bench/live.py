"""Incremental separation detection (``deconflict.detect.live.LivePairs``): time per changed
track, and the full pass, on the separation benchmark's traffic.

A standing picture of N tracks (each state valid at its own time, up to 5 s old) takes
batches of M changed tracks, one batch per simulated second: each changed track reports
its state dead-reckoned to now with its track turned by up to ±3°. A batch is
``upsert`` then ``conflicts_of`` those M tracks (what the live service does on each
round); its time divided by M is the cost per changed track. The last batch is checked
against a full ``detect`` over the picture at the same time (identical pairs required).

    .venv/bin/python bench/live.py                          # N = 10k and 100k, M = 250
    .venv/bin/python bench/live.py --sizes 10000 --batches 50
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from deconflict.detect.live import LivePairs
from deconflict.geo import dead_reckon
from deconflict.model import Tracks
from separation import SEED, machine_info, make_traffic

PARTIES = ("blue", "red", "green", "grey")


def run_live(
    n: int, changed: int, batches: int, seed: int = SEED, side_m: float = 600e3
) -> dict[str, float | int | str]:
    """Time ``batches`` batches of ``changed`` tracks over a picture of ``n`` tracks."""
    data = make_traffic(n, seed, side_m)
    rng = np.random.default_rng([seed, n, changed])
    ids = np.char.add("T", np.char.zfill(np.arange(n).astype(str), 7))
    party = rng.choice(PARTIES, n)
    t0 = 1.7e9
    reported = t0 - rng.uniform(0.0, 5.0, n)
    start = time.perf_counter()
    live = LivePairs()  # loads the compiled code (once per process)
    warm_s = time.perf_counter() - start
    picture = Tracks(id=ids, party=party, **data)
    start = time.perf_counter()
    live.upsert(picture, reported)
    load_s = time.perf_counter() - start
    now = t0
    live.conflicts_of(ids[:changed], now_s=now)  # the first query builds the grid
    per_track: list[float] = []
    pairs = 0
    pick = np.empty(0, dtype=np.int64)
    for _ in range(batches):
        now += 1.0
        pick = rng.choice(n, changed, replace=False)
        lat, lon, alt, trk = dead_reckon(
            data["lat_deg"][pick], data["lon_deg"][pick], data["alt_m"][pick], data["gs_mps"][pick],
            data["track_deg"][pick], data["vs_mps"][pick], now - t0,
        )  # fmt: skip
        batch = Tracks(
            id=ids[pick],
            party=party[pick],
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            gs_mps=data["gs_mps"][pick],
            track_deg=np.mod(trk + rng.uniform(-3.0, 3.0, changed), 360.0),
            vs_mps=data["vs_mps"][pick],
        )
        start = time.perf_counter()
        live.upsert(batch, np.full(changed, now))
        found = live.conflicts_of(batch.id, now_s=now)
        per_track.append((time.perf_counter() - start) / changed)
        pairs += len(found)
    full_s = []
    for _ in range(3):
        start = time.perf_counter()
        full = live.all_conflicts(now_s=now)
        full_s.append(time.perf_counter() - start)
    # The last batch against the full pass, restricted to its tracks.
    wanted = set(ids[pick].tolist())
    want = [
        (a, b)
        for a, b in zip(full.a.tolist(), full.b.tolist(), strict=True)
        if a in wanted or b in wanted
    ]
    got = list(zip(found.a.tolist(), found.b.tolist(), strict=True))
    us = 1e6 * np.asarray(per_track)
    return {
        "n": n,
        "changed": changed,
        "batches": batches,
        "warm_s": warm_s,
        "load_s": load_s,
        "mean_us": float(us.mean()),
        "median_us": float(np.median(us)),
        "p90_us": float(np.percentile(us, 90)),
        "best_us": float(us.min()),
        "pairs_per_batch": pairs / batches,
        "full_s": min(full_s),
        "full_pairs": len(full),
        "identical": "yes" if got == want else "NO",
    }


def markdown(rows: list[dict[str, float | int | str]]) -> str:
    head = (
        "| N | M | per changed track: mean / median / p90 | pairs per batch | "
        "full pass (`all_conflicts`) | pairs in the picture | last batch = full pass |\n"
        "|---:|---:|---|---:|---:|---:|---|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {int(r['n']):,} | {int(r['changed'])} | {float(r['mean_us']):.1f} / "
            f"{float(r['median_us']):.1f} / {float(r['p90_us']):.1f} µs | "
            f"{float(r['pairs_per_batch']):,.0f} | {float(r['full_s']) * 1e3:,.0f} ms | "
            f"{int(r['full_pairs']):,} | {r['identical']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated N")
    ap.add_argument("--changed", type=int, default=250, help="M, tracks per batch (250)")
    ap.add_argument("--batches", type=int, default=100, help="batches per N (100)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--side-km", type=float, default=600.0, help="side of the traffic square")
    args = ap.parse_args(argv)
    for k, v in machine_info(None).items():
        print(f"- {k}: {v}")
    rows = []
    for n in (int(float(s)) for s in args.sizes.split(",") if s.strip()):
        r = run_live(n, args.changed, args.batches, args.seed, args.side_km * 1e3)
        print(
            f"N={n:>7,}  M={args.changed}: {r['mean_us']:.1f} µs per changed track (median "
            f"{r['median_us']:.1f}, p90 {r['p90_us']:.1f}); full pass {r['full_s']:.3f} s; "
            f"identical to the full pass: {r['identical']}",
            flush=True,
        )
        rows.append(r)
    print()
    print(markdown(rows))
    return 0 if all(r["identical"] == "yes" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
