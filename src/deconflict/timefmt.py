"""ISO 8601 text <-> POSIX seconds, at the edges (files, command line, output)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from .errors import InvalidInput

__all__ = ["format_time", "iso_ms", "parse_time"]


def parse_time(text: str) -> float:
    """Seconds since the Unix epoch of an ISO 8601 time (UTC when no offset is given).

    >>> parse_time("1970-01-01T00:01:00Z")
    60.0
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidInput(f"not an ISO 8601 time: {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def format_time(t_s: float) -> str | None:
    """ISO 8601 UTC text (``Z``) of POSIX seconds; ``None`` for an open (infinite) bound.

    >>> format_time(1497945600.0), format_time(float("inf"))
    ('2017-06-20T08:00:00Z', None)
    """
    if not math.isfinite(t_s):
        return None
    return datetime.fromtimestamp(t_s, UTC).isoformat().replace("+00:00", "Z")


def iso_ms(t_s: float) -> str:
    """ISO 8601 UTC text of POSIX seconds to the millisecond, ending in ``Z`` (the form of
    every time the service writes: ledger entries, tracks it forwards, CoT events).

    Milliseconds are truncated, not rounded, so a time never moves into the next second.

    >>> iso_ms(0.25), iso_ms(1497945600.9996)
    ('1970-01-01T00:00:00.250Z', '2017-06-20T08:00:00.999Z')
    """
    stamp = datetime.fromtimestamp(t_s, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
