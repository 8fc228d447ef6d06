""":class:`Alert`: a predicted conflict between parties, and :func:`alert_key`, its stable
identity."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .checks import _Check
from .vocab import _REAL, ALERT_KINDS


@dataclass(frozen=True)
class Alert:
    """A predicted or present conflict, or a declaration to acknowledge.

    Attributes
    ----------
    kind : str
        One of :data:`ALERT_KINDS`.
    parties : tuple of str
        Every party the conflict involves, sorted, unique (given in any order).
    subjects : tuple of str
        Ids, in the kind's natural order: separation ``(a, b)`` with ``a < b``;
        zone-entry ``(track, zone)``; intent-overlap ``(a, b)`` sorted; strike-proximity
        ``(strike, position)``; border-crossing and non-conforming ``(track,)``.
    now_s : float
        POSIX seconds at which it was evaluated.
    t_s : float
        Seconds from ``now_s`` until it happens, >= 0 (0: already so).
    lat_deg, lon_deg : float
        Where it happens, degrees; lon in [-180, 180).
    details : mapping
        Kind-specific, unrounded, JSON-ready (str, float, int, bool, lists, None).
        Instants are POSIX seconds (``start_s``, ``end_s``); offsets from ``now_s`` and
        durations are seconds (``t_in_s``, ``tcpa_s``, ``lead_s``). Treat as read-only.
    geometry : mapping or None
        A GeoJSON geometry for a map (a Point, or a LineString for separation).

    The same conflict seen on the next evaluation has the same :attr:`key`.

    >>> a = Alert("separation", ("red", "blue"), ("a1", "b7"), now_s=0.0, t_s=12.5,
    ...           lat_deg=1.0, lon_deg=2.0, details={}, geometry=None)
    >>> a.parties, a.key
    (('blue', 'red'), 'separation|a1|b7')
    """

    kind: str
    parties: tuple[str, ...]
    subjects: tuple[str, ...]
    now_s: float
    t_s: float
    lat_deg: float
    lon_deg: float
    details: Mapping[str, Any] = field(default_factory=dict)
    geometry: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        parties = tuple(sorted(set(self.parties)))
        subjects = tuple(self.subjects)
        object.__setattr__(self, "parties", parties)
        object.__setattr__(self, "subjects", subjects)
        numbers = (self.now_s, self.t_s, self.lat_deg, self.lon_deg)
        ok = (
            self.kind in ALERT_KINDS
            and bool(parties)
            and bool(subjects)
            and all(isinstance(x, str) and x.strip() for x in parties + subjects)
            and all(isinstance(x, _REAL) and math.isfinite(x) for x in numbers)
            and self.t_s >= 0
            and abs(self.lat_deg) <= 90.0
            and -180.0 <= self.lon_deg < 180.0
        )
        if not ok:  # the checks again, one by one, to say what is wrong
            self._explain()

    def _explain(self) -> None:
        c = _Check(f"alert {self.kind!r} {self.subjects!r}")
        c.one_of("kind", self.kind, ALERT_KINDS)
        for prop, names in (("parties", self.parties), ("subjects", self.subjects)):
            if not names:
                c.fail(prop, f"must name at least one {'party' if prop == 'parties' else 'id'}")
            bad = [x for x in names if not isinstance(x, str) or not x.strip()]
            if bad:
                c.fail(prop, f"must be non-empty strings, got {bad[0]!r}")
        for prop in ("now_s", "t_s", "lat_deg", "lon_deg"):
            c.number(prop, getattr(self, prop))
        if self.t_s < 0:
            c.fail("t_s", f"must be >= 0, got {self.t_s!r}")
        if not abs(self.lat_deg) <= 90.0:
            c.fail("lat_deg", f"must be in [-90, 90], got {self.lat_deg!r}")
        c.fail("lon_deg", f"must be in [-180, 180), got {self.lon_deg!r}")

    @property
    def key(self) -> str:
        """Stable identity: ``kind|subject|subject...`` with the subjects sorted
        (:func:`alert_key`)."""
        return alert_key(self.kind, self.subjects)


def alert_key(
    kind: str,
    subjects: Iterable[str],
    *,
    version: str | None = None,
    parties: Iterable[str] = (),
) -> str:
    """The stable key of an alert: the same conflict seen again has the same key.

    ``kind|subject|subject...`` with the subjects sorted; then ``|version`` when the
    alert is about one version of something (a declaration's content), and
    ``#party,party...`` (sorted) when it is addressed to some parties only.

    >>> alert_key("separation", ["b7", "a1"])
    'separation|a1|b7'
    >>> alert_key("zone-entry", ["t1", "z"], parties=["red", "blue"])
    'zone-entry|t1|z#blue,red'
    >>> alert_key("declaration", ["blue/camp"], version="0a1b2c")
    'declaration|blue/camp|0a1b2c'
    """
    key = "|".join([kind, *sorted(subjects)])
    if version is not None:
        key += f"|{version}"
    named = sorted(parties)
    if named:
        key += "#" + ",".join(named)
    return key
