"""Hostile input on every endpoint of ``/openapi.json`` and on the WebSocket: malformed
JSON, huge and deeply nested bodies, wrong types, unicode edge cases. The answer is a
JSON error with a 4xx status (or a success for what is valid), never a 5xx, never a hang;
a string holding NUL or half of a surrogate pair is always refused.

A stalled WebSocket reader is dropped, with a reason, while another party's stream keeps
its latency."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from reliability.relkit import RawStream, percentile
from servicekit import StoreTarget, Stream, add_party, iso_now, track

pytestmark = pytest.mark.slow

FAST = {"DECONFLICT_RATE_PER_S": "100000", "DECONFLICT_BURST": "100000"}

EDGE_STRINGS = [
    "\ud800",  # a lone high surrogate
    "\udfff",  # a lone low surrogate
    "ok\ud83d",  # half an emoji at the end
    "\x00",
    "nul\x00inside",
    "\u202ereversed\u202c",  # right-to-left override
    "\u200f\u0627\u0644\u0631\u0642\u0629",  # RTL mark, Arabic
    "\U0001f6e9\ufe0f\U0001f4a5",  # 4-byte emoji with a variation selector
    "\ufeffbom",
    "\uffff\ufffe",
    "e\u0301\u0301\u0301",
    "",
    " " * 3,
    "x" * 70_000,
]
"""Strings no body field trusts: the first five must be refused wherever they appear."""

BAD = re.compile("[\x00\ud800-\udfff]")

EDGE_VALUES: list[Any] = [
    *EDGE_STRINGS,
    None,
    True,
    0,
    -1,
    2**64,
    1e308,
    -0.0,
    [],
    {},
    [[[[[[[[]]]]]]]],
    {"": {"": {"": None}}},
]


def _templates() -> dict[tuple[str, str], Any]:
    """A valid body for every operation that takes one."""
    point = {"type": "Point", "coordinates": [40.1, 35.1]}
    return {
        ("POST", "/v1/tracks"): [track("b1", 35.0, 40.0, 90.0)],
        ("POST", "/v1/positions"): {
            "type": "Feature",
            "geometry": point,
            "properties": {"id": "camp", "kind": "protected", "radius_m": 300},
        },
        ("POST", "/v1/intents"): {
            "type": "Feature",
            "geometry": point,
            "properties": {
                "id": "s1",
                "kind": "strike",
                "radius_m": 500,
                "start": iso_now(600),
                "end": iso_now(900),
            },
        },
        ("POST", "/v1/zones"): {
            "type": "Feature",
            "geometry": point,
            "properties": {
                "id": "z1",
                "status": "claimed",
                "parties": ["blue", "red"],
                "radius_m": 5000,
                "rules": [{"party": "*", "action": "notify", "lead_s": 60}],
            },
        },
        ("POST", "/v1/alerts/{alert_id}/ack"): {"response": "roger", "text": "heard"},
        ("POST", "/v1/messages"): {"to": ["red"], "text": "hello"},
        ("POST", "/v1/channel/suspend"): {"reason": "maintenance"},
        ("POST", "/v1/channel/resume"): {"reason": "back"},
        ("POST", "/v1/stop"): {"subject": "s1", "text": "stop it now"},
        ("POST", "/v1/log/cosign"): {
            "sth": '{"root_hash":"' + "ab" * 32 + '","timestamp":1,"tree_size":1}',
            "public_key": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
            "signature": "7xeco8GsjZrNs0va+OpdmyG6aH3JmbQqoHUDkX8yDN6wSC+3AORJvS4GbaI5xgc+"
            "ebAk1MlPdmJOSznSIHF/Dg==",
        },
    }


def _paths(doc: Any) -> list[list[Any]]:
    """Every path to a value inside a JSON document (lists by index, objects by key)."""
    out: list[list[Any]] = [[]]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += [[k, *p] for p in _paths(v)]
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += [[i, *p] for p in _paths(v)]
    return out


def _replace(doc: Any, path: list[Any], value: Any) -> Any:
    if not path:
        return value
    doc = json.loads(json.dumps(doc))
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


def _has_bad_text(doc: Any) -> bool:
    if isinstance(doc, str):
        return BAD.search(doc) is not None
    if isinstance(doc, dict):
        return any(_has_bad_text(k) or _has_bad_text(v) for k, v in doc.items())
    if isinstance(doc, list):
        return any(_has_bad_text(v) for v in doc)
    return False


@st.composite
def bodies(draw: st.DrawFn, template: Any) -> tuple[bytes, bool]:
    """A body for an endpoint whose valid body is ``template``: ``(bytes, must_refuse)``."""
    kind = draw(
        st.sampled_from(["field", "field", "field", "key", "raw", "truncated", "deep", "huge"])
    )
    if kind == "field":
        path = draw(st.sampled_from(_paths(template)))
        value = draw(st.sampled_from(EDGE_VALUES))
        doc = _replace(template, path, value)
        return json.dumps(doc).encode(), _has_bad_text(value)
    if kind == "key":
        paths = [p for p in _paths(template) if p and isinstance(p[-1], str)]
        path = draw(st.sampled_from(paths)) if paths else []
        bad = draw(st.sampled_from(EDGE_STRINGS[:5]))
        doc = json.loads(json.dumps(template))
        node = doc
        for step in path[:-1]:
            node = node[step]
        if isinstance(node, dict):
            node[bad] = 1
            return json.dumps(doc).encode(), True
        return json.dumps(bad).encode(), True
    if kind == "raw":
        raw = draw(st.binary(max_size=200))
        try:
            json.loads(raw)
        except (ValueError, RecursionError):
            return raw, raw != b""  # no body at all may be fine (resume takes none)
        return raw, False
    if kind == "truncated":
        text = json.dumps(template).encode()
        cut = draw(st.integers(1, max(1, len(text) - 1)))
        return text[:cut], True
    if kind == "deep":
        depth = draw(st.sampled_from([100, 2_000, 100_000, 1_000_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * depth + "1" + closer * depth).encode(), depth > 100
    # huge: a valid shape with one enormous string (under the 8 MiB body limit)
    path = draw(st.sampled_from([p for p in _paths(template) if p] or [[]]))
    return json.dumps(_replace(template, path, "\U0001f4a5" * 400_000)).encode(), False


def _error_shape(r: httpx.Response) -> None:
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)


def _ids() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(EDGE_STRINGS[:-1]),
        st.text(max_size=30),
        st.just("al-0000000000000000"),
    )


def test_every_endpoint_refuses_hostile_bodies(store: StoreTarget, serve: Any) -> None:
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = serve(**FAST)
    spec = httpx.get(server.url + "/openapi.json").json()
    operations = [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    ]
    templates = _templates()
    with_body = [op for op in operations if "requestBody" in spec["paths"][op[1]][op[0].lower()]]
    assert with_body and all(op in templates for op in with_body), "a template for each body"
    seen: dict[tuple[str, str], int] = {}

    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        method, path = data.draw(st.sampled_from(operations))
        url = path
        for name in re.findall(r"{(\w+)}", path):
            url = url.replace(
                "{" + name + "}",
                urllib.parse.quote(data.draw(_ids()).encode("utf-8", "surrogatepass"), safe=""),
            )
        template = templates.get((method, path))
        if template is None:
            content, refuse = b"", False
            if "log/" in path:
                url += "?" + urllib.parse.urlencode(
                    {"index": data.draw(st.integers(-5, 2**70)), "first": 0}
                )
        else:
            content, refuse = data.draw(bodies(template))
        try:
            with server.client(tokens["blue"], timeout=20.0) as client:
                r = client.request(
                    method, url, content=content, headers={"Content-Type": "application/json"}
                )
        except httpx.TimeoutException as exc:
            raise AssertionError(f"{method} {url}: no answer in 20 s") from exc
        seen[(method, path)] = seen.get((method, path), 0) + 1
        assert r.status_code < 500, f"{method} {url} {content[:200]!r}: {r.status_code} {r.text}"
        if refuse:
            assert 400 <= r.status_code < 500, f"{method} {url} {content[:200]!r}: {r.text}"
        if r.status_code >= 400:
            _error_shape(r)

    run()
    assert len(seen) >= len(operations) // 2, seen
    # the service is still whole: a plain request works and the log verifies
    with server.client(tokens["red"]) as c:
        assert c.post("/v1/tracks", json=[track("r1", 1.0, 1.0, 0.0)]).status_code == 200
        assert c.get("/v1/log/head").status_code == 200


def _frames() -> st.SearchStrategy[str | bytes]:
    valid = {"type": "tracks", "ref": 1, "tracks": [track("w1", 35.0, 40.0, 90.0)]}
    text_docs = st.one_of(
        st.builds(
            lambda p, v: json.dumps(_replace(valid, p, v)),
            st.sampled_from(_paths(valid)),
            st.sampled_from(EDGE_VALUES),
        ),
        st.builds(
            lambda k: json.dumps({"type": "tracks", "tracks": [], "idempotency_key": k}),
            st.sampled_from(EDGE_STRINGS[:-1]),
        ),
        st.text(max_size=100),
        st.sampled_from(["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000]),
        st.just(json.dumps({"type": "ping"})),
        st.just(json.dumps({"type": "nope"})),
        st.just("null"),
    )
    return st.one_of(text_docs, st.binary(max_size=100))


def test_websocket_refuses_hostile_frames(store: StoreTarget, serve: Any) -> None:
    token = add_party(store, "blue")
    add_party(store, "red")
    server = serve(**FAST)
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(frame=_frames())
    def run(frame: str | bytes) -> None:
        # each frame on a fresh stream, answered; the stream stays open and answers a ping
        with connect(server.ws_url, additional_headers=headers, max_size=None) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            try:
                ws.send(frame)
                reply = json.loads(ws.recv(timeout=10))
                ws.send(json.dumps({"type": "ping"}))
                pong = json.loads(ws.recv(timeout=10))
            except (TimeoutError, ConnectionClosed) as exc:
                raise AssertionError(f"frame {frame[:100]!r}: {exc!r}") from exc
        assert pong == {"type": "pong"}
        assert reply["type"] in ("error", "receipt", "pong"), reply
        try:
            parsed = json.loads(frame) if isinstance(frame, str) else None
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(frame, bytes) or _has_bad_text(parsed):
            assert reply["type"] == "error" and 400 <= reply.get("status", 400) < 500, reply
        if reply["type"] == "error":
            assert set(reply["error"]) == {"code", "message"}

    run()
    # authentication refuses hostile first frames with an error and a close, never a crash
    for first in ["[" * 100_000 + "]" * 100_000, b"\xff\x00", '{"type":"auth","token":"\\ud800"}']:
        with connect(server.ws_url, open_timeout=10, max_size=None) as anon:
            anon.send(first)
            reply = json.loads(anon.recv(timeout=10))
            assert reply["type"] == "error" and reply["error"]["code"] == "unauthenticated"
            with pytest.raises(ConnectionClosed) as closed:
                anon.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_stalled_reader_is_dropped_while_others_keep_their_latency(
    store: StoreTarget, serve: Any
) -> None:
    tokens = {p: add_party(store, p) for p in ("talker", "live", "stalled")}
    server = serve(**FAST)
    live = Stream(server.url, tokens["live"])
    live.wait_for(lambda e: e["type"] == "hello")
    arrived: dict[str, float] = {}
    started: dict[str, float] = {}
    talker = server.client(tokens["talker"])

    def watch() -> None:
        while live.closed is None:
            with live._cond:
                for e in live.events:
                    if e["type"] == "message" and e["message"]["text"][:12] not in arrived:
                        arrived[e["message"]["text"][:12]] = time.perf_counter()
                live.events.clear()
                live._cond.wait(0.05)

    threading.Thread(target=watch, daemon=True).start()

    def say(k: int, to: list[str], filler: str) -> None:
        key = f"m{k:011d}"
        started[key] = time.perf_counter()
        r = talker.post("/v1/messages", json={"to": to, "text": key + filler})
        assert r.status_code == 200, r.text

    def latencies(keys: range) -> list[float]:
        deadline = time.monotonic() + 30
        want = [f"m{k:011d}" for k in keys]
        while any(k not in arrived for k in want) and time.monotonic() < deadline:
            time.sleep(0.05)
        missing = [k for k in want if k not in arrived]
        assert not missing, f"{len(missing)} messages never reached the live stream"
        return [(arrived[k] - started[k]) * 1000 for k in want]

    for k in range(60):
        say(k, ["live"], "")
    before = latencies(range(60))

    stalled = RawStream(server.url, tokens["stalled"])  # reads nothing from here on
    big = "\U0001f4a5" * 3900  # ~16 KB a message event
    n = 2000
    for k in range(60, 60 + n):
        say(k, ["live", "stalled"], big)
    for k in range(60 + n, 120 + n):
        say(k, ["live"], "")
    during = latencies(range(60, 60 + n))
    after = latencies(range(60 + n, 120 + n))

    # the stalled reader reads again: what is left ends with why it was dropped
    frames = list(stalled.frames())
    opcode, payload = frames[-1]
    assert opcode == 0x8 and int.from_bytes(payload[:2], "big") == 4408, frames[-1]
    last = json.loads(frames[-2][1])
    received = sum(1 for op, _ in frames if op == 0x1)
    assert last.get("type") == "closed" and "too slow" in str(last.get("reason")), last
    assert received < n, "events past the bounded queue were dropped, not kept"
    stalled.close()
    live.close()
    talker.close()
    print(
        f"\nlive stream event latency, ms: before p50 {percentile(before, 0.5):.1f} "
        f"p99 {percentile(before, 0.99):.1f}; while a reader stalls p50 "
        f"{percentile(during, 0.5):.1f} p99 {percentile(during, 0.99):.1f}; after p50 "
        f"{percentile(after, 0.5):.1f} p99 {percentile(after, 0.99):.1f}"
    )
    # the live party's latency is that of the writes themselves, not of the stalled reader
    assert percentile(after, 0.5) < 3 * percentile(before, 0.5) + 50
    assert percentile(during, 0.5) < 3 * percentile(before, 0.5) + 100


@pytest.mark.parametrize("mark", ["\u202e", "\u200f", "\x07", "\u2028"])
def test_ids_are_printable_everywhere(store: StoreTarget, serve: Any, mark: str) -> None:
    """An id with a direction override, a control or a line separator could show as
    another party's id: refused for tracks and for every declaration alike."""
    token = add_party(store, "blue")
    add_party(store, "red")
    server = serve(**FAST)
    bad = f"camp{mark}1"
    with server.client(token) as c:
        r = c.post("/v1/tracks", json=[track(bad, 35.0, 40.0, 90.0)])
        assert r.status_code == 400 and ".id" in r.json()["error"]["message"], r.text
        for path, body in _templates().items():
            if path[1] in ("/v1/positions", "/v1/intents", "/v1/zones"):
                doc = json.loads(json.dumps(body))
                doc["properties"]["id"] = bad
                r = c.post(path[1], json=doc)
                assert r.status_code == 400, r.text
                assert "properties.id" in r.json()["error"]["message"], r.text


@pytest.mark.parametrize("parties", [[{}], [["blue"]], "blue red", [1, "blue"], {"a": 1}])
def test_zone_parties_of_the_wrong_type_are_refused(
    store: StoreTarget, serve: Any, parties: Any
) -> None:
    """Found by the generated bodies: a zone whose ``parties`` held an object was a 500."""
    token = add_party(store, "blue")
    server = serve(**FAST)
    zone = json.loads(json.dumps(_templates()[("POST", "/v1/zones")]))
    zone["properties"]["parties"] = parties
    with server.client(token) as c:
        r = c.post("/v1/zones", json=zone)
        assert r.status_code == 400, r.text
        assert "parties" in r.json()["error"]["message"], r.text
