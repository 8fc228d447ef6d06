"""Real recorded ADS-B traffic: the close pairs are found at the times they were close."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deconflict.detect.separation import detect
from deconflict.trackio import parse_time, read_history

DATA = Path(__file__).parents[1] / "data" / "adsb"
NM = 1852.0


@pytest.fixture(scope="module")
def calfire():
    return read_history(DATA / "calfire.csv.gz")


@pytest.fixture(scope="module")
def formation():
    return read_history(DATA / "formation_dreamliner.csv.gz")


def pairs_at(history, when, **kw):
    c = detect(history.at(parse_time(when), max_age_s=60.0), **kw)
    pairs = list(zip(c.a.tolist(), c.b.tolist(), strict=True))
    assert pairs == sorted(set(pairs)) and all(a < b for a, b in pairs)
    return {p: k for k, p in enumerate(pairs)}, c


def test_firefighting_tankers_working_close_are_found(calfire):
    found, c = pairs_at(calfire, "2020-09-11T20:25:31Z")
    k = found[("a53602", "a53d70")]
    assert c.t_in_s[k] == 0.0
    # The two tankers are within 0.2 NM and 300 ft of each other right then.
    close, c = pairs_at(
        calfire, "2020-09-11T20:25:31Z", h_sep=0.2 * NM, v_sep=300 * 0.3048, lookahead=10.0
    )
    assert ("a53602", "a53d70") in close


def test_tankers_are_not_in_conflict_hours_earlier(calfire):
    found, _ = pairs_at(calfire, "2020-09-11T14:00:00Z")
    assert ("a53602", "a53d70") not in found


def test_formation_flight_is_a_conflict_while_in_formation(formation):
    found, c = pairs_at(formation, "2017-12-01T15:15:27Z")
    k = found[("3900fb", "39c424")]
    assert c.t_in_s[k] == 0.0
    assert c.dcpa_m[k] < 0.1 * NM


def test_history_ignores_states_older_than_max_age(formation):
    start, _ = formation.span
    assert len(formation.at(start - 1.0)) == 0
    assert len(formation.at(start + 30.0, max_age_s=60.0)) >= 1
    late = formation.span[1] + 61.0
    assert len(formation.at(late, max_age_s=60.0)) == 0
    assert len(formation.at(late, max_age_s=120.0)) >= 1


def test_history_dead_reckons_to_the_time_asked(formation):
    t = formation.time_s[0]
    at = formation.at(t + 10.0, max_age_s=60.0)
    k = int(np.flatnonzero(at.id == formation.id[0])[0])
    assert at.alt_m[k] == pytest.approx(formation.values[0, 2] + 10.0 * formation.values[0, 5])
