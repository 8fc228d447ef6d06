"""What parties declare: zones and their rules, positions, strikes, volumes (intents);
and the countries and parties themselves."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..bounds import (
    MAX_ID_CHARS,
    MAX_LIST,
    MAX_NAME_CHARS,
)
from .checks import _where, shown
from .geometry import _ALTITUDE, _B, _TIMES, Geometry, _area_shape
from .vocab import ACTIONS, AREA_TYPES, LANGUAGES, POSITION_KINDS, SIDES, STATUSES


@dataclass(frozen=True)
class Rule:
    """What a party must do about a zone: ``action`` in :data:`ACTIONS`, ``lead_s`` s.

    ``party`` is a party name or ``"*"`` (every party without a rule of its own).
    Checked as part of its :class:`Zone`.
    """

    party: str
    action: str
    lead_s: float = 0.0


@dataclass(frozen=True)
class Zone:
    """Agreed or claimed airspace with rules per party.

    Attributes
    ----------
    id, name : str
    status : str
        ``claimed`` or ``agreed`` (:data:`STATUSES`); ``agreed`` needs every party in
        ``parties`` to be in ``consents``.
    parties, consents : tuple of str
        Who must consent; who has.
    rules : tuple of Rule
        At most one per party (``"*"`` included).
    geometry : Geometry
        A Polygon or MultiPolygon; a Point with ``radius_m`` (a circle, metres); or a
        LineString or MultiLineString with ``side`` (:data:`SIDES`) and ``within`` (a
        Polygon or MultiPolygon): the part of ``within`` on that side of the line.
    alt_min_m, alt_max_m : float
        Altitude band, metres, closed (``±inf`` when open).
    valid_from_s, valid_to_s : float
        Validity, POSIX seconds, closed (``±inf`` when open).
    where : str
        Where it was read from, for messages (not compared).
    """

    id: str
    name: str
    status: str
    parties: tuple[str, ...]
    consents: tuple[str, ...]
    rules: tuple[Rule, ...]
    geometry: Geometry
    radius_m: float | None = None
    side: str | None = None
    within: Geometry | None = None
    alt_min_m: float = -math.inf
    alt_max_m: float = math.inf
    valid_from_s: float = -math.inf
    valid_to_s: float = math.inf
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        c = _where(self.where, "zone", self.id)
        c.text("id", self.id, MAX_ID_CHARS)
        c.text("name", self.name, MAX_NAME_CHARS)
        c.one_of("status", self.status, STATUSES)
        object.__setattr__(self, "parties", tuple(self.parties))
        object.__setattr__(self, "consents", tuple(self.consents))
        object.__setattr__(self, "rules", tuple(self.rules))
        c.names("parties", self.parties, required=True)
        c.names("consents", self.consents, required=False)
        stray = [p for p in self.consents if p not in self.parties]
        if stray:
            c.fail("consents", f"{stray[0]!r} is not one of 'parties'")
        if self.status == "agreed":
            missing = [p for p in self.parties if p not in self.consents]
            if missing:
                c.fail("consents", f"status 'agreed' needs the consent of {', '.join(missing)}")
        if not self.rules:
            c.fail("rules", "must be a non-empty list of {party, action, lead_s}")
        if len(self.rules) > MAX_LIST:
            c.fail("rules", f"{len(self.rules)} rules; at most {MAX_LIST}")
        for k, r in enumerate(self.rules):
            key = f"rules[{k}]"
            if not isinstance(r, Rule):
                c.fail(key, f"must be a Rule, got {r!r}")
            if not isinstance(r.party, str) or not r.party.strip():
                c.fail(f"{key}.party", f"must be a party name or '*', got {shown(r.party)}")
            c.text(f"{key}.party", r.party, MAX_ID_CHARS)
            c.one_of(f"{key}.action", r.action, ACTIONS)
            c.number(f"{key}.lead_s", r.lead_s, bound=_B["lead_s"])
            if any(x.party == r.party for x in self.rules[:k]):
                c.fail(f"{key}.party", f"party {r.party!r} has two rules")
        lines = ("LineString", "MultiLineString")
        _area_shape(c, self.geometry, self.radius_m, (*AREA_TYPES, "Point", *lines))
        if self.geometry.type in lines:
            if self.side is None:
                c.fail("side", "missing")
            c.one_of("side", self.side, SIDES)
            if self.within is None:
                c.fail("within", "missing (the region a side-of-a-line zone is cut from)")
            if not isinstance(self.within, Geometry) or self.within.type not in AREA_TYPES:
                c.fail("within", "must be a Polygon or MultiPolygon geometry")
        elif self.side is not None or self.within is not None:
            c.fail("side", "only a side-of-a-line zone (a LineString) has a side and 'within'")
        c.interval("alt_min_m", "alt_max_m", self.alt_min_m, self.alt_max_m, True, _ALTITUDE)
        c.interval("valid_from", "valid_to", self.valid_from_s, self.valid_to_s, True, _TIMES)


@dataclass(frozen=True)
class Position:
    """A declared position of a party's forces or a protected site: a circle.

    ``kind`` is ``forces`` or ``protected``; ``lat_deg``, ``lon_deg`` its centre;
    ``radius_m`` >= 0; validity ``valid_from_s``..``valid_to_s`` POSIX seconds, closed
    (``±inf`` when open).
    """

    id: str
    party: str
    kind: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    name: str = ""
    valid_from_s: float = -math.inf
    valid_to_s: float = math.inf
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        c = _where(self.where, "position", self.id)
        c.text("id", self.id, MAX_ID_CHARS)
        c.text("party", self.party, MAX_ID_CHARS)
        c.one_of("kind", self.kind, POSITION_KINDS)
        c.lat_lon("geometry", self.lat_deg, self.lon_deg)
        c.number("radius_m", self.radius_m, bound=_B["radius_m"])
        if not isinstance(self.name, str):
            c.fail("name", f"must be a string, got {shown(self.name)}")
        if len(self.name) > MAX_NAME_CHARS:
            c.fail("name", f"{len(self.name)} characters; at most {MAX_NAME_CHARS}")
        c.interval("valid_from", "valid_to", self.valid_from_s, self.valid_to_s, True, _TIMES)


@dataclass(frozen=True)
class Strike:
    """A strike intent: aim point (degrees), effects radius (m), window (POSIX s).

    ``margin_m`` is the least gap wanted between the effects circle and another party's
    position circle; ``None`` means the detector's default.
    """

    id: str
    party: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    start_s: float
    end_s: float
    margin_m: float | None = None
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        c = _where(self.where, "strike", self.id)
        c.text("id", self.id, MAX_ID_CHARS)
        c.text("party", self.party, MAX_ID_CHARS)
        c.lat_lon("geometry", self.lat_deg, self.lon_deg)
        c.number("radius_m", self.radius_m, bound=_B["radius_m"])
        c.interval("start", "end", self.start_s, self.end_s, False, _TIMES)
        if self.margin_m is not None:
            c.number("margin_m", self.margin_m, bound=_B["margin_m"])


@dataclass(frozen=True)
class Volume:
    """A 4D volume intent: area x altitude band (m) x time window (POSIX s).

    The area is a Polygon or MultiPolygon ``geometry``, or a Point with ``radius_m``.
    Band and window are half-open for overlaps (touching volumes do not overlap).
    """

    id: str
    party: str
    geometry: Geometry
    start_s: float
    end_s: float
    radius_m: float | None = None
    alt_min_m: float = -math.inf
    alt_max_m: float = math.inf
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        c = _where(self.where, "volume", self.id)
        c.text("id", self.id, MAX_ID_CHARS)
        c.text("party", self.party, MAX_ID_CHARS)
        _area_shape(c, self.geometry, self.radius_m, (*AREA_TYPES, "Point"))
        c.interval("start", "end", self.start_s, self.end_s, False, _TIMES)
        c.interval("alt_min_m", "alt_max_m", self.alt_min_m, self.alt_max_m, True, _ALTITUDE)


@dataclass(frozen=True)
class Country:
    """A country for border crossings: a Polygon or MultiPolygon ``geometry``."""

    id: str
    name: str
    geometry: Geometry
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        c = _where(self.where, "country", self.id)
        c.text("id", self.id)
        c.text("name", self.name)
        _area_shape(c, self.geometry, None, AREA_TYPES)


@dataclass(frozen=True)
class Party:
    """An organisation connected to the service; ``language`` in :data:`LANGUAGES`;
    ``active`` false once its token is revoked."""

    name: str
    language: str = "en"
    active: bool = True

    def __post_init__(self) -> None:
        c = _where("", "party", self.name)
        c.text("name", self.name)
        c.one_of("language", self.language, LANGUAGES)
