"""Several service URLs for one party's processes: the feed, the witness and the CoT link
go on through the next URL when one does not answer, with what they send unchanged (a
feed batch keeps its Idempotency-Key and body on the next URL), and a 503 ``unavailable``
with Retry-After is tried again only after that wait. Against the real service on SQLite
and the stand-in service; the cluster's own tests kill a real gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from deconflict.errors import InvalidInput
from deconflict.feeds.failover import ServiceUrls, moves_on
from deconflict.feeds.run import FeedOptions
from deconflict.trackio import History
from servicekit import Server, StoreTarget, add_party, cli, client, free_port, track

from .conftest import EXCERPT
from .standins import ReceiverStandIn, StandInService, feed_until
from .test_live import sbs_bytes

TWO_REPORTS = (
    "MSG,3,1,1,4CA2D6,1,2020/01/01,00:00:00.000,2020/01/01,00:00:00.000,,37000,,,51.5,-0.2,,,,,,0\n"
    "MSG,4,1,1,4CA2D6,1,2020/01/01,00:00:00.500,2020/01/01,00:00:00.500,,,420,90,,,0,,,,,0\n"
)
ONCE_AT_THE_END = FeedOptions(
    batch_interval_s=30.0, speed=0, http_timeout_s=0.5, backoff_initial_s=0.05, drain_s=10
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Server, StoreTarget, str]]:
    store = StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")
    token = add_party(store, "blue")
    server = Server(store, tmp_path / "serve.log").start()
    try:
        yield server, store, token
    finally:
        server.stop()


def dead_url() -> str:
    """A loopback URL where nothing listens (connections refused)."""
    return f"http://127.0.0.1:{free_port()}"


def run(*args: str, token: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deconflict.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "DECONFLICT_TOKEN": token},
    )


def test_urls_are_read_from_a_comma_separated_list() -> None:
    urls = ServiceUrls.parse(" http://a:1/ ,https://b:2,http://a:1")
    assert urls.urls == ("http://a:1", "https://b:2") and str(urls) == "http://a:1,https://b:2"
    assert ServiceUrls.parse("http://only:8000").urls == ("http://only:8000",)
    one = ServiceUrls.parse("http://only:8000")
    assert one.move_from("http://only:8000") == "http://only:8000" and one.moves == 0
    for bad in ("", ",", "ftp://a:1", "http://a:1,a:2", "http://"):
        with pytest.raises(InvalidInput, match=r"expected an http|no URL"):
            ServiceUrls.parse(bad)
    assert [moves_on(s) for s in (None, 502, 503, 504, 500, 429, 400)] == [True] * 4 + [False] * 3


@pytest.mark.parametrize("command", ["feed", "cot", "witness"])
def test_a_bad_url_in_the_list_is_refused_naming_it(command: str, tmp_path: Path) -> None:
    urls = "http://127.0.0.1:9,tcp://127.0.0.1:9"
    args = {
        "feed": ["feed", str(EXCERPT), "--service", urls],
        "cot": ["cot", urls, "--to", "tcp://127.0.0.1:9"],
        "witness": ["witness", urls, "--state", str(tmp_path / "w"), "--public-key", "AA=="],
    }[command]
    out = run(*args, token="t")
    assert out.returncode == 2 and "'tcp://127.0.0.1:9'" in out.stderr, out.stderr


def test_the_feed_goes_on_through_the_next_url(
    service: tuple[Server, StoreTarget, str],
) -> None:
    server, _, token = service
    dead = dead_url()
    out = run("feed", str(EXCERPT), "--service", f"{dead},{server.url}", "--speed", "0",
              "--json", token=token)  # fmt: skip
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout.splitlines()[-1])
    assert stats["failovers"] == 1 and stats["service_url"] == server.url
    assert stats["unsent"] == 0 and stats["rejected"] == 0 and stats["tracks_sent"] > 0
    with client(server, token) as c:
        tracks = c.get("/v1/tracks").json()["tracks"]
    assert len(tracks) == stats["tracks_sent"]  # one post per aircraft's newest state


def test_a_batch_without_an_answer_goes_to_the_next_url_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "two.sbs"
    path.write_text(TWO_REPORTS)
    with StandInService() as first, StandInService() as second:
        first.script.append((200, {}, 1.5))  # taken, but answered after the client gave up
        stats = feed_until(
            str(path), first, ONCE_AT_THE_END, lambda: False, timeout_s=5.0,
            service_url=f"{first.url},{second.url}",
        )  # fmt: skip
    (sent,), (again,) = first.requests, second.requests
    assert again.key == sent.key and again.tracks == sent.tracks
    assert len(second.accepted) == 1 and stats.unsent == 0
    assert stats.failovers == 1 and stats.service_url == second.url and stats.retries == 1


def test_a_batch_in_doubt_is_sent_again_as_it_was_while_newer_states_come_in(
    history: History,
) -> None:
    # A receiver still sending: by the retry its aircraft have newer states, but the
    # batch that may have been applied goes again unchanged (a new body under its key
    # would be refused, and a new key would apply its reports twice); the newer states
    # follow in the next batch.
    options = FeedOptions(
        batch_interval_s=0.1, http_timeout_s=0.3, backoff_initial_s=0.3, backoff_max_s=0.3
    )
    with (
        StandInService() as first,
        StandInService() as second,
        ReceiverStandIn([sbs_bytes(history)], pause_s=0.05) as receiver,
    ):
        first.script.append((200, {}, 1.0))  # taken, answered after the client gave up
        feed_until(
            receiver.url("sbs"), first, options, lambda: len(second.accepted) >= 3,
            service_url=f"{first.url},{second.url}",
        )  # fmt: skip
    (sent,) = first.requests
    again, after = second.requests[0], second.requests[1]
    assert again.key == sent.key and again.tracks == sent.tracks
    assert after.key != sent.key
    newer = {t["id"]: t["time"] for t in after.tracks}
    assert any(newer.get(t["id"], "") > t["time"] for t in sent.tracks), "no newer state came"


def test_503_unavailable_waits_retry_after_then_tries_the_next_url(tmp_path: Path) -> None:
    path = tmp_path / "two.sbs"
    path.write_text(TWO_REPORTS)
    with StandInService() as first, StandInService() as second:
        first.codes[503] = "unavailable"  # a gateway while the recorder changes over
        first.script.append((503, {"Retry-After": "1"}, 0.0))
        stats = feed_until(
            str(path), first, ONCE_AT_THE_END, lambda: False, timeout_s=5.0,
            service_url=f"{first.url},{second.url}",
        )  # fmt: skip
    (refused,), (again,) = first.requests, second.requests
    assert again.at - refused.at >= 0.95
    assert again.key == refused.key and again.tracks == refused.tracks
    assert stats.failovers == 1 and stats.unsent == 0


def test_a_retry_after_of_a_day_does_not_stall_the_feed(tmp_path: Path) -> None:
    path = tmp_path / "two.sbs"
    path.write_text(TWO_REPORTS)
    options = replace(ONCE_AT_THE_END, retry_after_max_s=1.0)
    with StandInService() as first, StandInService() as second:
        first.codes[503] = "unavailable"
        first.script.append((503, {"Retry-After": "86400"}, 0.0))
        stats = feed_until(
            str(path), first, options, lambda: False, timeout_s=5.0,
            service_url=f"{first.url},{second.url}",
        )  # fmt: skip
    (refused,), (again,) = first.requests, second.requests
    assert 0.95 <= again.at - refused.at < 3.0  # the longest wait, not a day
    assert stats.unsent == 0 and len(second.accepted) == 1


def test_a_url_serving_another_log_cannot_move_the_witness_s_pin(
    service: tuple[Server, StoreTarget, str], tmp_path: Path
) -> None:
    server, store, token = service
    key = cli(store, "log", "key").stdout.strip()
    state = tmp_path / "witness"
    ok = run("witness", server.url, "--state", str(state), "--public-key", key, "--once",
             token=token)  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    kept = (state / "state.json").read_bytes()
    # another service (its own key and log) first in the list: refused, the pin stays
    other_store = StoreTarget("sqlite", str(tmp_path / "other.db"), tmp_path / "other-keys")
    other_token = add_party(other_store, "blue")
    other = Server(other_store, tmp_path / "other.log").start()
    try:
        forged = run("witness", f"{other.url},{server.url}", "--state", str(state), "--once",
                     token=other_token)  # fmt: skip
    finally:
        other.stop()
    assert forged.returncode == 1 and "refused head" in forged.stderr, forged.stderr
    assert "pin" in forged.stderr
    assert (state / "state.json").read_bytes() == kept


def test_the_witness_goes_on_through_the_next_url(
    service: tuple[Server, StoreTarget, str], tmp_path: Path
) -> None:
    server, store, token = service
    with client(server, token) as c:
        assert c.post("/v1/tracks", json=[track("b1", 35.0, 40.0, 90.0)]).status_code == 200
    key = cli(store, "log", "key").stdout.strip()
    state = tmp_path / "witness"
    dead = dead_url()
    first = run("witness", f"{dead},{server.url}", "--state", str(state), "--public-key", key,
                "--once", token=token)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert "service unreachable" in lines[0] and lines[0].endswith(f"service {dead}")
    assert "cosigned" in lines[-1] and lines[-1].endswith(f"service {server.url}")
    # the state is the service's: kept across URLs, the next round starts from it
    with client(server, token) as c:
        assert c.post("/v1/tracks", json=[track("b2", 35.0, 40.0, 90.0)]).status_code == 200
    again = run("witness", f"{server.url},{dead}", "--state", str(state), "--once", token=token)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "consistent with" in again.stdout and "cosigned" in again.stdout
    # every URL unreachable: --once gives up with exit 4 after trying each
    down = run("witness", f"{dead},{dead_url()}", "--state", str(state), "--once", token=token)
    assert down.returncode == 4 and down.stdout.count("service unreachable") == 2, down.stdout
