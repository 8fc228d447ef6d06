"""``deconflict detect``: separation conflicts in a states file or a recorded history."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from ..detect.separation import (
    DEFAULT_H_SEP_M,
    DEFAULT_LOOKAHEAD_S,
    DEFAULT_V_SEP_M,
    Conflicts,
    available_backends,
    detect,
)
from ..errors import InvalidInput
from ..model import Tracks
from ..trackio import parse_time, read_history, read_states
from ._flags import add_number

OUTPUT_KEYS = ("a", "b", "t_in", "t_out", "tcpa", "dcpa_m")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "detect",
        help="list every pair of tracks in separation conflict",
        description=(
            "Every pair of tracks that, flying straight at constant velocity, comes closer "
            "than --h-sep horizontally and --v-sep vertically at the same time within "
            "--lookahead. Prints one JSON object per pair (a < b), sorted by (a, b). "
            "With --at, STATES is a recorded history (many rows per aircraft, a time "
            "column) and each aircraft's latest state at or before that time is used."
        ),
    )
    p.add_argument("states", metavar="STATES.csv", help="states file (.csv or .csv.gz)")
    add_number(p, "--lookahead", DEFAULT_LOOKAHEAD_S, "seconds to look ahead")
    add_number(p, "--h-sep", DEFAULT_H_SEP_M, "horizontal separation, metres", metavar="M")
    add_number(p, "--v-sep", DEFAULT_V_SEP_M, "vertical separation, metres", metavar="M")
    p.add_argument(
        "--between-parties", action="store_true", help="only pairs of tracks from different parties"
    )
    p.add_argument(
        "--backend",
        default="auto",
        metavar="NAME",
        help=f"auto (default) or {', '.join(available_backends())}; gpu where one is registered",
    )
    p.add_argument(
        "--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)"
    )
    p.add_argument(
        "--at", metavar="TIME", help="history mode: check the picture at this ISO 8601 time"
    )
    add_number(p, "--max-age", 60.0, "history mode: ignore states older than this")
    p.add_argument("--summary", action="store_true", help="print a one-line summary on stderr")
    p.set_defaults(func=run)


def load(args: argparse.Namespace) -> Tracks:
    """The tracks to check: the states file, or the history's picture at ``--at``."""
    if args.at is None:
        return read_states(args.states)
    try:
        at = parse_time(args.at)
    except InvalidInput as exc:
        raise InvalidInput(f"--at: {exc}") from None
    history = read_history(args.states)
    if history.skipped:
        print(
            f"deconflict detect: {args.states}: skipped {history.skipped} row(s) "
            "with missing fields",
            file=sys.stderr,
        )
    return history.at(at, max_age_s=args.max_age)


def _decimals(values: NDArray[np.float64]) -> list[float]:
    """Values rounded to 3 decimals, never negative zero (``+ 0.0`` turns -0.0 into 0.0)."""
    rounded: list[float] = (np.round(values, 3) + 0.0).tolist()
    return rounded


def write(conflicts: Conflicts, fmt: str, out: TextIO) -> None:
    """Write pairs as JSON lines or CSV (times in s, distances in m, 3 decimals)."""
    rows = zip(
        conflicts.a.tolist(),
        conflicts.b.tolist(),
        _decimals(conflicts.t_in_s),
        _decimals(conflicts.t_out_s),
        _decimals(conflicts.tcpa_s),
        _decimals(conflicts.dcpa_m),
        strict=True,
    )
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(OUTPUT_KEYS)
        writer.writerows(rows)
        return
    for row in rows:
        out.write(json.dumps(dict(zip(OUTPUT_KEYS, row, strict=True))) + "\n")


def run(args: argparse.Namespace) -> int:
    if args.max_age < 0:
        raise InvalidInput(f"--max-age must be >= 0, got {args.max_age}")
    tracks = load(args)
    start = time.perf_counter()
    conflicts = detect(
        tracks,
        lookahead=args.lookahead,
        h_sep=args.h_sep,
        v_sep=args.v_sep,
        between_parties=args.between_parties,
        backend=args.backend,
    )
    elapsed = time.perf_counter() - start
    write(conflicts, args.format, sys.stdout)
    if args.summary:
        parties = np.unique(tracks.party).size
        across = int(np.count_nonzero(tracks.party[conflicts.i] != tracks.party[conflicts.j]))
        print(
            f"{len(conflicts)} conflict(s), {across} between parties, among {len(tracks)} "
            f"track(s) of {parties} part{'y' if parties == 1 else 'ies'}; lookahead "
            f"{args.lookahead:g} s, separation {args.h_sep:g} m / {args.v_sep:g} m; "
            f"detected in {elapsed * 1000:.1f} ms",
            file=sys.stderr,
        )
    return 0
