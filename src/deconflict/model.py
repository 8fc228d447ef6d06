"""The domain records: what parties report and plan, and the alerts raised about it.

:class:`Tracks` is the structure-of-arrays form every detector takes: one row per asset,
SI units except lat/lon/track in degrees. The other records are small frozen dataclasses
holding geographic data **as given**: positions in degrees, GeoJSON geometries as
:class:`Geometry` (``[lon, lat]`` degrees, nested tuples), times as POSIX seconds
(``±inf`` where a window is open), altitudes and radii in metres. The projected geometry
the detectors work on is built from these by :mod:`deconflict.detect.areas`.

Every record validates on construction and raises
:class:`~deconflict.errors.InvalidInput` naming the record (its ``where`` when it has one,
e.g. the file and feature it was read from) and the property at fault, with the names of
the GeoJSON format (``docs/zones.md``). So a detector never sees NaN, an impossible
coordinate, a duplicate id or an unknown rule action. The records of declarations also
hold every number, text and list within the bounds of :mod:`deconflict.bounds` (a radius
within 2,500 km, a time between 1970 and 2100, an id of at most 64 characters, ...): an
integer no float holds is invalid input like any other number out of its range.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .bounds import (
    DECLARATION_BOUNDS,
    MAX_ID_CHARS,
    MAX_LIST,
    MAX_NAME_CHARS,
    MAX_PARTS,
    TIME_WINDOW,
    Range,
)
from .errors import InvalidInput
from .geo import dead_reckon

__all__ = [
    "ACTIONS",
    "ALERT_KINDS",
    "AREA_TYPES",
    "LANGUAGES",
    "POSITION_KINDS",
    "SIDES",
    "STATUSES",
    "TRACK_COLUMNS",
    "Alert",
    "Country",
    "Geometry",
    "Party",
    "Picture",
    "Position",
    "Rule",
    "Strike",
    "Tracks",
    "Volume",
    "Zone",
    "alert_key",
    "as_real",
    "outside",
    "shown",
]

TRACK_COLUMNS: tuple[str, ...] = (
    "id",
    "party",
    "lat",
    "lon",
    "alt_m",
    "gs_mps",
    "track_deg",
    "vs_mps",
)
"""The columns a states file must have (more are allowed and ignored)."""

ACTIONS = ("advisory", "notify", "forbid")
"""Rule actions, in increasing severity."""
STATUSES = ("claimed", "agreed")
"""Zone statuses: claimed by one party, or agreed by every party named."""
SIDES = ("left", "right", "west", "east", "north", "south")
"""Sides of a side-of-a-line zone."""
POSITION_KINDS = ("forces", "protected")
"""Kinds of declared position."""
LANGUAGES = ("en", "ru", "ar")
"""Languages a party may read its alerts in."""
ALERT_KINDS = (
    "separation",
    "zone-entry",
    "intent-overlap",
    "strike-proximity",
    "border-crossing",
    "non-conforming",
    "declaration",
)
"""Every kind of :class:`Alert`."""
AREA_TYPES = ("Polygon", "MultiPolygon")
"""GeoJSON geometry types that are areas by themselves."""

F64 = NDArray[np.float64]
_REAL = (int, float)

# -- tracks ---------------------------------------------------------------------------


def _float_column(name: str, values: ArrayLike, n: int) -> F64:
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"column {name!r}: not numeric ({exc})") from exc
    if arr.ndim != 1:
        raise InvalidInput(f"column {name!r}: expected a 1-d array, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise InvalidInput(f"column {name!r}: length {arr.shape[0]}, expected {n}")
    return arr


@dataclass(frozen=True, eq=False)
class Tracks:
    """The states of n tracks at one instant; immutable.

    Attributes
    ----------
    id, party : ndarray of str, shape (n,)
        Unique track ids, and the party reporting each.
    lat, lon : ndarray of float64, shape (n,)
        WGS84 degrees; lat in [-90, 90], lon in [-180, 180].
    alt_m : ndarray of float64, shape (n,)
        Altitude, metres.
    gs_mps : ndarray of float64, shape (n,)
        Ground speed, m/s, >= 0.
    track_deg : ndarray of float64, shape (n,)
        True track, degrees clockwise from north.
    vs_mps : ndarray of float64, shape (n,)
        Vertical speed, m/s, positive up.

    Every float must be finite; ids must be unique and non-empty. The columns are copies
    of what was given, and read-only: writing to the caller's arrays afterwards changes
    nothing here, and writing to these raises ``ValueError``.

    >>> t = Tracks(id=["a", "b"], party=["p", "q"], lat=[0, 0], lon=[0, 0.1],
    ...            alt_m=[3000, 3000], gs_mps=[100, 100], track_deg=[90, 270], vs_mps=[0, 0])
    >>> len(t), t.lat.flags.writeable
    (2, False)
    """

    id: NDArray[np.str_]
    party: NDArray[np.str_]
    lat: F64
    lon: F64
    alt_m: F64
    gs_mps: F64
    track_deg: F64
    vs_mps: F64
    row_labels: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    """Where each row came from (e.g. ``"line 7"``), for error messages; optional."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = TRACK_COLUMNS[2:]

    def __init__(
        self,
        *,
        id: ArrayLike,
        party: ArrayLike,
        lat: ArrayLike,
        lon: ArrayLike,
        alt_m: ArrayLike,
        gs_mps: ArrayLike,
        track_deg: ArrayLike,
        vs_mps: ArrayLike,
        row_labels: Sequence[str] | None = None,
    ) -> None:
        ids = np.array(id, dtype=np.str_, copy=True)
        if ids.ndim != 1:
            raise InvalidInput(f"column 'id': expected a 1-d array, got shape {ids.shape}")
        n = ids.shape[0]
        parties = np.array(party, dtype=np.str_, copy=True)
        if parties.shape != (n,):
            raise InvalidInput(f"column 'party': length {parties.size}, expected {n}")
        columns: dict[str, NDArray[Any]] = {"id": ids, "party": parties}
        floats = {
            "lat": lat,
            "lon": lon,
            "alt_m": alt_m,
            "gs_mps": gs_mps,
            "track_deg": track_deg,
            "vs_mps": vs_mps,
        }
        for name, values in floats.items():
            columns[name] = _float_column(name, values, n)
        for name, arr in columns.items():
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        labels = None if row_labels is None else tuple(row_labels)
        if labels is not None and len(labels) != n:
            raise InvalidInput(f"row_labels: length {len(labels)}, expected {n}")
        object.__setattr__(self, "row_labels", labels)
        self._validate()

    @classmethod
    def empty(cls) -> Tracks:
        """No tracks."""
        e = np.empty(0)
        return cls(id=[], party=[], lat=e, lon=e, alt_m=e, gs_mps=e, track_deg=e, vs_mps=e)

    def _where(self, i: int) -> str:
        if self.row_labels is not None:
            return self.row_labels[i]
        return f"row {i}"

    def _validate(self) -> None:
        for name in self.FLOAT_COLUMNS:
            arr = getattr(self, name)
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                i = int(bad[0])
                raise InvalidInput(f"{self._where(i)}, column {name!r}: {arr[i]} is not finite")
        checks = (
            ("lat", np.abs(self.lat) > 90.0, "latitude outside [-90, 90]"),
            ("lon", np.abs(self.lon) > 180.0, "longitude outside [-180, 180]"),
            ("gs_mps", self.gs_mps < 0.0, "negative ground speed"),
        )
        for name, mask, what in checks:
            bad = np.flatnonzero(mask)
            if bad.size:
                i = int(bad[0])
                value = getattr(self, name)[i]
                raise InvalidInput(f"{self._where(i)}, column {name!r}: {what} ({value})")
        empty = np.flatnonzero(np.char.str_len(self.id) == 0)
        if empty.size:
            raise InvalidInput(f"{self._where(int(empty[0]))}, column 'id': empty id")
        if self.id.size:
            order = np.argsort(self.id, kind="stable")
            sorted_ids = self.id[order]
            dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
            if dup.size:
                first, second = int(order[dup[0]]), int(order[dup[0] + 1])
                raise InvalidInput(
                    f"{self._where(max(first, second))}, column 'id': duplicate id "
                    f"{str(self.id[first])!r} (first at {self._where(min(first, second))})"
                )

    def __len__(self) -> int:
        return int(self.id.shape[0])

    def take(self, index: ArrayLike) -> Tracks:
        """The tracks at ``index`` (integer indices or a boolean mask), in that order."""
        idx = np.asarray(index)
        labels = None
        if self.row_labels is not None:
            positions = np.flatnonzero(idx) if idx.dtype == bool else idx
            labels = tuple(self.row_labels[int(i)] for i in positions)
        return Tracks(
            id=self.id[idx],
            party=self.party[idx],
            lat=self.lat[idx],
            lon=self.lon[idx],
            alt_m=self.alt_m[idx],
            gs_mps=self.gs_mps[idx],
            track_deg=self.track_deg[idx],
            vs_mps=self.vs_mps[idx],
            row_labels=labels,
        )

    def advanced(self, dt_s: ArrayLike) -> Tracks:
        """The tracks dead-reckoned ``dt_s`` seconds on (:func:`~deconflict.geo.dead_reckon`).

        ``dt_s`` is a float or an array of shape (n,) (one per track, seconds, may be
        negative). Each track flies its great circle at constant ground and vertical
        speed; its ``track_deg`` becomes the great circle's direction where it arrives,
        so ``t.advanced(a).advanced(b)`` is ``t.advanced(a + b)``.

        >>> t = Tracks(id=["a"], party=["p"], lat=[0.0], lon=[0.0], alt_m=[1000.0],
        ...            gs_mps=[100.0], track_deg=[90.0], vs_mps=[-5.0])
        >>> a = t.advanced(10.0)
        >>> round(float(a.lon[0]), 6), float(a.alt_m[0])
        (0.008993, 950.0)
        """
        dt = np.asarray(dt_s, dtype=np.float64)
        if dt.ndim > 1 or (dt.ndim == 1 and dt.shape[0] != len(self)):
            raise InvalidInput(f"dt_s: expected a number or shape ({len(self)},), got {dt.shape}")
        if not np.isfinite(dt).all():
            raise InvalidInput("dt_s: must be finite")
        lat, lon, alt, trk = dead_reckon(
            self.lat, self.lon, self.alt_m, self.gs_mps, self.track_deg, self.vs_mps, dt
        )
        return Tracks(
            id=self.id,
            party=self.party,
            lat=lat,
            lon=lon,
            alt_m=alt,
            gs_mps=self.gs_mps,
            track_deg=trk,
            vs_mps=self.vs_mps,
            row_labels=self.row_labels,
        )

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> Tracks:
        """Read a states file (CSV with a header, optionally gzip-compressed).

        Raises :class:`~deconflict.errors.InvalidInput` naming the file, line and column
        of the first bad value.
        """
        from .csvtable import read_table

        table = read_table(path, TRACK_COLUMNS[:2], cls.FLOAT_COLUMNS)
        return cls(
            id=table.text["id"],
            party=table.text["party"],
            row_labels=table.labels,
            **table.numbers,
        )


