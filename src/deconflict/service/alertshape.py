"""The alert's JSON, written and read in one place.

Every form an alert takes outside the process is built here: the record (what the
ledger's ``raised`` entry and the store keep, every field), the state entry (what a
later ledger entry says changed), the view a party reads (the record less the key, with
a summary in its language), and the row ``deconflict check`` prints for a core
:class:`~deconflict.model.Alert`. :func:`alert_from_json` reads a record or a view back
(a restart, a replay's report). Keys come from :func:`~deconflict.model.alert_key`.
Times are ISO 8601; numbers are rounded here, at output only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..model import Alert, alert_key
from ..timefmt import format_time, parse_time
from .clock import iso
from .hotline import LiveAlert
from .i18n import summary

__all__ = [
    "CHECK_FIELDS",
    "HIDDEN_DETAILS",
    "alert_from_json",
    "alert_json",
    "alert_key",
    "check_json",
    "conflict_json",
    "copy_of",
    "public_details",
    "rounded",
    "state_json",
    "view_json",
]

RECORD_T, RECORD_DEG = 3, 6
"""Decimals of ``t`` (seconds) and of ``lat``/``lon`` (degrees) in a record."""
CHECK_T, CHECK_DEG = 1, 5
"""The same in ``deconflict check``'s rows."""

CHECK_FIELDS: dict[str, tuple[tuple[str, str, int | None], ...]] = {
    "zone-entry": (
        ("zone", "zone", None),
        ("zone_name", "zone_name", None),
        ("status", "status", None),
        ("rule", "rule", None),
        ("alt_m", "alt_m", 1),
        ("lead_s", "lead_s", 1),
        ("lead_time_met", "lead_time_met", None),
    ),
    "intent-overlap": (
        ("start", "start_s", None),
        ("end", "end_s", None),
        ("alt_min_m", "alt_min_m", 1),
        ("alt_max_m", "alt_max_m", 1),
        ("area_m2", "area_m2", 0),
    ),
    "non-conforming": (("alt_m", "alt_m", 1),),
    "strike-proximity": (
        ("strike_party", "strike_party", None),
        ("position_party", "position_party", None),
        ("position_kind", "position_kind", None),
        ("distance_m", "distance_m", 0),
        ("gap_m", "gap_m", 0),
        ("radius_m", "radius_m", 0),
        ("position_radius_m", "position_radius_m", 0),
        ("margin_m", "margin_m", 0),
        ("start", "start_s", None),
        ("end", "end_s", None),
    ),
    "border-crossing": (
        ("from", "from", None),
        ("to", "to", None),
        ("countries", "countries", None),
        ("alt_m", "alt_m", 1),
    ),
}
"""Per kind, the keys of a ``check`` row after the common ones: (key, details key,
decimals). Details keys ending in ``_s`` without decimals are instants, printed as ISO
8601."""

HIDDEN_DETAILS = ("feature", "states", "tracks")
"""Details a replay's report leaves out: the declared feature, the subject tracks'
states and their qualified ids (the alert's own fields say what happened)."""


def rounded(x: float | None, digits: int) -> float | None:
    """``x`` rounded to ``digits`` decimals (``-0.0`` as ``0.0``); ``None`` if it is
    ``None`` or not finite.

    >>> rounded(1.23456, 2), rounded(-0.0001, 2), rounded(float("inf"), 2)
    (1.23, 0.0, None)
    """
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits) + 0.0


def conflict_json(
    kind: str,
    parties: Any,
    subjects: Any,
    t_s: float,
    lat: float,
    lon: float,
    *,
    t_digits: int = RECORD_T,
    deg_digits: int = RECORD_DEG,
) -> dict[str, Any]:
    """The keys every form of an alert starts with: ``kind``, ``parties``, ``subjects``,
    ``t`` (seconds until it happens), ``lat``, ``lon`` (degrees)."""
    return {
        "kind": kind,
        "parties": list(parties),
        "subjects": list(subjects),
        "t": rounded(t_s, t_digits),
        "lat": rounded(lat, deg_digits),
        "lon": rounded(lon, deg_digits),
    }


