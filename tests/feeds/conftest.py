"""Recorded traffic for the feed tests: ten minutes over Switzerland (tests/data/adsb)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deconflict.trackio import History, read_history

EXCERPT = Path(__file__).parents[1] / "data" / "adsb" / "switzerland_1345.csv.gz"


@pytest.fixture(scope="session")
def history() -> History:
    return read_history(EXCERPT)


@pytest.fixture(scope="session")
def last_rows(history: History) -> dict[str, tuple[float, list[float]]]:
    """Each aircraft's last recorded (time, [lat, lon, alt_m, gs_mps, track_deg, vs_mps])."""
    out: dict[str, tuple[float, list[float]]] = {}
    for k in range(history.id.size):  # sorted by (id, time): the last row wins
        out[str(history.id[k])] = (float(history.time_s[k]), [float(v) for v in history.values[k]])
    return out
