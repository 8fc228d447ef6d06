"""Validation helpers the records share: how a value is shown in a message, range and
number checks, and the check that names the record and property at fault."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import NoReturn, Protocol

from ..bounds import (
    DECLARATION_BOUNDS,
    MAX_ID_CHARS,
    MAX_LIST,
    TIME_WINDOW,
    Range,
)
from ..errors import InvalidInput


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to about ``limit`` characters: what a message echoes of a value
    (never a whole text, nor the digits of an integer no float holds)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def outside(x: float, bound: Range) -> str | None:
    """Why ``x`` is not within ``bound`` (a phrase for a message); None if it is."""
    if x < bound.lo:
        return f"must be >= {bound.lo:g} (within {bound}), got {x!r}"
    if x > bound.hi:
        return f"must be <= {bound.hi:g} (within {bound}), got {x!r}"
    return None


def as_real(value: object) -> float | str:
    """``value`` as a float if it is a number (not a bool) that a float holds (NaN and the
    infinities included); else why not, as a phrase for a message."""
    if isinstance(value, float):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a number, got {shown(value)}"
    try:
        return float(value)
    except OverflowError:  # an int past ~1.8e308: no float holds it
        return f"{shown(value)} is too large for a number"


class _Check:
    """Raises :class:`InvalidInput` as ``"<where>: property '<prop>': <what>"``."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, prop: str, what: str) -> NoReturn:
        raise InvalidInput(f"{self.where}: property {prop!r}: {what}")

    def text(self, prop: str, value: object, limit: int | None = None) -> None:
        """A non-empty string of at most ``limit`` characters."""
        if not isinstance(value, str) or not value.strip():
            self.fail(prop, f"must be a non-empty string, got {shown(value)}")
        if limit is not None and len(value) > limit:
            self.fail(prop, f"{len(value)} characters; at most {limit}")

    def one_of(self, prop: str, value: object, allowed: Sequence[str]) -> None:
        if not isinstance(value, str) or value not in allowed:
            self.fail(prop, f"must be one of {', '.join(allowed)}, got {shown(value)}")

    def real(self, prop: str, value: object) -> float:
        """``value`` as a float (NaN and infinities included), or fail naming ``prop``."""
        x = as_real(value)
        if isinstance(x, str):
            self.fail(prop, x)
        return x

    def number(
        self,
        prop: str,
        value: float,
        *,
        minimum: float | None = None,
        bound: Range | None = None,
    ) -> None:
        """A finite number, at least ``minimum`` and within ``bound`` when given."""
        x = self.real(prop, value)
        if not math.isfinite(x):
            self.fail(prop, f"must be finite, got {x!r}")
        if minimum is not None and x < minimum:
            self.fail(prop, f"must be >= {minimum:g}, got {x!r}")
        why = None if bound is None else outside(x, bound)
        if why is not None:
            self.fail(prop, why)

    def lat_lon(self, prop: str, lat: float, lon: float) -> None:
        self.number(prop, lat)
        self.number(prop, lon)
        if abs(lat) > 90.0:
            self.fail(prop, f"latitude {lat!r} outside [-90, 90]")
        if abs(lon) > 180.0:
            self.fail(prop, f"longitude {lon!r} outside [-180, 180]")

    def interval(
        self,
        lo_prop: str,
        hi_prop: str,
        lo: float,
        hi: float,
        open_: bool,
        bound: Range | None = None,
    ) -> None:
        """``lo <= hi``, neither NaN; infinite bounds only where ``open_``; finite ones
        within ``bound`` (the declaration times' window when its unit is ``s``)."""
        for prop, value in ((lo_prop, lo), (hi_prop, hi)):
            x = self.real(prop, value)
            if math.isnan(x):
                self.fail(prop, f"must be a number, got {x!r}")
            if not open_ and math.isinf(x):
                self.fail(prop, f"must be finite, got {x!r}")
            if bound is not None and math.isfinite(x) and x not in bound:
                if bound is DECLARATION_BOUNDS["time_s"]:
                    self.fail(prop, f"{x:g} s since 1970 is outside {TIME_WINDOW}")
                self.fail(prop, str(outside(x, bound)))
        if (math.isinf(lo) and lo > 0) or (math.isinf(hi) and hi < 0):
            self.fail(hi_prop, f"empty interval [{lo}, {hi}]")
        if hi < lo:
            self.fail(hi_prop, f"must not be less than {lo_prop!r} ({hi:g} < {lo:g})")

    def names(self, prop: str, values: Sequence[str], *, required: bool) -> None:
        if len(values) > MAX_LIST:
            self.fail(prop, f"{len(values)} entries; at most {MAX_LIST}")
        for name in values:
            self.text(prop, name, MAX_ID_CHARS)
        dup = [p for k, p in enumerate(values) if p in values[:k]]
        if dup:
            self.fail(prop, f"party {dup[0]!r} listed twice")
        if required and not values:
            self.fail(prop, "must name at least one party")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def where(self) -> str: ...


def check_unique_ids(items: Iterable[_Identified], name: str = "", earlier: str = "") -> None:
    """Raise :class:`InvalidInput` at the second of two ``items`` sharing an id, naming
    where both were (``name`` and ``earlier`` stand in for a ``where`` that is empty)."""
    seen: dict[str, str] = {}
    for item in items:
        if item.id in seen:
            raise InvalidInput(
                f"{item.where or name}: property 'id': duplicate id {item.id!r} "
                f"(first at {seen[item.id] or earlier})"
            )
        seen[item.id] = item.where


def _where(where: str, kind: str, ident: object) -> _Check:
    return _Check(where or f"{kind} {ident!r}")
