"""Tracks as reported: one report's validation, and the held reports dead-reckoned to a
time.

A report is one party's batch of track objects (DESIGN's track object: ``id``, ``time``
and the CSV columns); :func:`parse_track_reports` takes it whole or refuses it naming
what was wrong. Inside the service a track is held under a qualified id ``party/id``
(:func:`qid`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import numpy as np

from ..bounds import TRACK_BOUNDS, Range
from ..errors import InvalidInput
from ..model.tracks import TrackReport
from ..timefmt import parse_time
from .trackbatch import TrackBatch

__all__ = ["TrackReport", "parse_track_reports", "qid", "tracks_at"]

_NUMBERS = ("lat", "lon", "alt_m", "gs_mps", "track_deg", "vs_mps")
assert set(_NUMBERS) == set(TRACK_BOUNDS)
_FIELDS = ("lat_deg", "lon_deg", "alt_m", "gs_mps", "track_deg", "vs_mps")
"""The :class:`TrackReport` fields of the track object's numbers (``lat`` is ``lat_deg``)."""


def qid(party: str, id: str) -> str:
    """The qualified id of ``party``'s track ``id`` (two parties may use the same id)."""
    return f"{party}/{id}"


def parse_track_reports(
    items: Any,
    party: str,
    *,
    now: float,
    max_future_s: float,
    max_age_s: float,
    max_batch: int,
) -> list[TrackReport]:
    """Validate a batch of track objects from ``party``; all or nothing.

    The batch holds 1 to ``max_batch`` tracks. Each needs ``id`` (1–64 characters),
    ``time`` (ISO 8601) and the numbers ``lat``, ``lon``, ``alt_m``, ``gs_mps``,
    ``track_deg``, ``vs_mps``, each within its bound of
    :data:`~deconflict.bounds.TRACK_BOUNDS` (JSON numbers: not booleans, not strings);
    ``party``, if given, must be the caller. A time more than ``max_future_s`` ahead of
    ``now`` or more than ``max_age_s`` behind it is refused (clock skew). The same id
    twice in a batch keeps the later report.
    """
    if isinstance(items, TrackBatch):
        fast = _from_batch(items, party, now, max_future_s, max_age_s, max_batch)
        if fast is not None:
            return fast
        items = items.to_json()  # a check failed: the ordinary path names it
    if not isinstance(items, list):
        raise InvalidInput("body: a JSON list of track objects")
    if not items:
        raise InvalidInput("body: an empty list of tracks; a report holds at least one track")
    if len(items) > max_batch:
        raise InvalidInput(f"body: {len(items)} tracks; at most {max_batch} per request")
    out: dict[str, TrackReport] = {}
    for i, item in enumerate(items):
        where = f"tracks[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where}: not an object")
        if "party" in item and item["party"] != party:
            raise InvalidInput(
                f"{where}.party: {item['party']!r} is not the caller ({party!r}); "
                "a party reports only its own tracks"
            )
        tid = item.get("id")
        if not isinstance(tid, str) or not 1 <= len(tid) <= 64 or not tid.isprintable():
            raise InvalidInput(f"{where}.id: a printable string of 1 to 64 characters")
        text = item.get("time")
        if not isinstance(text, str):
            raise InvalidInput(f"{where}.time: an ISO 8601 time string")
        try:
            t = parse_time(text)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}.time: {exc}") from exc
        if t > now + max_future_s:
            raise InvalidInput(
                f"{where}.time: {text} is {t - now:.1f} s ahead of the service clock "
                f"(at most {max_future_s:g} s allowed)"
            )
        if t < now - max_age_s:
            raise InvalidInput(
                f"{where}.time: {text} is {now - t:.1f} s old (tracks older than "
                f"{max_age_s:g} s are dropped)"
            )
        values = {
            field: _bounded(item.get(name), f"{where}.{name}", TRACK_BOUNDS[name])
            for name, field in zip(_NUMBERS, _FIELDS, strict=True)
        }
        report = TrackReport(tid, t, **values, time_text=text)
        prev = out.get(tid)
        if prev is None or report.time_s >= prev.time_s:
            out[tid] = report
    return list(out.values())


def _from_batch(
    batch: TrackBatch,
    party: str,
    now: float,
    max_future_s: float,
    max_age_s: float,
    max_batch: int,
) -> list[TrackReport] | None:
    """The reports of a batch the compiled validator took (types and bounds checked),
    after the checks it cannot make; ``None`` when one fails (the caller names it)."""
    if not 1 <= len(batch) <= max_batch:
        return None
    times: dict[str, float] = {}
    out: dict[str, TrackReport] = {}
    for item in batch:
        if (item.party is not msgspec.UNSET and item.party != party) or not item.id.isprintable():
            return None
        t = times.get(item.time)
        if t is None:
            try:
                t = times[item.time] = parse_time(item.time)
            except InvalidInput:
                return None
        if not now - max_age_s <= t <= now + max_future_s:
            return None
        report = TrackReport(
            item.id, t, item.lat_deg + 0.0, item.lon_deg + 0.0, item.alt_m + 0.0, item.gs_mps + 0.0,
            item.track_deg + 0.0, item.vs_mps + 0.0, time_text=item.time,
        )  # fmt: skip
        prev = out.get(item.id)
        if prev is None or t >= prev.time_s:
            out[item.id] = report
    return list(out.values())


def _bounded(value: Any, where: str, bound: Range) -> float:
    """``value`` as a float if it is a JSON number within ``bound``; else InvalidInput
    naming ``where`` and the bound (integers too large for a float included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise InvalidInput(f"{where}: a number in {bound}, got {shown}")
    try:
        x = float(value)
    except OverflowError:  # only an int can be too large for a float
        bits = value.bit_length() if isinstance(value, int) else 0
        raise InvalidInput(f"{where}: an integer of {bits} bits is outside {bound}") from None
    if not math.isfinite(x):
        raise InvalidInput(f"{where}: a finite number in {bound}, got {x}")
    if x not in bound:
        raise InvalidInput(f"{where}: {x} is outside {bound}")
    return x + 0.0  # -0.0 is kept as 0.0


def tracks_at(
    reports: Mapping[str, tuple[str, TrackReport]], now: float, qids: Iterable[str] | None = None
) -> Any:
    """The reported tracks ``qids`` (default: all) dead-reckoned to ``now``, sorted by id
    (a :class:`~deconflict.model.Tracks` over qualified ids)."""
    from ..geo import dead_reckon, wrap_lon
    from ..model import Tracks

    keys = sorted(reports) if qids is None else sorted(set(qids) & reports.keys())
    if not keys:
        return Tracks.empty()
    held = [reports[q] for q in keys]
    cols = np.array([r.row()[1:] for _, r in held], dtype=np.float64)
    lat, lon, alt, trk = dead_reckon(
        cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4], cols[:, 5], cols[:, 6],
        now - cols[:, 0],
    )  # fmt: skip
    return Tracks(
        id=keys,
        party=[p for p, _ in held],
        lat_deg=lat,
        lon_deg=wrap_lon(lon),
        alt_m=alt,
        gs_mps=cols[:, 4],
        track_deg=trk,
        vs_mps=cols[:, 6],
    )
