"""An entry of tracks is written in C (msgspec) with exactly the bytes the json module
writes; anything msgspec would write otherwise goes to the json module."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.ledger.entry import FloatRecords, canonical_json, float_records

ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

texts = st.text(max_size=12)
floats = st.floats(allow_nan=False, allow_infinity=False)
records = st.lists(st.dictionaries(texts, st.one_of(floats, texts), max_size=8), max_size=6)
plain = st.one_of(texts, st.integers(-(2**70), 2**70), st.booleans(), st.none(), floats)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(texts, plain, max_size=6), records)
def test_canonical_json_is_the_json_modules_text(top, tracks):
    entry = {**top, "tracks": float_records(tracks)}
    assert canonical_json(entry) == ENCODER.encode(entry)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-1e17, 1e17, allow_nan=False), min_size=1, max_size=50))
def test_track_numbers_at_every_magnitude(numbers):
    tracks = float_records([{"alt_m": x, "id": 'a"b\\c é', "time": "T"} for x in numbers])
    entry = {"kind": "tracks", "party": "blue", "index": 3, "tracks": tracks}
    assert canonical_json(entry) == ENCODER.encode(entry)


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        (31.322049329007278, True),
        (0.0, True),
        (-0.0, True),
        (1e-4, True),
        (9.999e-5, False),  # Python writes 9.999e-05, msgspec 0.00009999
        (1e16, False),  # Python 1e+16, msgspec 1e16
        ("line\nbreak", False),  # not printable: the json module escapes it
        (3, False),  # only strings and floats in a record
    ],
)
def test_which_records_are_written_in_c(value, fast):
    made = float_records([{"x": value, "id": "t1"}])
    assert isinstance(made, FloatRecords) is fast
    entry = {"kind": "tracks", "party": "p", "tracks": made}
    assert canonical_json(entry) == ENCODER.encode(entry)


def test_not_a_number_is_still_refused():
    from deconflict.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not representable"):
        canonical_json({"kind": "tracks", "tracks": float_records([{"x": float("nan")}])})


def test_a_track_id_made_to_look_like_json_cannot_forge_a_field():
    from deconflict.ledger.entry import parse_entry

    forged = 'x","party":"red","y":"'
    tracks = float_records([{"id": forged, "lat": 31.5, "time": "2026-12-04T10:00:00Z"}])
    assert isinstance(tracks, FloatRecords)  # printable: written in C
    entry = {"kind": "tracks", "party": "blue", "time": "T", "tracks": tracks}
    text = canonical_json(entry)
    assert text == ENCODER.encode(entry)
    back = parse_entry(text.encode())
    assert back["party"] == "blue" and back["tracks"][0]["id"] == forged
