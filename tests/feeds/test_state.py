"""The per-aircraft table: the cap, expiry, altitude choice and the changed set."""

from __future__ import annotations

import pytest

from deconflict.errors import InvalidInput
from deconflict.feeds.state import AircraftTable


def _complete(table: AircraftTable, icao: str, t: float, alt: float = 1000.0) -> None:
    table.position(icao, t, 47.0, 8.0)
    table.altitude(icao, t, alt)
    table.velocity(icao, t, 100.0, 370.0)


def test_cap_drops_the_least_recently_heard() -> None:
    table = AircraftTable(max_aircraft=3)
    for k, icao in enumerate(("aaaaaa", "bbbbbb", "cccccc")):
        _complete(table, icao, float(k))
    table.altitude("aaaaaa", 3.0, 1200.0)  # heard again: now the newest
    _complete(table, "dddddd", 4.0)
    assert len(table) == 3 and table.evicted == 1
    assert "bbbbbb" not in table and "aaaaaa" in table
    assert sorted(s.id for s in table.take_changed()) == ["aaaaaa", "cccccc", "dddddd"]


def test_expire_drops_aircraft_not_heard_for_max_age() -> None:
    table = AircraftTable(max_age_s=10.0)
    _complete(table, "aaaaaa", 0.0)
    _complete(table, "bbbbbb", 5.0)
    table.heard("cccccc", 12.0)
    assert table.expire() == 1
    assert "aaaaaa" not in table and "bbbbbb" in table


def test_track_angle_is_normalised_and_vertical_rate_defaults_to_zero() -> None:
    table = AircraftTable()
    _complete(table, "aaaaaa", 0.0)
    (s,) = table.ready()
    assert s.track_deg == 10.0 and s.vs_mps == 0.0


def test_barometric_altitude_is_preferred_then_gnss_made_barometric() -> None:
    table = AircraftTable(max_age_s=10.0)
    table.position("aaaaaa", 0.0, 47.0, 8.0)
    table.velocity("aaaaaa", 0.0, 100.0, 10.0)
    table.altitude("aaaaaa", 0.0, 3050.0, gnss=True)
    assert table.ready()[0].alt_m == 3050.0
    table.gnss_minus_baro("aaaaaa", 0.0, 50.0)
    assert table.ready()[0].alt_m == 3000.0
    table.altitude("aaaaaa", 0.0, 2990.0)
    assert table.ready()[0].alt_m == 2990.0


def test_take_changed_gives_complete_changed_tracks_once() -> None:
    table = AircraftTable()
    _complete(table, "aaaaaa", 0.0)
    assert [s.id for s in table.take_changed()] == ["aaaaaa"]
    assert table.take_changed() == []
    table.callsign("aaaaaa", 1.0, "SWR1")  # not part of a track: no change
    assert table.take_changed() == []
    table.position("bbbbbb", 2.0, 47.0, 8.0)  # not complete: not given
    table.vertical_rate("aaaaaa", 2.0, -1.5)
    assert [(s.id, s.vs_mps) for s in table.take_changed()] == [("aaaaaa", -1.5)]


@pytest.mark.parametrize(("cap", "age"), [(0, 60.0), (10, 0.0), (10, float("nan"))])
def test_bad_limits_are_refused(cap: int, age: float) -> None:
    with pytest.raises(InvalidInput):
        AircraftTable(max_aircraft=cap, max_age_s=age)