# -- validation helpers ---------------------------------------------------------------


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


def _where(where: str, kind: str, ident: object) -> _Check:
    return _Check(where or f"{kind} {ident!r}")


# -- geometry as given ----------------------------------------------------------------

_DEPTH = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


_B = DECLARATION_BOUNDS
_ALTITUDE = _B["alt_m"]
_TIMES = _B["time_s"]


def _coordinate(v: Any) -> float:
    x = v if isinstance(v, float) else as_real(v)
    if isinstance(x, str):
        raise InvalidInput(x)
    if not math.isfinite(x):
        raise InvalidInput(f"not a finite number: {x!r}")
    return x


def _position(raw: Any) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) not in (2, 3):
        raise InvalidInput(f"a position is [lon, lat], got {shown(raw)}")
    lon, lat = _coordinate(raw[0]), _coordinate(raw[1])
    if abs(lat) > 90:
        raise InvalidInput(f"latitude {raw[1]!r} outside [-90, 90]")
    if abs(lon) > 180:
        raise InvalidInput(f"longitude {raw[0]!r} outside [-180, 180]")
    if len(raw) == 3 and _coordinate(raw[2]) not in _ALTITUDE:
        raise InvalidInput(f"altitude {raw[2]!r} outside {_ALTITUDE}")
    return float(lon), float(lat)


