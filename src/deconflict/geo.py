"""Geodesy on the sphere of the design (docs/design.md), vectorised.

Everything inside deconflict is SI: metres, seconds, metres per second. Latitude,
longitude and track angles are degrees only at the edges; these functions convert them.

The horizontal model is a sphere of radius :data:`EARTH_RADIUS_M`. A track's position is
a unit vector ``u`` (earth-centred, earth-fixed axes); its horizontal velocity is a vector
in the tangent plane at ``u``. Working in these 3-vectors makes the antimeridian and the
poles ordinary places.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EARTH_RADIUS_M",
    "FT_M",
    "KT_MPS",
    "NM_M",
    "bearing_deg",
    "dead_reckon",
    "destination",
    "east_north_up",
    "haversine_m",
    "lat_lon",
    "unit_vectors",
    "velocity_vectors",
    "wrap_lon",
]

EARTH_RADIUS_M = 6_371_008.8
"""Mean earth radius (IUGG), metres: the sphere of every horizontal computation."""

NM_M = 1852.0
"""One international nautical mile in metres."""

FT_M = 0.3048
"""One international foot in metres."""

KT_MPS = NM_M / 3600.0
"""One knot in metres per second."""

F64 = NDArray[np.float64]


def unit_vectors(lat_deg: ArrayLike, lon_deg: ArrayLike) -> F64:
    """Earth-centred unit vectors of points given in degrees.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n,)
        Latitude and longitude in degrees.

    Returns
    -------
    ndarray, shape (n, 3)
        ``(x, y, z)`` with x towards (0°, 0°), z towards the north pole.

    >>> unit_vectors([0.0, 90.0], [90.0, 0.0]).round(12)
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    cl = np.cos(lat)
    return np.stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)], axis=-1)


