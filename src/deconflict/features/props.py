"""One GeoJSON feature being read: typed access to its members and properties, each error
naming the source, the feature and the property; and the bounds on what a feature holds."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, NoReturn

from ..bounds import (
    DECLARATION_BOUNDS,
    MAX_ID_CHARS,
    MAX_LIST,
    MAX_NAME_CHARS,
    MAX_OTHER_PROPERTIES,
    MAX_TEXT_CHARS,
    MAX_TIME_CHARS,
    TIME_WINDOW,
    Range,
)
from ..errors import InvalidInput
from ..model import (
    Geometry,
    Rule,
    as_real,
    outside,
    shown,
)
from ..timefmt import parse_time

_B = DECLARATION_BOUNDS
_FEATURE_MEMBERS = frozenset({"type", "geometry", "properties", "id", "bbox"})
_GEOMETRY_MEMBERS = frozenset({"type", "coordinates", "bbox"})
_RULE_KEYS = frozenset({"party", "action", "lead_s"})
_CONSENT_KEYS = frozenset({"party", "time"})
_OWN = {
    "zone": frozenset(
        {"id", "name", "status", "parties", "consents", "owner", "rules", "radius_m", "side",
         "within", "alt_min_m", "alt_max_m", "valid_from", "valid_to"}
    ),
    "position": frozenset({"id", "party", "kind", "radius_m", "name", "valid_from", "valid_to"}),
    "strike": frozenset({"id", "party", "kind", "radius_m", "start", "end", "margin_m"}),
    "volume": frozenset(
        {"id", "party", "kind", "radius_m", "alt_min_m", "alt_max_m", "start", "end"}
    ),
    "movement": frozenset({"id", "party", "kind", "width_m", "start", "end", "name"}),
    "country": frozenset({"id", "name"}),
}  # fmt: skip
"""The properties of each kind of feature that the format reads; any other is bounded
as free text (:data:`~deconflict.bounds.MAX_OTHER_PROPERTIES`, ``MAX_TEXT_CHARS``)."""


class _Feature:
    """One feature being read: typed access to its properties, errors located."""

    def __init__(self, source: str, index: int, raw: Any) -> None:
        self.source = source
        self.index = index
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            self.fid = None
            self.fail(None, "not a GeoJSON Feature")
        props = raw.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            self.fid = None
            self.fail("properties", "must be an object")
        self.props: dict[str, Any] = props
        fid = props.get("id", raw.get("id"))
        self.fid = fid if isinstance(fid, str | int) else None
        self.raw_geometry = raw.get("geometry")
        self.others(raw, _FEATURE_MEMBERS, "the Feature")
        top = raw.get("id")
        if top is not None and not (
            (isinstance(top, str) and len(top) <= MAX_ID_CHARS)
            or (isinstance(top, int) and not isinstance(top, bool) and abs(top) < 2**63)
        ):
            self.fail(None, f"member 'id': a string of at most {MAX_ID_CHARS} characters or "
                      f"an integer, got {shown(top)}")  # fmt: skip
        self.bbox(raw, "bbox")

    @property
    def where(self) -> str:
        ident = f" (id {shown(str(self.fid), MAX_ID_CHARS + 2)})" if self.fid is not None else ""
        return f"{self.source}: feature {self.index}{ident}"

    def fail(self, prop: str | None, what: str) -> NoReturn:
        at = f": property {shown(prop, MAX_ID_CHARS + 2)}" if prop else ""
        raise InvalidInput(f"{self.where}{at}: {what}")

    def others(self, obj: dict[str, Any], own: frozenset[str], of: str | None = None) -> None:
        """Bound the keys of ``obj`` outside ``own`` (free text): how many, their names
        and their values. ``of`` names the object when it is not the properties."""
        extra = [k for k in obj if k not in own]
        what = "property" if of is None else f"member of {of}"
        if len(extra) > MAX_OTHER_PROPERTIES:
            self.fail(
                extra[MAX_OTHER_PROPERTIES] if of is None else None,
                f"{len(extra)} {what.replace('property', 'properties')} besides the "
                f"format's own; at most {MAX_OTHER_PROPERTIES}",
            )
        for key in extra:
            if len(key) > MAX_ID_CHARS:
                self.fail(None, f"a {what} name of {len(key)} characters; at most {MAX_ID_CHARS}")
            value = obj[key]
            size = len(value) if isinstance(value, str) else _json_size(value)
            label = "" if of is None else f"{what} {shown(key)}: "
            if size < 0:
                self.fail(key if of is None else None, f"{label}NaN or an infinity is not JSON")
            if size > MAX_TEXT_CHARS:
                how = "characters" if isinstance(value, str) else "characters of JSON"
                self.fail(
                    key if of is None else None, f"{label}{size} {how}; at most {MAX_TEXT_CHARS}"
                )

    def bbox(self, obj: dict[str, Any], key: str) -> None:
        """RFC 7946's ``bbox``, when given: 4 or 6 numbers."""
        value = obj.get(key)
        if value is None:
            return
        if not (
            isinstance(value, list) and len(value) in (4, 6) and all(_finite(v) for v in value)
        ):
            self.fail(None, f"member 'bbox': a list of 4 or 6 numbers, got {shown(value)}")

    def text(self, key: str, default: str | None = None, limit: int = MAX_ID_CHARS) -> str:
        value = self.props.get(key, default)
        if value is None:
            self.fail(key, "missing")
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, got {shown(value)}")
        if len(value) > limit:
            self.fail(key, f"{len(value)} characters; at most {limit}")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.props.get(key) is None else self.text(key)

    def name(self, default: str) -> str:
        name = self.props.get("name")
        if name is None:
            return default
        if not isinstance(name, str):
            self.fail("name", f"must be a string, got {shown(name)}")
        if len(name) > MAX_NAME_CHARS:
            self.fail("name", f"{len(name)} characters; at most {MAX_NAME_CHARS}")
        return name if name.strip() else default

    def number(
        self, key: str, default: float | None = None, *, bound: Range | None = None
    ) -> float:
        value = self.props.get(key)
        if value is None:
            if default is None:
                self.fail(key, "missing")
            return default
        return self.bounded(key, value, bound)

    def bounded(self, key: str, value: Any, bound: Range | None) -> float:
        """``value`` as a finite float within ``bound``; else fail naming ``key``."""
        x = as_real(value)
        if isinstance(x, str):
            self.fail(key, x if bound is None else f"{x}; must be in {bound}")
        if not math.isfinite(x):
            self.fail(key, f"must be finite, got {x!r}")
        why = None if bound is None else outside(x, bound)
        if why is not None:
            self.fail(key, why)
        return x + 0.0  # -0.0 is 0.0

    def optional_number(self, key: str, bound: Range | None = None) -> float | None:
        return None if self.props.get(key) is None else self.number(key, bound=bound)

    def time(self, key: str, default: float | None = None) -> float:
        value = self.props.get(key)
        if value is None:
            if default is None:
                self.fail(key, "missing")
            return default
        return self.time_of(key, value)

    def time_of(self, key: str, value: Any) -> float:
        """The POSIX seconds of the ISO 8601 ``value``, within the declarations' window."""
        if not isinstance(value, str):
            self.fail(key, f"must be an ISO 8601 time, got {shown(value)}")
        if len(value) > MAX_TIME_CHARS:
            self.fail(key, f"a time of {len(value)} characters; at most {MAX_TIME_CHARS}")
        try:
            t = parse_time(value)
        except (InvalidInput, OverflowError, OSError):
            self.fail(key, f"not an ISO 8601 time: {value!r}")
        if t not in _B["time_s"]:
            self.fail(key, f"{value} is outside {TIME_WINDOW}")
        return t

    def window(self, lo: str, hi: str, required: bool) -> tuple[float, float]:
        return (
            self.time(lo, None if required else -math.inf),
            self.time(hi, None if required else math.inf),
        )

    def band(self) -> tuple[float, float]:
        return (
            self.number("alt_min_m", -math.inf, bound=_B["alt_m"]),
            self.number("alt_max_m", math.inf, bound=_B["alt_m"]),
        )

    def names(self, key: str) -> tuple[str, ...]:
        """Party names (or ``{"party": NAME, "time": ISO8601}`` objects) of a list property."""
        value = self.props.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(key, f"must be a list of party names, got {shown(value)}")
        if len(value) > MAX_LIST:
            self.fail(key, f"{len(value)} entries; at most {MAX_LIST}")
        out: list[str] = []
        for item in value:
            name = item.get("party") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                self.fail(key, f"entries must be party names, got {shown(item)}")
            if len(name) > MAX_ID_CHARS:
                self.fail(key, f"a party name of {len(name)} characters; at most {MAX_ID_CHARS}")
            if isinstance(item, dict):
                stray = [k for k in item if k not in _CONSENT_KEYS]
                if stray:
                    self.fail(
                        key, f"a consent holds 'party' and 'time' only, not {shown(stray[0])}"
                    )
                if "time" in item:
                    self.time_of(key, item["time"])
            out.append(name)
        return tuple(out)

    def rules(self) -> tuple[Rule, ...]:
        raw = self.props.get("rules")
        if not isinstance(raw, list):
            self.fail("rules", "must be a non-empty list of {party, action, lead_s}")
        if len(raw) > MAX_LIST:
            self.fail("rules", f"{len(raw)} rules; at most {MAX_LIST}")
        out: list[Rule] = []
        for k, r in enumerate(raw):
            key = f"rules[{k}]"
            if not isinstance(r, dict):
                self.fail(key, f"must be an object, got {shown(r)}")
            stray = [name for name in r if name not in _RULE_KEYS]
            if stray:
                self.fail(key, f"a rule holds party, action and lead_s only, not {shown(stray[0])}")
            lead = self.bounded(f"{key}.lead_s", r.get("lead_s", 0), _B["lead_s"])
            party: Any = r.get("party")
            action: Any = r.get("action")
            out.append(Rule(party, action, lead))
        return tuple(out)

    def geometry(self, prop: str, raw: Any, allowed: Sequence[str]) -> Geometry:
        """The :class:`Geometry` of the GeoJSON geometry object ``raw``, of an allowed type."""
        if not isinstance(raw, dict) or raw.get("type") not in allowed:
            if prop == "geometry" and (not isinstance(raw, dict) or "type" not in raw):
                self.fail(prop, "missing or not a GeoJSON geometry")
            got = raw.get("type") if isinstance(raw, dict) else raw
            self.fail(prop, f"must be a {' or '.join(allowed)} geometry, got {shown(got)}")
        self.others(raw, _GEOMETRY_MEMBERS, repr(prop))
        self.bbox(raw, "bbox")
        try:
            return Geometry.from_geojson(raw)
        except InvalidInput as exc:
            self.fail(prop, str(exc))

    def point(self) -> tuple[float, float]:
        """(lat, lon) of a Point geometry."""
        lon, lat = self.geometry("geometry", self.raw_geometry, ["Point"]).coordinates
        return lat, lon


def _finite(value: Any) -> bool:
    x = as_real(value)
    return isinstance(x, float) and math.isfinite(x)


def _json_size(value: Any) -> int:
    """Characters of ``value`` written as JSON; -1 if it holds NaN or an infinity."""
    try:
        return len(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except ValueError:
        return -1
    except RecursionError:  # deeper than any bound: as good as too large
        return MAX_TEXT_CHARS + 1


def count_vertices(geometry: Any) -> int:
    """The vertices of a GeoJSON geometry object as written: every position of its lines,
    and of its rings all but the closing one (a Point is one vertex). What is not a
    geometry counts 0: the parser says what is wrong with it.

    >>> count_vertices({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
    3
    """
    if not isinstance(geometry, dict):
        return 0
    kind, c = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        return 1
    if not isinstance(c, list):
        return 0
    if kind == "LineString":
        return len(c)
    if kind == "MultiLineString":
        return sum(len(line) for line in c if isinstance(line, list))
    polygons = [c] if kind == "Polygon" else c if kind == "MultiPolygon" else []
    return sum(
        max(len(ring) - 1, 0)
        for rings in polygons
        if isinstance(rings, list)
        for ring in rings
        if isinstance(ring, list)
    )