def _freeze(raw: Any, depth: int) -> Any:
    """Nested tuples of (lon, lat) at ``depth`` (0 = one position), checked; at most
    :data:`~deconflict.bounds.MAX_PARTS` rings, polygons or lines in a list of them."""
    if depth == 0:
        return _position(raw)
    if not isinstance(raw, list | tuple):
        raise InvalidInput(f"expected a list, got {shown(raw)}")
    if depth >= 2 and len(raw) > MAX_PARTS:
        what = "polygons" if depth == 3 else "rings (or lines)"
        raise InvalidInput(f"{len(raw)} {what} in one list; at most {MAX_PARTS}")
    return tuple(_freeze(c, depth - 1) for c in raw)


@dataclass(frozen=True)
class Geometry:
    """A GeoJSON geometry object (RFC 7946) as given, immutable and hashable.

    ``type`` is ``Point``, ``LineString``, ``MultiLineString``, ``Polygon`` or
    ``MultiPolygon``; ``coordinates`` nest as in GeoJSON, each position a ``(lon, lat)``
    tuple of degrees (lists are accepted and frozen; a third, altitude, value is
    dropped). Checked: finite numbers, lat in [-90, 90], lon in [-180, 180], lines of at
    least 2 positions, closed rings of at least 4. Whether polygons are valid shapes is
    checked where they are projected (:mod:`deconflict.detect.areas`).

    >>> g = Geometry("Point", [38.62, 33.5])
    >>> g.coordinates, g.to_geojson()
    ((38.62, 33.5), {'type': 'Point', 'coordinates': [38.62, 33.5]})
    """

    type: str
    coordinates: Any

    def __post_init__(self) -> None:
        if self.type not in _DEPTH:
            raise InvalidInput(f"unsupported geometry type {self.type!r}")
        try:
            coords = _freeze(self.coordinates, _DEPTH[self.type])
        except InvalidInput as exc:
            raise InvalidInput(f"bad coordinates: {exc}") from None
        object.__setattr__(self, "coordinates", coords)
        if self.type == "LineString" and len(coords) < 2:
            raise InvalidInput("a LineString needs at least 2 positions")
        if self.type == "MultiLineString" and (not coords or any(len(p) < 2 for p in coords)):
            raise InvalidInput("each line needs at least 2 positions")
        if self.type in AREA_TYPES:
            polys = (coords,) if self.type == "Polygon" else coords
            if not polys:
                raise InvalidInput("no polygon")
            for rings in polys:
                if not rings:
                    raise InvalidInput("a polygon needs an exterior ring")
                for ring in rings:
                    if len(ring) < 4 or ring[0] != ring[-1]:
                        raise InvalidInput("rings need at least 4 positions, first equal to last")

    @classmethod
    def from_geojson(cls, obj: Any) -> Geometry:
        """The geometry of a parsed GeoJSON geometry object (a mapping)."""
        if not isinstance(obj, Mapping) or not isinstance(obj.get("type"), str):
            raise InvalidInput(f"not a GeoJSON geometry: {obj!r}")
        return cls(str(obj["type"]), obj.get("coordinates"))

    def to_geojson(self) -> dict[str, Any]:
        """The GeoJSON geometry object (lists, ready for ``json.dumps``)."""
        return {"type": self.type, "coordinates": _thaw(self.coordinates)}


