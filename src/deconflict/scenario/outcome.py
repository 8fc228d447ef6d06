"""A replay's outcome: every alert with who was told, who answered and when, its lead
time and a verdict; the channel's history; the final signed tree head.

Verdicts, per alert:

* ``in-time``: every party that must answer gave a final answer (``roger``, ``wilco``,
  ``unable``) by the deadline, and the alert came at least the warning threshold ahead
  of the predicted conflict (the scenario's ``warn_threshold_s``, else the kind's
  deadline; alerts without a time to come, ``declaration``, ``non-conforming`` and the
  kinds a request raises (``stop-request``), are judged on the answers alone);
* ``late``: all answered, but the alert came too close to the conflict or an answer
  came after the deadline;
* ``never``: a party that must answer never did: its channel was suspended, or it
  did not answer.

The ``why`` names the officer who gave each answer. A stop request also counts the
weapon releases of its subject made after it was raised (``releases_after``).
"""

from __future__ import annotations

import json
from typing import Any

from ..kinds import FINAL_RESPONSES, KINDS
from ..service.alertshape import alert_from_json, public_details
from ..service.clock import iso
from ..trackio import parse_time
from .player import NO_OFFICER
from .recorder import AlertTrace
from .replay import ReplayResult

__all__ = ["alert_outcomes", "outcome", "outcome_json"]

_NO_LEAD = (
    "declaration",
    "non-conforming",
    *(k.name for k in KINDS.values() if k.raised_by != "detection"),
)
"""Kinds with no conflict ahead to warn of: judged on their answers alone."""


def _by(answers: dict[str, Any], must: list[str]) -> str:
    named = [f"{p} by {answers[p]['officer']}" for p in must if answers[p].get("officer")]
    return f" ({', '.join(named)})" if named else ""


def _verdict(
    kind: str,
    must: list[str],
    answers: dict[str, Any],
    trace: AlertTrace,
    lead_s: float,
    deadline: float | None,
    threshold_s: float,
) -> tuple[str, str]:
    missing = [
        p for p in must if answers.get(p) is None or answers[p]["response"] not in FINAL_RESPONSES
    ]
    if missing:
        why = [
            f"{p}: channel suspended" if p in trace.suspended else f"{p}: no answer"
            for p in missing
        ]
        return "never", "; ".join(why)
    late: list[str] = []
    if kind not in _NO_LEAD and lead_s < threshold_s:
        late.append(f"raised {lead_s:.0f} s before the conflict (under {threshold_s:.0f} s)")
    for p in must:
        if deadline is not None and parse_time(answers[p]["at"]) > deadline + 1e-6:
            late.append(f"{p} answered after the deadline")
    if late:
        return "late", "; ".join(late)
    by = _by(answers, must)
    if kind in _NO_LEAD:
        return "in-time", f"every party answered by the deadline{by}"
    return "in-time", f"raised {lead_s:.0f} s ahead; every party answered by the deadline{by}"


def alert_outcomes(result: ReplayResult) -> list[dict[str, Any]]:
    """Every alert of the replay, in the order raised (see the module docstring)."""
    traces = sorted(
        result.recorder.alerts.values(),
        key=lambda tr: (
            tr.first["raised_at"],
            tr.first["kind"],
            tr.first["subjects"],
            tr.first["id"],
        ),
    )
    out = []
    for trace in traces:
        # the first view says what was raised, the last how it ended (read back as alerts)
        first, last = alert_from_json(trace.first), alert_from_json(trace.last)
        raised = first.raised_at
        lead = trace.predicted_at - raised
        must = list(first.awaiting)
        answers: dict[str, Any] = {}
        for p in first.parties:
            ack = last.acks.get(p)
            answers[p] = (
                None
                if ack is None
                else {
                    "response": ack["response"],
                    "at": ack["at"],
                    "after_s": round(parse_time(ack["at"]) - raised, 3),
                    "officer": ack.get("officer"),
                }
            )
        threshold = result.scenario.warn_threshold_s(
            first.kind, float(result.config.deadlines_s.get(first.kind, 600.0))
        )
        verdict, why = _verdict(first.kind, must, answers, trace, lead, first.deadline, threshold)
        absent = sorted({w["party"] for w in result.withheld if w["alert"] == first.id
                         and w["why"] == NO_OFFICER})  # fmt: skip
        if verdict == "never" and absent:
            why += f" ({', '.join(absent)}: {NO_OFFICER})"
        extra: dict[str, Any] = {}
        if first.kind == "stop-request":
            extra["releases_after"] = sum(
                1
                for r in result.releases
                if r["made"] and (r["strike"],) == first.subjects and r["at"] >= raised
            )
            why += f"; {extra['releases_after']} releases made after the request"
        out.append(
            {
                "id": first.id,
                "kind": first.kind,
                "parties": list(first.parties),
                "subjects": list(first.subjects),
                "raised_at": iso(first.raised_at),
                "predicted_at": iso(trace.predicted_at),
                "lead_s": round(lead, 3),
                "deadline": iso(first.deadline),
                "must_answer": must,
                "told": {p: iso(t) for p, t in sorted(trace.told.items())},
                "answers": answers,
                "state": last.state,
                "closed_at": iso(last.closed_at),
                "escalated": trace.escalated,
                "overdue": sorted(trace.overdue),
                "suspended": sorted(trace.suspended),
                "shown_unanswered": {
                    p: sorted(v) for p, v in sorted(trace.shown_unanswered.items())
                },
                "verdict": verdict,
                "why": why,
                "lat": first.lat_deg,
                "lon": first.lon_deg,
                "details": public_details(first.details),
                **extra,
            }
        )
    return out


def outcome(result: ReplayResult) -> dict[str, Any]:
    """The replay as one JSON-ready object (what ``deconflict replay --json`` prints)."""
    sc = result.scenario
    head = json.loads(result.head.sth)
    return {
        "scenario": {
            "name": sc.name,
            "start": iso(sc.start_s),
            "end": iso(sc.end_s),
            "step_s": sc.step_s,
            "parties": [name for name, _ in sc.parties],
        },
        "alerts": alert_outcomes(result),
        "withheld": [{**w, "at": iso(w["at"])} for w in result.withheld],
        "releases": [{**r, "at": iso(r["at"])} for r in result.releases],
        "channel": result.channel,
        "messages": result.messages,
        "log": head,
        **result.head.to_dict(),
    }


def outcome_json(result: ReplayResult) -> str:
    """:func:`outcome` as one line of JSON, keys sorted (the same file gives the same bytes)."""
    return json.dumps(outcome(result), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
