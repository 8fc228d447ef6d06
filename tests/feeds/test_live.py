"""The feed client end to end against stand-ins of both ends, over real local sockets:
a receiver serving recorded traffic (SBS, AVR, Beast) that drops its connection
mid-stream, and a service that records batches and can answer 503 / 429 or time out."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from deconflict.errors import Forbidden
from deconflict.feeds.encode import history_frames, history_sbs
from deconflict.feeds.framing import beast_frame
from deconflict.feeds.run import FeedOptions
from deconflict.trackio import History

from .standins import ReceiverStandIn, StandInService, feed_until

FAST = FeedOptions(batch_interval_s=0.1, backoff_initial_s=0.05, backoff_max_s=0.2, drain_s=5.0)
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# Tolerances of each encoding: SBS writes 5 decimals of degrees, whole feet, 0.1 kt and
# 0.1 degree, whole ft/min; ADS-B carries CPR (~5 m), 25 ft, 1 kt per axis (pyModeS
# rounds the speed to whole knots), 64 ft/min.
SBS_TOL = (1e-5, 1e-5, 0.2, 0.03, 0.06, 0.01)
MODES_TOL = (1e-4, 1e-4, 3.9, 0.6, 1.0, 0.17)
KEYS = ("lat", "lon", "alt_m", "gs_mps", "track_deg", "vs_mps")


def matches(
    got: dict[str, dict[str, Any]],
    last_rows: dict[str, tuple[float, list[float]]],
    tol: tuple[float, ...],
) -> bool:
    if got.keys() != last_rows.keys():
        return False
    for icao, (_, row) in last_rows.items():
        track = got[icao]
        for key, want, eps in zip(KEYS, row, tol, strict=True):
            diff = abs(track[key] - want)
            if key == "track_deg":
                diff = min(diff, 360.0 - diff)
            if diff > eps:
                return False
    return True


def sbs_bytes(history: History) -> bytes:
    return "".join(line + "\r\n" for _, line in history_sbs(history)).encode()


def test_sbs_receiver_dropping_mid_stream_with_garbage(
    history: History, last_rows: dict[str, tuple[float, list[float]]]
) -> None:
    data = sbs_bytes(history)
    cut = data.index(b"\n", len(data) // 3) + 40  # in the middle of a line
    first = data[:cut]  # the receiver drops after half a line
    second = b"garbage line\r\nMSG,3,1,1,NOTHEX\r\n\xff\xfe\r\n" + data[cut:]
    with StandInService() as service, ReceiverStandIn([first, second]) as receiver:
        stats = feed_until(
            receiver.url("sbs"),
            service,
            FAST,
            lambda: matches(service.latest(), last_rows, SBS_TOL),
        )
        assert receiver.connections == 2
    assert matches(service.latest(), last_rows, SBS_TOL)
    # Three garbage lines and the tail of the cut line; its head went with the connection
    # (glued to the next line it would have made one bad line of two).
    assert stats.bad == 4
    assert stats.source_connects == 2
    for req in service.accepted:
        assert 0 < len(req.tracks) <= 10_000
        assert uuid.UUID(req.key or "").version == 4
        for track in req.tracks:
            assert set(track) == {"id", "time", *KEYS}
            assert ISO_MS.match(track["time"])
            assert re.fullmatch("[0-9a-f]{6}", track["id"])
    assert len({req.key for req in service.accepted}) == len(service.accepted)


@pytest.mark.parametrize("framing", ["avr", "beast"])
def test_raw_mode_s_receiver(
    framing: str, history: History, last_rows: dict[str, tuple[float, list[float]]]
) -> None:
    frames = [bytes.fromhex(f) for _, f in history_frames(history)]
    if framing == "avr":
        data = b"".join(b"*" + f.hex().upper().encode() + b";\n" for f in frames)
        noise = b"*8D40621D58C382D690C8AC2863A8;\n*ZZ;\nnoise\n"  # CRC error, bad hex, junk
    else:
        data = b"".join(beast_frame(0x33, f) for f in frames)
        noise = b"\x00\x01noise\x1a"
    cut = len(data) // 2 + 7
    with StandInService() as service, ReceiverStandIn([data[:cut], noise + data[cut:]]) as rx:
        stats = feed_until(
            rx.url(framing), service, FAST, lambda: matches(service.latest(), last_rows, MODES_TOL)
        )
    assert matches(service.latest(), last_rows, MODES_TOL)
    assert stats.bad >= 1
    assert stats.source_connects == 2


def test_service_outage_keeps_and_sends_the_newest_state(
    history: History, last_rows: dict[str, tuple[float, list[float]]]
) -> None:
    with StandInService() as service, ReceiverStandIn([sbs_bytes(history)]) as receiver:
        service.down = True

        def back_up() -> None:
            # Up again once everything was sent and three more posts were refused.
            receiver.sent_all.wait(30.0)
            seen = len(service.requests)
            deadline = time.monotonic() + 30.0
            while len(service.requests) < seen + 3 and time.monotonic() < deadline:
                time.sleep(0.02)
            service.down = False

        waiter = threading.Thread(target=back_up, daemon=True)
        waiter.start()
        stats = feed_until(
            receiver.url("sbs"),
            service,
            FAST,
            lambda: matches(service.latest(), last_rows, SBS_TOL),
        )
        waiter.join(timeout=5.0)
    refused = [r for r in service.requests if r.status == 503]
    assert refused and stats.retries >= len(refused)
    # Everything arrived while the service was down: the first accepted batch already
    # holds every aircraft's newest state, and nothing older is sent after the outage.
    first = {t["id"]: t for t in service.accepted[0].tracks}
    assert matches(first, last_rows, SBS_TOL)
    assert stats.service == "up"


def test_429_waits_retry_after(history: History) -> None:
    with StandInService() as service, ReceiverStandIn([sbs_bytes(history)]) as receiver:
        service.script.append((429, {"Retry-After": "1"}, 0.0))
        feed_until(receiver.url("sbs"), service, FAST, lambda: len(service.accepted) >= 1)
    first, second = service.requests[0], service.requests[1]
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 0.95


def test_retried_unchanged_batch_keeps_its_key_and_counts_once(tmp_path: Any) -> None:
    # A file replayed flat out, posted once at the end: the first answer comes too late
    # (the service has taken the batch), the retry carries the same key and body.
    path = tmp_path / "two.sbs"
    path.write_text(
        "MSG,3,1,1,4CA2D6,1,2020/01/01,00:00:00.000,2020/01/01,00:00:00.000,,37000,,,51.5,-0.2,,,,,,0\n"
        "MSG,4,1,1,4CA2D6,1,2020/01/01,00:00:00.500,2020/01/01,00:00:00.500,,,420,90,,,0,,,,,0\n"
    )
    options = FeedOptions(
        batch_interval_s=30.0, speed=0, http_timeout_s=0.5, backoff_initial_s=0.05, drain_s=10
    )
    with StandInService() as service:
        service.script.append((200, {}, 1.5))  # answered after the client gave up
        service.script.append((503, {}, 0.0))
        stats = feed_until(str(path), service, options, lambda: False, timeout_s=30.0)
    keys = {r.key for r in service.requests}
    assert len(service.requests) == 3 and len(keys) == 1
    assert all(r.tracks == service.requests[0].tracks for r in service.requests)
    assert len(service.accepted) == 1 and service.duplicates == 1
    assert stats.retries == 2 and stats.unsent == 0


def test_refused_token_stops_the_feed(history: History) -> None:
    with (
        StandInService(token="another") as service,
        ReceiverStandIn([sbs_bytes(history)]) as rx,
        pytest.raises(Forbidden, match="refused the token"),
    ):
        feed_until(rx.url("sbs"), service, FAST, lambda: False, timeout_s=10.0)


def test_rejected_batch_is_counted_not_retried(history: History) -> None:
    with StandInService() as service, ReceiverStandIn([sbs_bytes(history)]) as receiver:
        service.script.append((422, {}, 0.0))
        stats = feed_until(receiver.url("sbs"), service, FAST, lambda: len(service.accepted) >= 1)
    assert service.requests[0].status == 422
    assert stats.rejected == len(service.requests[0].tracks) > 0
    assert "422" in stats.last_error


def test_state_vectors_polled(last_rows: dict[str, tuple[float, list[float]]]) -> None:
    now = datetime.now(UTC).timestamp()
    states = [
        [
            icao,
            "SWR1  ",
            "Switzerland",
            now - 1,
            now,
            r[1],
            r[0],
            r[2],
            False,
            r[3],
            r[4],
            r[5],
            None,
            r[2] + 50.0,
            "1000",
            False,
            0,
        ]
        for icao, (_, r) in last_rows.items()
    ]
    states.append(["zzzzzz", None, "x", now, now, 1.0, 1.0, 1.0, False, 1.0, 1.0, 1.0])
    states.append(
        [
            "abcdef",
            None,
            "x",
            now,
            now,
            None,
            None,
            None,
            True,
            None,
            None,
            None,
            None,
            None,
            None,
            False,
            0,
        ]
    )
    with StandInService() as service:
        service.states = {"time": int(now), "states": states}
        options = FeedOptions(batch_interval_s=0.1, poll_s=0.2, backoff_initial_s=0.05)
        stats = feed_until(
            service.url + "/states/all",
            service,
            options,
            lambda: matches(service.latest(), last_rows, (1e-6, 1e-6, 0.05, 0.005, 0.005, 0.005)),
        )
    assert matches(service.latest(), last_rows, (1e-6, 1e-6, 0.05, 0.005, 0.005, 0.005))
    assert service.polls >= 1
    assert stats.bad >= 1  # the bad icao24 row, each poll


def test_a_state_outside_the_services_bounds_is_dropped_not_the_batch(
    history: History, last_rows: dict[str, tuple[float, list[float]]]
) -> None:
    """An aircraft decoded at 4,000 kt (over the service's 1,500 m/s) is left out and
    counted; the rest of the batch is posted and accepted."""
    from deconflict.feeds.sbs import sbs_line

    t0 = min(t for t, _ in history_sbs(history))
    wild = [
        sbs_line(3, "abcdef", t0, alt_ft=30000.0, lat=35.0, lon=40.0),
        sbs_line(4, "abcdef", t0, gs_kt=4000.0, track_deg=90.0, vr_fpm=0.0),
    ]
    data = "".join(line + "\r\n" for line in wild).encode() + sbs_bytes(history)
    with StandInService() as service, ReceiverStandIn([data]) as receiver:
        stats = feed_until(
            receiver.url("sbs"),
            service,
            FAST,
            lambda: matches(service.latest(), last_rows, SBS_TOL),
        )
    assert "abcdef" not in service.latest()
    assert stats.out_of_bounds >= 1 and stats.rejected == 0
    assert "out of bounds" in stats.status_line()
