"""Ledger benchmark: appends per second and proof times on a SQLite log of 1,000,000 entries.

    .venv/bin/python bench/ledger.py [--entries 1000000] [--batch 1000] [--seed 7]

Builds a fresh SQLite log in a temporary directory through the public API
(:class:`deconflict.ledger.Log` over :mod:`deconflict.store.sqlite`), then measures:

- batched appends: ``--batch`` entries per call (one transaction each), over the whole
  build;
- single appends: one entry per call (one transaction each);
- inclusion and consistency proofs at the full size: generating them from the store
  (``O(log n)`` stored hashes) and verifying them, for random leaves and old sizes;
- exporting the whole log, and verifying it end to end, as an export and as a store.

Every transaction commits durably (WAL with ``synchronous=FULL``: one fsync per
commit), which batched appends amortise.

Targets: at least 20,000 batched appends/s; proofs under 1 ms. Prints machine info and
every number next to its target.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from deconflict.ledger import (
    Log,
    Signer,
    verify_consistency,
    verify_export,
    verify_inclusion,
    verify_store,
)
from deconflict.store.sqlite import SQLiteDatabase

TARGET_BATCHED_PER_S = 20_000.0
TARGET_PROOF_MS = 1.0


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> str:
    return (
        f"cpu: {cpu_name()}; cores: {os.cpu_count()}; python {platform.python_version()} "
        f"({platform.python_implementation()}); sqlite {sqlite3.sqlite_version} "
        "(WAL, synchronous=FULL); "
        f"{platform.system()} {platform.release()}"
    )


def entry(i: int) -> dict[str, object]:
    return {
        "kind": "track-report",
        "party": ("blue", "red", "un-ocha")[i % 3],
        "text": f"batch item {i}: 3 aircraft, 1 convoy",
    }


def timed_ms(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def summary_ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(samples):.3f} ms, p99 {p99:.3f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=2000)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    clock_time = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

    print("deconflict ledger benchmark")
    print(machine_info())
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")

    with tempfile.TemporaryDirectory() as tmp:
        db = SQLiteDatabase(Path(tmp) / "ledger.db")
        log = Log(db.ledger, Signer.generate(), clock=lambda: clock_time)

        n = args.entries
        t0 = time.perf_counter()
        for start in range(0, n, args.batch):
            log.append([entry(i) for i in range(start, min(start + args.batch, n))])
        batched_s = time.perf_counter() - t0
        batched_rate = n / batched_s
        size_mb = (Path(tmp) / "ledger.db").stat().st_size / 1e6
        print(
            f"batched appends ({args.batch} per transaction): {n:,} in {batched_s:.1f} s = "
            f"{batched_rate:,.0f} /s (target >= {TARGET_BATCHED_PER_S:,.0f} /s: "
            f"{'met' if batched_rate >= TARGET_BATCHED_PER_S else 'NOT met'}); "
            f"database {size_mb:,.0f} MB"
        )

        t0 = time.perf_counter()
        for i in range(args.singles):
            log.append([entry(n + i)])
        single_s = time.perf_counter() - t0
        print(
            f"single appends (1 per transaction): {args.singles:,} in {single_s:.2f} s = "
            f"{args.singles / single_s:,.0f} /s"
        )

        size = log.size
        head = log.sign_head().verify()
        root = head.root_hash
        indexes = [rng.randrange(size) for _ in range(args.proofs)]
        olds = [rng.randrange(1, size) for _ in range(args.proofs)]
        leaf_hashes = dict(
            zip(indexes, db.ledger.read_nodes([(0, i) for i in indexes]), strict=True)
        )
        old_roots = {m: log.root(m) for m in olds}

        it = iter(indexes)
        gen_incl = timed_ms(lambda: log.inclusion_proof(next(it), size), args.proofs)
        proofs = [log.inclusion_proof(i, size) for i in indexes]
        pairs = iter(zip(indexes, proofs, strict=True))

        def check_inclusion() -> None:
            i, p = next(pairs)
            verify_inclusion(leaf_hashes[i], i, size, p, root)

        ver_incl = timed_ms(check_inclusion, args.proofs)

        it = iter(olds)
        gen_cons = timed_ms(lambda: log.consistency_proof(next(it), size), args.proofs)
        cproofs = [log.consistency_proof(m, size) for m in olds]
        cpairs = iter(zip(olds, cproofs, strict=True))

        def check_consistency() -> None:
            m, p = next(cpairs)
            verify_consistency(m, size, old_roots[m], root, p)

        ver_cons = timed_ms(check_consistency, args.proofs)

        t0 = time.perf_counter()
        lines = [line.encode("utf-8") for line in log.export_lines()]
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        verify_export(lines)
        verify_export_s = time.perf_counter() - t0
        del lines
        t0 = time.perf_counter()
        verify_store(db.ledger)
        verify_store_s = time.perf_counter() - t0
        db.close()

    def verdict(samples: list[float]) -> str:
        ok = statistics.median(samples) < TARGET_PROOF_MS
        return f"(target < {TARGET_PROOF_MS:g} ms: {'met' if ok else 'NOT met'})"

    print(f"at tree size {size:,}, {args.proofs} random proofs each:")
    print(f"  inclusion proof, from the store: {summary_ms(gen_incl)} {verdict(gen_incl)}")
    print(f"  inclusion proof, verify:         {summary_ms(ver_incl)} {verdict(ver_incl)}")
    print(f"  consistency proof, from store:   {summary_ms(gen_cons)} {verdict(gen_cons)}")
    print(f"  consistency proof, verify:       {summary_ms(ver_cons)} {verdict(ver_cons)}")
    print(
        f"whole log: export {export_s:.1f} s; verify the export {verify_export_s:.1f} s "
        f"({size / verify_export_s:,.0f} entries/s); verify the store {verify_store_s:.1f} s "
        f"({size / verify_store_s:,.0f} entries/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
