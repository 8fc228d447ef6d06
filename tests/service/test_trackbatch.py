"""The compiled track-batch validator accepts exactly what the ordinary path accepts,
with the same reports; whatever it does not take is refused by the ordinary path, which
names what is wrong."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.bounds import TRACK_BOUNDS
from deconflict.errors import InvalidInput
from deconflict.service.clock import iso
from deconflict.service.reports import parse_track_reports
from deconflict.service.trackbatch import TrackBatch, batch_of, decode_batch

NOW = 1_800_000_000.0
LIMITS = {"now": NOW, "max_future_s": 5.0, "max_age_s": 60.0, "max_batch": 50}


def _number(name: str) -> st.SearchStrategy[object]:
    r = TRACK_BOUNDS[name]
    edge = st.sampled_from([r.lo, r.hi, r.lo - 1e-9, r.hi + 1e-9, -0.0, 0, int(r.hi), 10**400])
    return st.one_of(
        st.floats(r.lo, r.hi),
        st.integers(int(r.lo), int(r.hi)),
        edge,
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([True, False, None, "1", [], {}]),
    )


def _track() -> st.SearchStrategy[dict[str, object]]:
    times = st.sampled_from(
        [iso(NOW - 1), iso(NOW - 61), iso(NOW + 6), "2026-12-03T07:00:00", "yesterday", 5, None]
    )
    ids = st.one_of(
        st.sampled_from(["a", "b", "x" * 64, "x" * 65, "", "a\nb", "\u00e9"]), st.integers()
    )
    fields = {
        "id": ids,
        "time": times,
        **{name: _number(name) for name in TRACK_BOUNDS},
    }
    extra = st.fixed_dictionaries(
        {},
        optional={
            "party": st.sampled_from(["blue", "red", None, 1]),
            "callsign": st.text(max_size=5),
        },
    )
    return st.builds(lambda base, more: {**base, **more}, st.fixed_dictionaries(fields), extra)


def _ordinary(raw: bytes):
    try:
        items = json.loads(raw)
    except ValueError:
        return "refused"
    try:
        return parse_track_reports(items, "blue", **LIMITS)
    except InvalidInput as exc:
        return f"refused: {exc}"


@settings(max_examples=400, deadline=None)
@given(st.lists(_track(), max_size=4) | st.sampled_from([[], {}, "x", [1]]))
def test_the_compiled_path_accepts_exactly_what_the_ordinary_path_accepts(items):
    try:
        raw = json.dumps(items).encode()
    except (ValueError, OverflowError):
        return
    ordinary = _ordinary(raw)
    # from the bytes (a gateway or single node) and from parsed JSON (the recorder)
    for batch in (decode_batch(raw), batch_of(json.loads(raw))):
        if batch is None:
            continue  # left to the ordinary path, which answers as before
        try:
            fast = parse_track_reports(batch, "blue", **LIMITS)
        except InvalidInput as exc:
            fast = f"refused: {exc}"
        assert fast == ordinary


def test_a_valid_batch_goes_the_compiled_way_with_the_same_reports():
    items = [
        {"id": "a", "time": iso(NOW - 1), "lat": 1, "lon": -0.0, "alt_m": 9000,
         "gs_mps": 200.5, "track_deg": 360, "vs_mps": -3, "callsign": "X"},
        {"id": "a", "time": iso(NOW - 2), "lat": 2, "lon": 0, "alt_m": 0,
         "gs_mps": 0, "track_deg": 0, "vs_mps": 0, "party": "blue"},
    ]  # fmt: skip
    raw = json.dumps(items).encode()
    batch = decode_batch(raw)
    assert isinstance(batch, TrackBatch) and len(batch) == 2
    fast = parse_track_reports(batch, "blue", **LIMITS)
    assert fast == parse_track_reports(json.loads(raw), "blue", **LIMITS)
    (one,) = fast  # the same id twice: the later report
    assert one.lat_deg == 1.0 and math.copysign(1, one.lon_deg) == 1.0


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"id":"a","time":"t","lat":NaN}]',
        b'[{"id":"a\\u0000","time":"2026-01-01T00:00:00Z","lat":1,"lon":1,"alt_m":1,'
        b'"gs_mps":1,"track_deg":1,"vs_mps":1}]',
        b"[" * 10_000,
        b'{"id": "a"}',
        b"",
    ],
)
def test_what_the_compiled_path_does_not_take_is_left_to_the_ordinary_one(raw):
    assert decode_batch(raw) is None


def test_another_partys_name_in_a_batch_is_refused_naming_it():
    items = [{"id": "a", "time": iso(NOW - 1), "lat": 1, "lon": 1, "alt_m": 1,
              "gs_mps": 1, "track_deg": 1, "vs_mps": 1, "party": "red"}]  # fmt: skip
    batch = decode_batch(json.dumps(items).encode())
    assert batch is not None
    with pytest.raises(InvalidInput, match=r"tracks\[0\]\.party: 'red' is not the caller"):
        parse_track_reports(batch, "blue", **LIMITS)