def _thaw(coords: Any) -> Any:
    if isinstance(coords, tuple) and coords and isinstance(coords[0], float):
        return list(coords)
    return [_thaw(c) for c in coords]


def _area_shape(
    check: _Check,
    geometry: Geometry,
    radius_m: float | None,
    allowed: Sequence[str],
) -> None:
    """A Polygon, MultiPolygon or Point with a radius (the circle), or another allowed type."""
    if not isinstance(geometry, Geometry):
        check.fail("geometry", f"must be a Geometry, got {type(geometry).__name__}")
    if geometry.type not in allowed:
        check.fail("geometry", f"must be a {' or '.join(allowed)} geometry, got {geometry.type!r}")
    if geometry.type == "Point":
        if radius_m is None:
            check.fail("radius_m", "missing")
        check.number("radius_m", radius_m, bound=_B["radius_m"])
        if radius_m <= 0:
            check.fail("radius_m", "must be > 0 for a circle")
    elif radius_m is not None:
        check.fail("radius_m", f"only a Point has a radius, not a {geometry.type}")


# -- zones, positions, intents, countries ----------------------------------------------


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
    """An organisation connected to the service; ``language`` in :data:`LANGUAGES`."""

    name: str
    language: str = "en"

    def __post_init__(self) -> None:
        c = _where("", "party", self.name)
        c.text("name", self.name)
        c.one_of("language", self.language, LANGUAGES)


# -- alerts ---------------------------------------------------------------------------


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


# -- the picture ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Picture:
    """Everything known at one instant: tracks, zones, declarations, plans, countries.

    Ids are unique within each kind of record (two zones may not share an id; a zone
    and a position may).
    """

    tracks: Tracks = field(default_factory=Tracks.empty)
    zones: tuple[Zone, ...] = ()
    positions: tuple[Position, ...] = ()
    strikes: tuple[Strike, ...] = ()
    volumes: tuple[Volume, ...] = ()
    countries: tuple[Country, ...] = ()

    def __post_init__(self) -> None:
        groups: dict[str, Sequence[Zone | Position | Strike | Volume | Country]] = {
            "zones": self.zones,
            "positions": self.positions,
            "strikes": self.strikes,
            "volumes": self.volumes,
            "countries": self.countries,
        }
        for name, group in groups.items():
            object.__setattr__(self, name, tuple(group))
            seen: dict[str, str] = {}
            for item in group:
                if item.id in seen:
                    raise InvalidInput(
                        f"{item.where or name}: property 'id': duplicate id {item.id!r} "
                        f"(first at {seen[item.id] or 'an earlier one'})"
                    )
                seen[item.id] = item.where
