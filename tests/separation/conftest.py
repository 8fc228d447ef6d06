"""Track builders and result checks for the separation tests."""

from __future__ import annotations

import numpy as np
import pytest

from deconflict.detect.separation import Conflicts
from trackkit import tracks


@pytest.fixture(name="make_tracks")
def make_tracks_fixture():
    """Tracks from (lat, lon, alt_m, gs_mps, track_deg, vs_mps) rows; ids t0, t1, ..."""
    return tracks


def pair_list(c: Conflicts) -> list[tuple[str, str]]:
    """The (a, b) pairs of a result, checked: each once, ``a < b``, sorted by (a, b)."""
    pairs = list(zip(c.a.tolist(), c.b.tolist(), strict=True))
    assert len(set(pairs)) == len(pairs), f"a pair reported twice: {pairs}"
    assert all(a < b for a, b in pairs), f"a pair not in (a < b) order: {pairs}"
    assert pairs == sorted(pairs), "pairs not sorted by (a, b)"
    assert c.ids[c.i].tolist() == c.a.tolist() and c.ids[c.j].tolist() == c.b.tolist()
    for name in ("t_in_s", "t_out_s", "tcpa_s", "dcpa_m"):
        values = getattr(c, name)
        assert values.shape == (len(c),)
        assert not np.any(np.signbit(values)), f"{name} holds a negative value or -0.0"
    return pairs


@pytest.fixture(name="pairs_of", scope="session")
def pairs_of_fixture():
    """:func:`pair_list`: a result's pairs after checking they are once-only and ordered."""
    return pair_list
