"""The feed's counters as a terminal status line and as a JSON stats object."""

from __future__ import annotations

import json

from deconflict.feeds.stats import FeedStats


def test_status_line_and_json() -> None:
    stats = FeedStats(aircraft=12, complete=9, messages=500, bad=3, rejected=2)
    stats.last_post_latency_s = 0.0123
    stats.rate = 250.0
    line = stats.status_line()
    for part in ("12 aircraft (9 complete)", "250 msg/s", "3 bad", "2 rejected", "12 ms"):
        assert part in line
    out = json.loads(json.dumps(stats.as_json()))
    assert out["aircraft"] == 12 and out["messages_per_s"] == 250.0
    assert out["last_post_latency_ms"] == 12.3
    assert not any(k.startswith("_") for k in out)


def test_tick_measures_messages_per_second() -> None:
    stats = FeedStats()
    stats.tick()
    stats.messages = 1_000_000
    assert stats.tick() > 0
