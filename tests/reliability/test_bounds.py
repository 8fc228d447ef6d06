"""Every number of a track report has a physical bound (docs/service.md, "Bounds"): a
value outside it, a value that is no number (a string, a boolean, NaN, Infinity, an
integer too large for a float) is answered 400 naming the field, over HTTP and over the
stream, and writes nothing; a value inside is accepted. Throughout, another party's
requests are answered within the line's promise of 1 s: no report makes it wait.

Also bounded: an empty batch is refused, a party's live tracks are capped, and a stream
frame has the limit of an HTTP body."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from deconflict.bounds import TRACK_BOUNDS
from servicekit import StoreTarget, add_party, iso_now, track

pytestmark = pytest.mark.slow

FAST = {"DECONFLICT_RATE_PER_S": "100000", "DECONFLICT_BURST": "100000"}
PROMISE_S = 1.0
"""No request makes another party wait longer than this (docs/security.md)."""

HUGE_INT = "1" + "0" * 400
LITERALS = [
    "1e308", "-1e308", "1.7976931348623157e308", "-1.7976931348623157e308", "1e400",
    "5e-324", "-5e-324", "2.2250738585072014e-308", "0", "-0", "0.0", "-0.0", "1e20",
    "-1e20", "1e5", "-1e5", HUGE_INT, "-" + HUGE_INT, "1" + "0" * 5000, "NaN", "Infinity",
    "-Infinity", '"250"', '""', "true", "false", "null", "[]", "{}", "[1]",
]  # fmt: skip
"""JSON texts put in place of one number: extremes, non-numbers, and what Python's
parser takes that JSON does not."""


def _literals(field: str) -> list[str]:
    """:data:`LITERALS` and the edges of the field's bound, just inside and outside."""
    b = TRACK_BOUNDS[field]
    edges = [b.lo, b.hi, b.lo - 1e-6 * max(1.0, abs(b.lo)), b.hi + 1e-6 * max(1.0, abs(b.hi))]
    return LITERALS + [repr(float(x)) for x in edges] + [str(int(b.lo)), str(int(b.hi))]


def _accepted(field: str, literal: str) -> bool:
    """Whether the documented bound accepts ``literal`` for ``field``."""

    def refuse(name: str) -> Any:
        raise ValueError(name)

    try:
        value = json.loads(literal, parse_constant=refuse)
    except ValueError:
        return False
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        x = float(value)
    except OverflowError:
        return False
    return x in TRACK_BOUNDS[field]


def _body(id: str, field: str, literal: str) -> str:
    """A one-track report whose ``field`` is the JSON text ``literal``."""
    base = track(id, 35.0, 40.0, 90.0)
    base[field] = "@@"
    return json.dumps([base]).replace('"@@"', literal)


class Bystander:
    """Another party's ordinary traffic meanwhile: GET /v1/alerts and a one-track report,
    one after the other; the slowest answer and every status are kept."""

    def __init__(self, server: Any, token: str) -> None:
        self.client = server.client(token, timeout=30.0)
        self.slowest = 0.0
        self.statuses: dict[int, int] = {}
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Bystander:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for call in (
                lambda: self.client.get("/v1/alerts"),
                lambda: self.client.post("/v1/tracks", json=[track("calm", 35.0, 40.01, 270.0)]),
            ):
                t0 = time.perf_counter()
                r = call()
                self.slowest = max(self.slowest, time.perf_counter() - t0)
                self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
                self.count += 1
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)
        self.client.close()


def _reply(ws: Any) -> dict[str, Any]:
    """The stream's answer to what was sent last (events pushed meanwhile skipped)."""
    while True:
        event = json.loads(ws.recv(timeout=30))
        if event["type"] in ("receipt", "error", "pong"):
            return dict(event)


def _own_ids(client: httpx.Client) -> set[str]:
    return {t["id"] for t in client.get("/v1/tracks").json()["tracks"]}


