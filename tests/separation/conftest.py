"""Track builders for the separation tests."""

from __future__ import annotations

import pytest

from trackkit import tracks


@pytest.fixture(name="make_tracks")
def make_tracks_fixture():
    """Tracks from (lat, lon, alt_m, gs_mps, track_deg, vs_mps) rows; ids t0, t1, ..."""
    return tracks
