"""Builders shared by the test folders (``tests`` is on pytest's ``pythonpath``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deconflict.model import Tracks


def tracks(rows: Sequence[Sequence[float]], parties: Sequence[str] | None = None) -> Tracks:
    """Tracks from (lat, lon, alt_m, gs_mps, track_deg, vs_mps) rows; ids t0, t1, ..."""
    arr = np.asarray(rows, dtype=float).reshape(-1, 6)
    n = arr.shape[0]
    return Tracks(
        id=[f"t{k}" for k in range(n)],
        party=list(parties) if parties is not None else ["blue"] * n,
        lat_deg=arr[:, 0],
        lon_deg=arr[:, 1],
        alt_m=arr[:, 2],
        gs_mps=arr[:, 3],
        track_deg=arr[:, 4],
        vs_mps=arr[:, 5],
    )
