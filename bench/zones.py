"""Benchmark: zone-entry prediction for 10,000 tracks against 1,000 zones.

Seeded. Tracks and zones are spread over a 7 x 5 degree box (about Syria's size): half
the zones circles, half 8-vertex polygons (a quarter with a hole), radii 5-30 km,
altitude bands, validity windows and one to three rules among four parties. Prints the
machine, the sizes and the median of several runs of each stage::

    .venv/bin/python bench/zones.py [--tracks 10000] [--zones 1000] [--seed 7] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
import shapely

from deconflict.detect.borders import BorderSet, predict_crossings
from deconflict.detect.zones import ZoneSet, predict_entries
from deconflict.features import parse_borders, parse_features
from deconflict.model import Tracks

PARTIES = ["blue", "red", "green", "white"]
NOW_S = 1.5e9
"""The present of every run (these zones have no validity window)."""
LAT0, LAT1, LON0, LON1 = 32.0, 37.0, 35.0, 42.0


def make_zones(rng: np.random.Generator, m: int) -> dict:
    feats = []
    for k in range(m):
        lat = rng.uniform(LAT0, LAT1)
        lon = rng.uniform(LON0, LON1)
        r = rng.uniform(5e3, 30e3)
        props: dict = {
            "id": f"z{k}",
            "status": "claimed",
            "parties": [PARTIES[k % 4]],
            "rules": [
                {
                    "party": p,
                    "action": str(rng.choice(["forbid", "notify", "advisory"])),
                    "lead_s": float(rng.uniform(0, 600)),
                }
                for p in rng.choice([*PARTIES, "*"], size=rng.integers(1, 4), replace=False)
            ],
            "alt_min_m": float(rng.uniform(0, 3000)),
            "alt_max_m": float(rng.uniform(6000, 15000)),
        }
        if k % 2 == 0:
            geom = {"type": "Point", "coordinates": [lon, lat]}
            props["radius_m"] = r
        else:
            ang = (np.arange(8) + rng.uniform(-0.3, 0.3, 8)) * (2 * np.pi / 8)
            rad = r * rng.uniform(0.6, 1.0, 8) / 111e3
            ring = np.column_stack(
                [lon + rad * np.cos(ang) / np.cos(np.radians(lat)), lat + rad * np.sin(ang)]
            )
            rings = [[*ring.tolist(), ring[0].tolist()]]
            if k % 4 == 1:
                hole = np.column_stack(
                    [
                        lon + 0.3 * rad.min() * np.cos(ang) / np.cos(np.radians(lat)),
                        lat + 0.3 * rad.min() * np.sin(ang),
                    ]
                )[::-1]
                rings.append([*hole.tolist(), hole[0].tolist()])
            geom = {"type": "Polygon", "coordinates": rings}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def make_tracks(rng: np.random.Generator, n: int) -> Tracks:
    return Tracks(
        id=[f"t{i}" for i in range(n)],
        party=rng.choice(PARTIES, n),
        lat_deg=rng.uniform(LAT0, LAT1, n),
        lon_deg=rng.uniform(LON0, LON1, n),
        alt_m=rng.uniform(500, 12000, n),
        gs_mps=rng.uniform(50, 300, n),
        track_deg=rng.uniform(0, 360, n),
        vs_mps=rng.normal(0, 5, n),
    )


def timed(fn, repeat: int) -> tuple[float, object]:
    runs = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=10_000)
    ap.add_argument("--zones", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lookahead", type=float, default=300.0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    doc = make_zones(rng, args.zones)
    tracks = make_tracks(rng, args.tracks)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string})"
    )
    print(
        f"tracks {args.tracks}, zones {args.zones}, lookahead {args.lookahead:g} s, "
        f"seed {args.seed}"
    )
    t_parse, fs = timed(lambda: parse_features(json.loads(json.dumps(doc))), 1)
    t_build, zset = timed(lambda: ZoneSet.from_zones(fs.zones), args.repeat)
    t_pred, entries = timed(
        lambda: predict_entries(tracks, zset, now_s=NOW_S, lookahead_s=args.lookahead),
        args.repeat,
    )
    print(f"parse + validate GeoJSON ({args.zones} features): {t_parse * 1e3:.0f} ms")
    print(f"ZoneSet.from_zones: {t_build * 1e3:.1f} ms")
    print(
        f"predict_entries: {t_pred * 1e3:.0f} ms (median of {args.repeat}); "
        f"{len(entries)} entries; target < 1000 ms: {'met' if t_pred < 1 else 'NOT met'}"
    )
    with open(
        os.path.join(os.path.dirname(__file__), "..", "examples", "geo", "countries.geojson"),
        encoding="utf-8",
    ) as fh:
        borders = BorderSet.from_countries(parse_borders(json.load(fh)))
    t_b, cr = timed(
        lambda: predict_crossings(tracks, borders, lookahead_s=args.lookahead), args.repeat
    )
    print(f"predict_crossings ({len(borders)} countries): {t_b * 1e3:.0f} ms; {len(cr)} crossings")


if __name__ == "__main__":
    main()
