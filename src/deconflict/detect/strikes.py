"""Strike intents checked against other parties' declared positions and protected sites.

A strike is a circle (aim point, effects radius) over a time window; a position is a
circle (point, radius) over its validity. A pair is reported when

* the parties differ (a strike is never checked against its own party's declarations),
* the strike's window and the position's validity overlap (closed intervals) and the
  strike has not ended before ``now``,
* the gap between the two circles is less than the strike's margin:
  ``distance_m - strike_radius - position_radius < margin_m``.

``distance_m`` is the great-circle distance between the centres; ``gap_m`` is the distance
between the two circles' edges, ``max(0, distance_m - r_strike - r_position)`` (0 when
they overlap). Candidates come from an STRtree over lon/lat boxes; nothing is O(S x P).

Conventions (``now_s`` required, indices, no NaN, empty inputs): :mod:`deconflict.detect.inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..geo import haversine_m
from ..model import Position, Strike
from .arrays import F64, I64, Rows, Strs, columns
from .frames import cap_boxes, overlapping_owners
from .inputs import check_lengths, check_now, no_nan_in

__all__ = ["DEFAULT_MARGIN_M", "PositionSet", "Proximity", "StrikeSet", "strike_proximity"]

DEFAULT_MARGIN_M = 1000.0
"""Margin between a strike's effects circle and a position circle when the strike names
none (``margin_m``), metres."""


@dataclass(frozen=True)
class StrikeSet(Rows):
    """s strikes: ``id``, ``party`` (str), ``lat_deg``, ``lon_deg``, ``radius_m``,
    ``margin_m`` (metres), ``start_s``, ``end_s`` (POSIX s); each of shape (s,)."""

    id: Strs
    party: Strs
    lat_deg: F64
    lon_deg: F64
    radius_m: F64
    margin_m: F64
    start_s: F64
    end_s: F64

    def __post_init__(self) -> None:
        no_nan_in(
            "strike set", self, "lat_deg", "lon_deg", "radius_m", "margin_m", "start_s", "end_s"
        )
        check_lengths("strike set", radius_m=self.radius_m, margin_m=self.margin_m)

    @classmethod
    def from_strikes(cls, strikes: Sequence[Strike]) -> StrikeSet:
        """The arrays of strike records, in their order (margin defaults to
        :data:`DEFAULT_MARGIN_M`)."""
        margin = [DEFAULT_MARGIN_M if s.margin_m is None else s.margin_m for s in strikes]
        return cls(
            **columns(strikes, np.str_, "id", "party"),
            **columns(strikes, np.float64, "lat_deg", "lon_deg", "radius_m", "start_s", "end_s"),
            margin_m=np.array(margin, dtype=np.float64),
        )


@dataclass(frozen=True)
class PositionSet(Rows):
    """p positions: ``id``, ``party``, ``kind`` (str), ``lat_deg``, ``lon_deg``,
    ``radius_m``, ``valid_from_s``, ``valid_to_s`` (POSIX s, +-inf when open); shape (p,)."""

    id: Strs
    party: Strs
    kind: Strs
    lat_deg: F64
    lon_deg: F64
    radius_m: F64
    valid_from_s: F64
    valid_to_s: F64

    _FLOATS = ("lat_deg", "lon_deg", "radius_m", "valid_from_s", "valid_to_s")

    def __post_init__(self) -> None:
        no_nan_in("position set", self, *self._FLOATS)
        check_lengths("position set", radius_m=self.radius_m)

    @classmethod
    def from_positions(cls, positions: Sequence[Position]) -> PositionSet:
        """The arrays of position records, in their order."""
        return cls(
            **columns(positions, np.str_, "id", "party", "kind"),
            **columns(positions, np.float64, *cls._FLOATS),
        )


@dataclass(frozen=True)
class Proximity(Rows):
    """(strike, position) pairs, sorted by (strike, position).

    Attributes
    ----------
    strike, position : ndarray of int64, shape (k,)
        Indices into the strike set and the position set (the order of their records).
    distance_m : ndarray, shape (k,)
        Great-circle distance between the centres, metres.
    gap_m : ndarray, shape (k,)
        Distance between the circles' edges, metres (0 when they overlap).
    """

    strike: I64
    position: I64
    distance_m: F64
    gap_m: F64


def strike_proximity(strikes: StrikeSet, positions: PositionSet, *, now_s: float) -> Proximity:
    """Every strike coming within its margin of another party's position.

    ``now_s`` (POSIX seconds, required): strikes that ended before it are over. No
    strikes or no positions: no pairs. Neither set holds NaN (checked when built).

    >>> s = StrikeSet(id=np.array(["s"]), party=np.array(["blue"]), lat_deg=np.zeros(1),
    ...     lon_deg=np.zeros(1), radius_m=np.array([500.0]), margin_m=np.array([2000.0]),
    ...     start_s=np.zeros(1), end_s=np.ones(1))
    >>> p = PositionSet(id=np.array(["mine", "theirs"]), party=np.array(["blue", "red"]),
    ...     kind=np.array(["forces", "forces"]), lat_deg=np.zeros(2),
    ...     lon_deg=np.array([0.0, 0.02]), radius_m=np.array([300.0, 300.0]),
    ...     valid_from_s=np.full(2, -np.inf), valid_to_s=np.full(2, np.inf))
    >>> r = strike_proximity(s, p, now_s=0.0)
    >>> r.position.tolist(), r.distance_m.round().tolist(), r.gap_m.round().tolist()
    ([1], [2224.0], [1424.0])
    """
    now_s = check_now(now_s)
    sb, so = cap_boxes(strikes.lat_deg, strikes.lon_deg, strikes.radius_m + strikes.margin_m)
    pb, po = cap_boxes(positions.lat_deg, positions.lon_deg, positions.radius_m)
    si, pi = overlapping_owners(sb, so, pb, po)
    d = haversine_m(
        strikes.lat_deg[si], strikes.lon_deg[si], positions.lat_deg[pi], positions.lon_deg[pi]
    )
    edge = d - strikes.radius_m[si] - positions.radius_m[pi]
    keep = (
        (strikes.party[si] != positions.party[pi])
        & (strikes.end_s[si] >= now_s)
        & (strikes.start_s[si] <= positions.valid_to_s[pi])
        & (positions.valid_from_s[pi] <= strikes.end_s[si])
        & (edge < strikes.margin_m[si])
    )
    return Proximity(
        strike=si[keep],
        position=pi[keep],
        distance_m=d[keep],
        gap_m=np.maximum(edge[keep], 0.0),
    )
