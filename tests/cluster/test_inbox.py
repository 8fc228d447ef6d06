"""The recorder's inbox of detectors' runs: pieces put together, nothing taken before the
run's last piece (its coverage) arrives, malformed pieces refused by name."""

from __future__ import annotations

import json

import pytest

from deconflict.cluster.inbox import FindingsInbox
from deconflict.cluster.share import coverage_json, found_json
from deconflict.errors import InvalidInput
from deconflict.service.config import ServiceConfig
from deconflict.service.findings import Coverage
from deconflict.service.picture import LivePicture
from deconflict.service.reports import TrackReport

T0 = 1577836800.0


class Alive:
    """Who is alive, as the inbox asks it (the heartbeats are tested with a bus)."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def alive(self) -> tuple[str, ...]:
        return self.names


def findings(n: int) -> list[dict]:
    picture = LivePicture(ServiceConfig())
    picture.upsert_tracks(
        "blue", [TrackReport(f"b{k}", T0, 35.0 + 0.3 * k, 40.0, 9e3, 200, 90, 0) for k in range(n)]
    )
    picture.upsert_tracks(
        "red", [TrackReport(f"r{k}", T0, 35.0 + 0.3 * k, 40.4, 9e3, 200, 270, 0) for k in range(n)]
    )
    found, _ = picture.evaluate(T0, full=True)
    return [json.loads(json.dumps(found_json(f))) for f in found]


def test_a_run_in_pieces_is_taken_whole_once_its_last_piece_is_in() -> None:
    woken = []
    inbox = FindingsInbox(Alive("d1"), wake=lambda: woken.append(1))  # type: ignore[arg-type]
    docs = findings(6)
    assert len(docs) >= 6
    cov = coverage_json(Coverage(all_tracks=False, tracks={"blue/b0"}, owned=frozenset()))
    inbox.found("d1", "run1", 0, 3, docs[:2], None)
    inbox.found("d1", "run1", 1, 3, docs[2:4], None)
    assert inbox.take() == [] and not woken
    inbox.found("d1", "run1", 2, 3, docs[4:], cov)
    ((got, coverage),) = inbox.take()
    assert [f.key for f in got] == [d["key"] for d in docs]
    assert coverage.tracks == {"blue/b0"} and coverage.owned == frozenset()
    assert woken and inbox.take() == []
    assert inbox.active() and inbox.stats() == {
        "detection": "detectors",
        "detectors": {"d1": {"runs": 1}},
    }
    assert not FindingsInbox(Alive(), wake=lambda: None).active()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        ("d1", "r", 3, 3, [], None),  # piece out of range
        ("d1", "r", 0, 1, "nope", None),  # findings not a list
        ("d1", "r", 0, 1, [{"key": "x"}], None),  # a finding without its alert
        ("d1", "r", 0, 1, [], {"all": False}),  # a coverage without its tracks
    ],
)
def test_a_malformed_piece_is_refused_and_changes_nothing(args: tuple) -> None:
    inbox = FindingsInbox(Alive("d1"), wake=lambda: None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="malformed findings"):
        inbox.found(*args)
    assert inbox.take() == []