def east_north_up(lat_deg: ArrayLike, lon_deg: ArrayLike) -> tuple[F64, F64, F64]:
    """Local east, north and up unit vectors, each of shape (n, 3).

    At the poles "east" follows the longitude given, so a track's heading there is
    measured from the meridian of that longitude.
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(lat)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return east, north, up


def velocity_vectors(
    lat_deg: ArrayLike, lon_deg: ArrayLike, gs_mps: ArrayLike, track_deg: ArrayLike
) -> F64:
    """Horizontal velocity as earth-centred vectors in the local tangent plane.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n,)
        Position in degrees.
    gs_mps : array_like, shape (n,)
        Ground speed, m/s.
    track_deg : array_like, shape (n,)
        True track, degrees clockwise from north.

    Returns
    -------
    ndarray, shape (n, 3)
        Velocity in m/s.

    >>> velocity_vectors([0.0], [0.0], [100.0], [90.0]).round(9) + 0.0
    array([[  0., 100.,   0.]])
    """
    east, north, _ = east_north_up(lat_deg, lon_deg)
    trk = np.radians(np.asarray(track_deg, dtype=np.float64))
    gs = np.asarray(gs_mps, dtype=np.float64)
    ve = (gs * np.sin(trk))[..., None]
    vn = (gs * np.cos(trk))[..., None]
    return ve * east + vn * north


def haversine_m(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> F64:
    """Great-circle distance in metres on the sphere, elementwise (broadcasting).

    >>> float(haversine_m(0.0, 0.0, 0.0, 1.0).round(1))
    111195.1
    """
    la1 = np.radians(np.asarray(lat1_deg, dtype=np.float64))
    la2 = np.radians(np.asarray(lat2_deg, dtype=np.float64))
    dla = la2 - la1
    dlo = np.radians(np.asarray(lon2_deg, dtype=np.float64) - np.asarray(lon1_deg))
    h = np.sin(dla / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin(dlo / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def bearing_deg(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> F64:
    """Initial great-circle bearing from point 1 to point 2, degrees in [0, 360).

    >>> float(bearing_deg(0.0, 0.0, 0.0, 1.0))
    90.0
    """
    la1 = np.radians(np.asarray(lat1_deg, dtype=np.float64))
    la2 = np.radians(np.asarray(lat2_deg, dtype=np.float64))
    dlo = np.radians(np.asarray(lon2_deg, dtype=np.float64) - np.asarray(lon1_deg))
    y = np.sin(dlo) * np.cos(la2)
    x = np.cos(la1) * np.sin(la2) - np.sin(la1) * np.cos(la2) * np.cos(dlo)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0)


def destination(
    lat_deg: ArrayLike, lon_deg: ArrayLike, bearing: ArrayLike, distance_m: ArrayLike
) -> tuple[F64, F64]:
    """Point reached along a great circle from a start, a bearing (degrees) and a distance.

    Returns ``(lat_deg, lon_deg)`` with longitude in [-180, 180).

    >>> lat, lon = destination(0.0, 179.5, 90.0, 111195.08)
    >>> round(float(lat), 6), round(float(lon), 6)
    (0.0, -179.5)
    """
    la = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lo = np.radians(np.asarray(lon_deg, dtype=np.float64))
    b = np.radians(np.asarray(bearing, dtype=np.float64))
    d = np.asarray(distance_m, dtype=np.float64) / EARTH_RADIUS_M
    la2 = np.arcsin(np.sin(la) * np.cos(d) + np.cos(la) * np.sin(d) * np.cos(b))
    lo2 = lo + np.arctan2(np.sin(b) * np.sin(d) * np.cos(la), np.cos(d) - np.sin(la) * np.sin(la2))
    lon2 = (np.degrees(lo2) + 180.0) % 360.0 - 180.0
    return np.asarray(np.degrees(la2)), np.asarray(lon2)


def wrap_lon(lon_deg: ArrayLike) -> F64:
    """Longitudes wrapped into [-180, 180), degrees, elementwise.

    >>> wrap_lon([180.0, -180.0, 190.0, 359.5]).tolist()
    [-180.0, -180.0, -170.0, -0.5]
    """
    return np.asarray((np.asarray(lon_deg, dtype=np.float64) + 180.0) % 360.0 - 180.0)


def lat_lon(u: ArrayLike) -> tuple[F64, F64]:
    """Latitude and longitude (degrees, lon in [-180, 180]) of vectors ``u``, shape (..., 3).

    ``u`` need not be normalised.

    >>> lat, lon = lat_lon(np.array([[0.0, 1.0, 0.0]]))
    >>> float(lat[0]), float(lon[0])
    (0.0, 90.0)
    """
    v = np.asarray(u, dtype=np.float64)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon = np.degrees(np.arctan2(y, x))
    return np.asarray(lat), np.asarray(lon)


def dead_reckon(
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    alt_m: ArrayLike,
    gs_mps: ArrayLike,
    track_deg: ArrayLike,
    vs_mps: ArrayLike,
    dt_s: ArrayLike,
) -> tuple[F64, F64, F64, F64]:
    """States moved ``dt_s`` seconds along their great circles, elementwise (broadcasting).

    Each track flies its great circle at constant ground speed and climbs at constant
    vertical speed, the motion every detector assumes; ``dt_s`` may be negative (back in
    time) and is a scalar or one value per track.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n,)
        Positions, degrees.
    alt_m : array_like, shape (n,)
        Altitudes, metres.
    gs_mps : array_like, shape (n,)
        Ground speeds, m/s.
    track_deg : array_like, shape (n,)
        True tracks, degrees clockwise from north.
    vs_mps : array_like, shape (n,)
        Vertical speeds, m/s.
    dt_s : float or array_like, shape (n,)
        Seconds to move.

    Returns
    -------
    lat_deg, lon_deg, alt_m, track_deg : ndarray, shape (n,)
        The new states. Longitude is in [-180, 180); the track is the great circle's
        direction at the new position, in [0, 360), so moving on from there continues
        the same path. Where a state does not move (``gs_mps * dt_s == 0``) position and
        track are returned exactly as given. NaN in gives NaN out (nothing is validated
        here; :class:`~deconflict.model.Tracks` never holds NaN).

    >>> lat, lon, alt, trk = dead_reckon(0.0, 179.5, 1000.0, 100.0, 90.0, 2.0, 1111.95)
    >>> round(float(lat), 6), round(float(lon), 4), float(alt), float(trk)
    (0.0, -179.5, 3223.9, 90.0)
    """
    lat, lon, alt, gs, trk, vs, dt = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lat_deg, lon_deg, alt_m, gs_mps, track_deg,
                                                   vs_mps, dt_s))
    )  # fmt: skip
    u0 = unit_vectors(lat, lon)
    east, north, _ = east_north_up(lat, lon)
    heading = np.radians(trk)[..., None]
    d = np.sin(heading) * east + np.cos(heading) * north
    theta = (gs * dt / EARTH_RADIUS_M)[..., None]
    u = np.cos(theta) * u0 + np.sin(theta) * d
    v = np.cos(theta) * d - np.sin(theta) * u0
    lat2, lon2 = lat_lon(u)
    east2, north2, _ = east_north_up(lat2, lon2)
    trk2 = np.degrees(np.arctan2(np.sum(v * east2, axis=-1), np.sum(v * north2, axis=-1)))
    moved = theta[..., 0] != 0.0
    trk2 = np.mod(trk2, 360.0)
    trk2 = np.where(trk2 >= 360.0, 0.0, trk2)  # -1e-17 % 360 rounds to 360
    return (
        np.asarray(np.where(moved, lat2, lat)),
        np.asarray(np.where(moved, wrap_lon(lon2), lon)),
        np.asarray(alt + vs * dt),
        np.asarray(np.where(moved, trk2, trk)),
    )
