"""Log entries: JSON objects, hashed and kept as the exact UTF-8 bytes first written.

The log writes each entry as *canonical JSON*: keys sorted, no spaces
(``separators=(",", ":")``), non-ASCII characters as themselves (UTF-8), no NaN or
infinity. Canonical form only decides how a new entry is written; verification always
hashes the stored bytes and never re-serialises them.

Every entry has at least

``kind``
    what happened (``note``, ``alert``, ``ack``, ``key-rotation``, ...), a non-empty string;
``time``
    when the service recorded it, ISO 8601 UTC with milliseconds (``...T06:25:00.000Z``);
``party``
    who it comes from or concerns, a non-empty string.

The log adds two fields that tie the entry to its place: ``index`` (its position, from 0)
and ``prev_hash`` (hex leaf hash of the entry before it; 64 zeros for entry 0). With
them a verifier can name the first entry that was changed, dropped or moved, even in an
export that carries a single signed tree head. A log given a source of salts also adds
``salt`` (random bits, as text), so that an entry shown only by its hash cannot be
confirmed by hashing guesses of its contents.

>>> text = canonical_json({"party": "blue", "kind": "note", "time": "2026-01-01T00:00:00.000Z"})
>>> text
'{"kind":"note","party":"blue","time":"2026-01-01T00:00:00.000Z"}'
>>> parse_entry(text.encode())["party"]
'blue'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import numpy as np

from ..errors import InvalidInput
from ..timefmt import iso_ms

__all__ = [
    "NO_PREVIOUS",
    "REQUIRED_FIELDS",
    "SALT_FIELD",
    "FloatRecords",
    "canonical_json",
    "epoch_ms",
    "float_records",
    "format_time",
    "parse_entry",
]

NO_PREVIOUS = bytes(32)
"""``prev_hash`` of entry 0: 32 zero bytes."""

REQUIRED_FIELDS = ("kind", "time", "party")
"""Keys every entry has, each a non-empty string."""

SALT_FIELD = "salt"
"""Key of the random salt a salting log adds to every entry it writes."""


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


_ALIKE_LO, _ALIKE_HI = 1e-4, 1e16
"""Nonzero floats of magnitude in [1e-4, 1e16) are written alike by Python's json module
and msgspec (shortest round-trip digits, no exponent); outside it Python writes
``1e-05`` and ``1e+16`` where msgspec writes ``0.00001`` and ``1e16``."""

_INT_LIMIT = 2**63


class FloatRecords(list[dict[str, Any]]):
    """JSON objects whose values are printable strings and floats that msgspec writes as
    Python's json module does, made by :func:`float_records`: :func:`canonical_json`
    writes an entry holding them in C, with the same bytes."""


def float_records(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` as :class:`FloatRecords` when each is an object of printable string
    keys whose values are printable strings or floats that are 0 or of magnitude in
    [1e-4, 1e16); otherwise as a plain list, which the json module writes."""
    floats: list[float] = []
    for r in records:
        for k, v in r.items():
            if type(k) is not str or not k.isprintable():
                return list(records)
            if type(v) is float:
                floats.append(v)
            elif type(v) is not str or not v.isprintable():
                return list(records)
    x = np.abs(np.array(floats, dtype=np.float64))
    if np.all((x == 0.0) | ((x >= _ALIKE_LO) & (x < _ALIKE_HI))):
        return FloatRecords(records)
    return list(records)


def _written_alike(obj: Mapping[str, Any]) -> bool:
    """Whether msgspec writes ``obj`` as the json module does: its values printable
    strings, 64-bit integers, booleans, null, or :class:`FloatRecords`."""
    for k, v in obj.items():
        if not isinstance(k, str) or not k.isprintable():
            return False
        if isinstance(v, str):
            if not v.isprintable():
                return False
        elif isinstance(v, int):
            if not -_INT_LIMIT < v < _INT_LIMIT:
                return False
        elif v is not None and not isinstance(v, FloatRecords):
            return False
    return True


def canonical_json(obj: Mapping[str, Any]) -> str:
    """The canonical JSON text of ``obj`` (sorted keys, compact, UTF-8, no NaN).

    An entry of plain values and :class:`FloatRecords` (a batch of tracks) is written by
    msgspec in C, everything else by the json module: the same text either way."""
    if _written_alike(obj):
        out: bytes = msgspec.json.encode(obj, order="sorted")
        return out.decode("utf-8")
    try:
        return _ENCODER.encode(obj)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"entry is not representable as JSON: {exc}") from exc


def format_time(when: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z``.

    >>> format_time(datetime(2026, 11, 23, 6, 25, tzinfo=UTC))
    '2026-11-23T06:25:00.000Z'
    """
    if when.tzinfo is None:
        raise InvalidInput("entry time must carry a time zone")
    return iso_ms(when.timestamp())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(when: datetime) -> int:
    """Whole milliseconds since 1970-01-01 UTC (a tree head's ``timestamp``), exactly.

    >>> epoch_ms(datetime(2026, 11, 23, 6, 26, 30, 999_999, tzinfo=UTC))
    1795415190999
    """
    if when.tzinfo is None:
        raise InvalidInput("tree head time must carry a time zone")
    return (when - _EPOCH) // timedelta(milliseconds=1)


def parse_entry(leaf: bytes) -> dict[str, Any]:
    """Decode a leaf into its JSON object; check the required fields.

    Raises :class:`~deconflict.errors.InvalidInput` naming what is wrong.

    >>> parse_entry(b'{"kind":"note"}')
    Traceback (most recent call last):
    ...
    deconflict.errors.InvalidInput: entry has no string 'time'
    """
    try:
        obj = json.loads(leaf.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"entry is not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"entry is not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise InvalidInput("entry is not a JSON object")
    for key in REQUIRED_FIELDS:
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"entry has no string {key!r}")
    return obj