def alert_json(alert: LiveAlert) -> dict[str, Any]:
    """The record: every field of ``alert``, times ISO 8601 (the ledger's ``raised``
    entry and the store keep it; :func:`alert_from_json` reads it back)."""
    head = conflict_json(
        alert.kind, alert.parties, alert.subjects, alert.t_s, alert.lat_deg, alert.lon_deg
    )
    return {
        "id": alert.id,
        "key": alert.key,
        "kind": head["kind"],
        "parties": head["parties"],
        "subjects": head["subjects"],
        "awaiting": list(alert.awaiting),
        "state": alert.state,
        "t": head["t"],
        "raised_at": iso(alert.raised_at),
        "updated_at": iso(alert.updated_at),
        "lat": head["lat"],
        "lon": head["lon"],
        "deadline": iso(alert.deadline),
        "acks": dict(alert.acks),
        "escalated": alert.escalated,
        "overdue": list(alert.overdue),
        "suspended": list(alert.suspended),
        "closed_at": iso(alert.closed_at),
        "details": alert.details,
        "geometry": alert.geometry,
    }


def alert_from_json(rec: Mapping[str, Any]) -> LiveAlert:
    """A :class:`LiveAlert` from its record or a party's view of it (a view has no
    ``key``: the alert read back from one has the key ``""``)."""

    def t(key: str) -> float | None:
        v = rec.get(key)
        return None if v is None else parse_time(str(v))

    raised = t("raised_at")
    updated = t("updated_at")
    assert raised is not None and updated is not None
    return LiveAlert(
        id=str(rec["id"]),
        key=str(rec.get("key", "")),
        kind=str(rec["kind"]),
        parties=tuple(rec["parties"]),
        subjects=tuple(rec["subjects"]),
        awaiting=tuple(rec.get("awaiting", ())),
        raised_at=raised,
        updated_at=updated,
        t_s=float(rec["t"]),
        lat_deg=float(rec["lat"]),
        lon_deg=float(rec["lon"]),
        deadline=t("deadline"),
        details=dict(rec.get("details") or {}),
        geometry=rec.get("geometry"),
        state=str(rec["state"]),
        acks=dict(rec.get("acks") or {}),
        escalated=bool(rec.get("escalated")),
        overdue=list(rec.get("overdue") or []),
        suspended=list(rec.get("suspended") or []),
        closed_at=t("closed_at"),
    )


def copy_of(alert: LiveAlert) -> LiveAlert:
    """A copy of ``alert`` as its record holds it (rounded as stored): what a change is
    made on, so that the live alert stays as it was until the change is written."""
    return alert_from_json(alert_json(alert))


def state_json(alert: LiveAlert) -> dict[str, Any]:
    """What a ledger entry after the first says of ``alert``: its state, time, place,
    deadline and marks (the rest is in the ``raised`` entry)."""
    rec = alert_json(alert)
    return {
        k: rec[k] for k in ("id", "state", "t", "lat", "lon", "deadline", "overdue", "suspended")
    }


def view_json(alert: LiveAlert, language: str) -> dict[str, Any]:
    """The alert as a party reads it: the record less its key, with ``summary`` (one
    line in ``language``) and ``language``."""
    rec = alert_json(alert)
    rec.pop("key")
    return {**rec, "summary": summary(rec, language, alert.updated_at), "language": language}


def public_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` less :data:`HIDDEN_DETAILS`."""
    return {k: v for k, v in details.items() if k not in HIDDEN_DETAILS}


def check_json(alert: Alert) -> dict[str, Any]:
    """A core alert as ``deconflict check`` prints it: the common keys, then the kind's
    specifics (:data:`CHECK_FIELDS`; instants ISO 8601, numbers rounded)."""
    out = conflict_json(
        alert.kind,
        alert.parties,
        alert.subjects,
        alert.t_s,
        alert.lat_deg,
        alert.lon_deg,
        t_digits=CHECK_T,
        deg_digits=CHECK_DEG,
    )
    d = alert.details
    for key, source, digits in CHECK_FIELDS.get(alert.kind, ()):
        if source not in d:
            continue
        value = d[source]
        if digits is not None:
            value = rounded(value, digits)
        elif source.endswith("_s") and isinstance(value, float):
            value = format_time(value)
        out[key] = value
    return out