def test_every_numeric_track_field_is_bounded_over_http_and_the_stream(
    store: StoreTarget, serve: Any
) -> None:
    blue, red = add_party(store, "blue"), add_party(store, "red")
    server = serve(**FAST)
    headers = {"Authorization": f"Bearer {blue}"}
    seen: dict[str, int] = {"accepted": 0, "refused": 0}
    accepted: set[str] = set()
    with (
        Bystander(server, red) as calm,
        server.client(blue) as c,
        connect(server.ws_url, additional_headers=headers, max_size=None) as ws,
    ):
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        k = 0
        for field in TRACK_BOUNDS:
            for literal in _literals(field):
                k += 1
                want = _accepted(field, literal)
                where = f"{field} = {literal[:40]}"
                # over HTTP
                r = c.post(
                    "/v1/tracks",
                    content=_body(f"h{k}", field, literal),
                    headers={"Content-Type": "application/json"},
                )
                assert r.status_code < 500, f"{where}: {r.status_code} {r.text}"
                if want:
                    assert r.status_code == 200, f"{where}: {r.text}"
                else:
                    assert r.status_code == 400, f"{where}: {r.text}"
                    message = r.json()["error"]["message"]
                    # the field, or (for what is no JSON number) the body's text
                    assert field in message or message.startswith("body:"), f"{where}: {message}"
                # over the stream
                frame = (
                    f'{{"type": "tracks", "ref": {k}, "tracks": {_body(f"s{k}", field, literal)}}}'
                )
                ws.send(frame)
                reply = _reply(ws)
                if want:
                    assert reply["type"] == "receipt", f"{where}: {reply}"
                else:
                    assert reply["type"] == "error" and reply["status"] == 400, f"{where}: {reply}"
                seen["accepted" if want else "refused"] += 1
                if want:
                    accepted |= {f"h{k}", f"s{k}"}
        # what was refused wrote nothing: only the accepted ids are held
        assert _own_ids(c) == accepted
        # times too: the clock-skew bounds, and no number stands for a time
        for k, when in enumerate(
            ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", iso_now(3600), iso_now(-3600)]
        ):
            r = c.post("/v1/tracks", json=[track(f"t{k}", 35.0, 40.0, 90.0, time=when)])
            assert r.status_code == 400 and "time" in r.json()["error"]["message"], r.text
        for literal in ("1e308", "0", "true", "null"):
            report = track("t", 35.0, 40.0, 90.0)
            body = json.dumps([report]).replace(json.dumps(report["time"]), literal)
            r = c.post("/v1/tracks", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 400 and "time" in r.json()["error"]["message"], r.text
        time.sleep(0.5)  # a detection run or two over the accepted extremes
    assert seen["accepted"] >= 20 and seen["refused"] >= 100, seen
    assert set(calm.statuses) == {200}, calm.statuses
    assert calm.count >= 10, calm.count
    print(f"\nbystander: {calm.count} requests, slowest {calm.slowest * 1000:.0f} ms")
    assert calm.slowest < PROMISE_S, calm.slowest
    # the service is whole: it still answers, and stops when told to
    with server.client(red) as c:
        assert c.get("/v1/log/head").status_code == 200


def test_the_documented_bounds_are_the_ones_enforced() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "service.md").read_text()
    rows = re.findall(r"^\| track `(\w+)`(?:, `(\w+)`)? \| ([^|]+)\|", doc, re.M)
    documented: dict[str, tuple[float, float]] = {}
    for first, second, text in rows:
        ranges = re.findall(r"\[(-?[\d.]+), (-?[\d.]+)\]", text)
        for name, (lo, hi) in zip([first, second], ranges, strict=False):
            documented[name] = (float(lo), float(hi))
    assert documented == {k: (b.lo, b.hi) for k, b in TRACK_BOUNDS.items()}


def _tree_size(client: httpx.Client) -> int:
    return int(client.get("/v1/log/head").json()["tree_size"])


def test_empty_batches_the_track_cap_and_the_frame_limit(store: StoreTarget, serve: Any) -> None:
    blue, red = add_party(store, "blue"), add_party(store, "red")
    server = serve("--max-tracks-per-party", "5", **FAST)
    headers = {"Authorization": f"Bearer {blue}"}
    with server.client(blue) as c:
        # an empty batch names what is wrong and writes nothing, over HTTP and the stream
        size = _tree_size(c)
        r = c.post("/v1/tracks", json=[])
        assert r.status_code == 400 and "empty" in r.json()["error"]["message"], r.text
        with connect(server.ws_url, additional_headers=headers) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            ws.send(json.dumps({"type": "tracks", "ref": 1, "tracks": []}))
            reply = _reply(ws)
            assert reply["type"] == "error" and reply["status"] == 400, reply
            assert "empty" in reply["error"]["message"], reply
        assert _tree_size(c) == size

        # the cap: five live tracks; a sixth is refused whole and writes nothing
        five = [track(f"b{k}", 35.0, 40.0 + k, 90.0) for k in range(5)]
        assert c.post("/v1/tracks", json=five).status_code == 200
        size = _tree_size(c)
        r = c.post("/v1/tracks", json=[track("b0", 35.0, 40.0, 90.0), track("b5", 1.0, 1.0, 0.0)])
        assert r.status_code == 409, r.text
        message = r.json()["error"]["message"]
        assert "at most 5" in message and "blue" in message, message
        assert _tree_size(c) == size
        assert _own_ids(c) == {f"b{k}" for k in range(5)}
        # re-reporting the five is fine; so is the same over the stream; another party
        # has a cap of its own
        assert c.post("/v1/tracks", json=five).status_code == 200
        with connect(server.ws_url, additional_headers=headers) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            ws.send(json.dumps({"type": "tracks", "ref": 2, "tracks": [track("b6", 1, 1, 0)]}))
            reply = _reply(ws)
            assert reply["type"] == "error" and reply["status"] == 409, reply
    with server.client(red) as c:
        assert c.post("/v1/tracks", json=five).status_code == 200

    # a stream frame has the limit of a body (8 MiB): just under it is read and
    # answered, over it closes the stream with 1009 (message too big), and the service
    # goes on
    limit = 8 * 1024 * 1024
    with connect(server.ws_url, additional_headers=headers, max_size=None) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        ws.send(json.dumps({"type": "ping", "pad": "x" * (limit - 100)}))
        assert _reply(ws) == {"type": "pong"}
    with connect(server.ws_url, additional_headers=headers, max_size=None) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        with pytest.raises(ConnectionClosed) as closed:
            ws.send(json.dumps({"type": "tracks", "tracks": [], "pad": "x" * (12 << 20)}))
            while True:
                ws.recv(timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009, closed.value
    with server.client(red) as c:
        assert c.get("/v1/alerts").status_code == 200
