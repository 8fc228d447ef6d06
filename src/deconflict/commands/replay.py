"""``deconflict replay``: play a scenario through the service on a simulated clock."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replay",
        help="replay an incident scenario through the service",
        description=(
            "Play a scenario (YAML, see docs/scenarios.md) through the same ingest, "
            "detection, hotline and ledger path as the live service, on a simulated clock. "
            "Prints a summary of every alert; --json prints one JSON object instead "
            "(byte-identical for the same file); --report DIR writes an after-action "
            "report (index.html, map, export.jsonl for deconflict verify)."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", metavar="DIR", help="write the after-action report into DIR")
    p.add_argument(
        "--speed",
        type=float,
        metavar="X",
        help="pace the replay at real time × X (default: as fast as possible)",
    )
    p.set_defaults(func=run)


def _summary(outcome: dict[str, object]) -> list[str]:
    alerts = outcome["alerts"]
    assert isinstance(alerts, list)
    lines = []
    for a in alerts:
        answers = ", ".join(
            (f"{p} {v['response']} +{v['after_s']:g}s" if v else f"{p} -")
            + (f" by {v['officer']}" if v and v.get("officer") else "")
            for p, v in a["answers"].items()
        )
        after = a.get("releases_after")
        lines.append(
            f"{a['raised_at']}  {a['kind']:<16} {'/'.join(a['subjects'])}  "
            f"lead {a['lead_s']:.0f} s  [{answers}]  {a['verdict']}"
            + ("" if after is None else f"  ({after} release(s) after it)")
        )
    log = outcome["log"]
    assert isinstance(log, dict)
    lines.append(
        f"{len(alerts)} alert(s); log: {log['tree_size']} entries, root {log['root_hash']}"
    )
    return lines


def run(args: argparse.Namespace) -> int:
    from ..scenario.loader import load_scenario
    from ..scenario.outcome import outcome, outcome_json
    from ..scenario.replay import replay

    scenario = load_scenario(args.scenario)
    result = replay(scenario, speed=args.speed)
    if args.report:
        from ..scenario.report import write_report

        path = write_report(result, args.report)
        print(f"deconflict replay: report written to {path}", file=sys.stderr)
    if args.json:
        sys.stdout.write(outcome_json(result) + "\n")
    else:
        sys.stdout.write("\n".join(_summary(outcome(result))) + "\n")
    return 0
