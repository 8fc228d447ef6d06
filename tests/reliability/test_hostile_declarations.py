"""The bounds of declarations (positions, strikes, volumes, zones) against a real
``deconflict serve`` (docs/service.md, "Bounds"): every number of every kind answered 400
naming the field when it is out of its physical range or no number at all (an integer no
float holds, NaN, Infinity, a string, a boolean), accepted when it is within, never 5xx;
texts, vertices, a zone's area and a party's declarations bounded; what is refused writes
nothing. Throughout, another party's requests are answered within the line's promise of
1 s."""

from __future__ import annotations

import copy
import json
import math
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.bounds import DECLARATION_BOUNDS, TRACK_BOUNDS
from servicekit import StoreTarget, add_party, iso_now, track

pytestmark = pytest.mark.slow

FAST = {"DECONFLICT_RATE_PER_S": "100000", "DECONFLICT_BURST": "100000"}
PROMISE_S = 1.0
"""No request makes another party wait longer than this (docs/security.md)."""

HUGE_INT = "1" + "0" * 400
LITERALS = [
    "1e308", "-1e308", "1.7976931348623157e308", "1e400", "-1e400", "5e-324", "-5e-324",
    "2.2250738585072014e-308", "0", "-0", "0.0", "-0.0", "1e20", "-1e20", "-1", HUGE_INT,
    "-" + HUGE_INT, "1" + "0" * 5000, "NaN", "Infinity", "-Infinity", '"250"', '""', "true",
    "false", "null", "[]", "{}", "[1]",
]  # fmt: skip
"""JSON texts put in place of one number: extremes, non-numbers, and what Python's
parser takes that JSON does not."""


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _square(lon: float, lat: float, side: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side]]
    return {"type": "Polygon", "coordinates": [[*ring, [lon, lat]]]}


def _ring(n: int, lon: float = 40.0, lat: float = 35.0, r: float = 0.05) -> list[list[float]]:
    """A closed ring of ``n`` vertices (``n + 1`` positions) on a small circle."""
    pts = [
        [
            round(lon + r * math.cos(2 * math.pi * k / n), 6),
            round(lat + r * math.sin(2 * math.pi * k / n), 6),
        ]
        for k in range(n)
    ]
    return [*pts, pts[0]]


def _feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _templates() -> dict[str, tuple[str, dict[str, Any]]]:
    """A valid declaration of each kind with every numeric property: (endpoint, feature)."""
    t0, t1 = iso_now(600), iso_now(4200)
    return {
        "position": ("/v1/positions", _feature(
            _point(40.0, 35.0), id="p", kind="forces", radius_m=500,
        )),
        "strike": ("/v1/intents", _feature(
            _point(40.0, 35.0), id="s", kind="strike", radius_m=500, margin_m=1000,
            start=t0, end=t1,
        )),
        "volume": ("/v1/intents", _feature(
            _square(40.0, 35.0, 0.5), id="v", kind="volume", alt_min_m=1000, alt_max_m=5000,
            start=t0, end=t1,
        )),
        "circle-volume": ("/v1/intents", _feature(
            _point(40.0, 35.0), id="cv", kind="volume", radius_m=5000, alt_min_m=0,
            alt_max_m=5000, start=t0, end=t1,
        )),
        "zone": ("/v1/zones", _feature(
            _square(40.0, 35.0, 0.5), id="z", status="claimed", parties=["blue"],
            rules=[{"party": "*", "action": "notify", "lead_s": 600}], alt_min_m=0,
            alt_max_m=20000,
        )),
        "circle-zone": ("/v1/zones", _feature(
            _point(40.0, 35.0), id="cz", status="claimed", parties=["blue"], radius_m=5000,
            rules=[{"party": "*", "action": "forbid", "lead_s": 0}],
        )),
    }  # fmt: skip


def _numeric_paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(doc, bool):
        return []
    if isinstance(doc, int | float):
        return [path]
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _numeric_paths(v, (*path, k))]
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in _numeric_paths(v, (*path, i))]
    return []


def _body(feature: dict[str, Any], path: tuple[Any, ...], literal: str) -> str:
    """``feature`` with the number at ``path`` replaced by the JSON text ``literal``."""
    doc = copy.deepcopy(feature)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = "@@"
    return json.dumps(doc).replace('"@@"', literal)


def _field(path: tuple[Any, ...]) -> str:
    if path[0] == "geometry":
        return "geometry"
    if path[1] == "rules":
        return f"rules[{path[2]}].{path[3]}"
    return str(path[1])


def _bound(kind: str, path: tuple[Any, ...]) -> Any:
    """The documented bound of the number at ``path`` (None: a coordinate of a polygon,
    whose changes may also make the shape invalid)."""
    name = _field(path)
    if name == "geometry":
        if path[-2] != "coordinates":  # a polygon's vertex
            return None
        return TRACK_BOUNDS["lon" if path[-1] == 0 else "lat"]
    if name.startswith("rules"):
        return DECLARATION_BOUNDS["lead_s"]
    if name in ("alt_min_m", "alt_max_m"):
        return DECLARATION_BOUNDS["alt_m"]
    return DECLARATION_BOUNDS[name]


def _number(literal: str) -> float | None:
    """The float a JSON number ``literal`` stands for; None if it is none (or no float
    holds it)."""

    def refuse(name: str) -> Any:
        raise ValueError(name)

    try:
        value = json.loads(literal, parse_constant=refuse)
    except ValueError:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        x = float(value)
    except OverflowError:
        return None
    return x if math.isfinite(x) else None


def _tree_size(client: httpx.Client) -> int:
    return int(client.get("/v1/log/head").json()["tree_size"])


class Bystander:
    """Another party's ordinary traffic meanwhile: GET /v1/alerts, GET /v1/zones and (with
    ``writes``) a one-track report, one after the other; the slowest answer and every
    status kept. Without ``writes`` it adds nothing to the log, so a test can see that a
    refused request wrote nothing."""

    def __init__(self, server: Any, token: str, *, writes: bool = False) -> None:
        self.client = server.client(token, timeout=30.0)
        self.writes = writes
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
            calls = [lambda: self.client.get("/v1/alerts"), lambda: self.client.get("/v1/zones")]
            if self.writes:
                calls.append(self._report)
            for call in calls:
                t0 = time.perf_counter()
                r = call()
                self.slowest = max(self.slowest, time.perf_counter() - t0)
                self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
                self.count += 1
            time.sleep(0.02)

    def _report(self) -> httpx.Response:
        return self.client.post("/v1/tracks", json=[track("calm", 35.2, 40.2, 270.0)])

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)
        self.client.close()


def _post(client: httpx.Client, path: str, body: str) -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": "application/json"})


def test_every_number_of_every_declaration_is_bounded(store: StoreTarget, serve: Any) -> None:
    blue, red = add_party(store, "blue"), add_party(store, "red")
    server = serve(**FAST)
    seen = {"accepted": 0, "refused": 0}
    templates = _templates()
    with Bystander(server, red) as calm, server.client(blue) as c:
        for kind, (endpoint, feature) in templates.items():
            paths = _numeric_paths(feature)
            assert paths, kind
            for path in paths:
                bound = _bound(kind, path)
                for literal in LITERALS:
                    where = f"{kind} {_field(path)} = {literal[:40]}"
                    size = _tree_size(c)
                    r = _post(c, endpoint, _body(feature, path, literal))
                    assert r.status_code < 500, f"{where}: {r.status_code} {r.text}"
                    x = _number(literal)
                    if r.status_code == 200:
                        # accepted: a number within its documented bound (null: an open
                        # altitude bound or the default lead time)
                        seen["accepted"] += 1
                        if literal != "null":
                            assert x is not None, f"{where}: accepted {r.text}"
                            assert bound is None or x in bound, f"{where}: accepted"
                        continue
                    seen["refused"] += 1
                    assert r.status_code == 400, f"{where}: {r.text}"
                    message = r.json()["error"]["message"]
                    # the field, or (for what is no JSON number at all) the body
                    assert _field(path) in message or message.startswith("body"), (
                        f"{where}: {message}"
                    )
                    assert len(message) < 600, f"{where}: the message echoes the value"
                    assert _tree_size(c) == size, f"{where}: a refused request wrote"
    assert seen["accepted"] >= 50 and seen["refused"] >= 500, seen
    assert set(calm.statuses) == {200}, calm.statuses
    print(f"\nbystander: {calm.count} requests, slowest {calm.slowest * 1000:.0f} ms; {seen}")
    assert calm.slowest < PROMISE_S, calm.slowest


def test_texts_vertices_and_area_are_bounded(store: StoreTarget, serve: Any) -> None:
    blue, red = add_party(store, "blue"), add_party(store, "red")
    server = serve(**FAST)
    templates = _templates()
    _, zone = templates["zone"]
    _, volume = templates["volume"]

    def variant(base: dict[str, Any], geometry: Any = None, **props: Any) -> dict[str, Any]:
        out = copy.deepcopy(base)
        if geometry is not None:
            out["geometry"] = geometry
        out["properties"].update(props)
        return out

    polygon = {"type": "Polygon", "coordinates": None}
    refused = [
        ("/v1/zones", variant(zone, name="n" * 1_000_000), "name", "at most 200"),
        ("/v1/positions", variant(templates["position"][1], name="n" * 201), "name", "200"),
        ("/v1/zones", variant(zone, id="i" * 65), "id", "at most 64"),
        ("/v1/intents", variant(volume, note="n" * 1_000_000), "note", "at most 1000"),
        ("/v1/zones", variant(zone, parties=["blue", *(f"p{k}" for k in range(100))]),
         "parties", "at most 100"),
        ("/v1/zones", variant(zone, {**polygon, "coordinates": [_ring(1001)]}),
         "geometry", "1001 vertices; at most 1000"),
        ("/v1/intents", variant(volume, {**polygon, "coordinates": [_ring(10_001)]}),
         "geometry", "10001 vertices; at most 10000"),
        # a zone's area: a square of 1 degree at 35° N (10,066 km²), a circle of 60 km
        # (11,310 km²), and a side-of-a-line zone cut from a region larger than the bound
        ("/v1/zones", variant(zone, _square(40.0, 35.0, 1.0)), "geometry", "10,066 km²"),
        ("/v1/zones", variant(templates["circle-zone"][1], radius_m=60_000),
         "geometry", "11,310 km²"),
        ("/v1/zones", variant(zone, {"type": "LineString", "coordinates": [[40.5, 34.9],
                                                                           [40.5, 36.1]]},
                              side="west", within=_square(40.0, 35.0, 1.5)),
         "within", "at most 10,000 km²"),
    ]  # fmt: skip
    with Bystander(server, red) as calm, server.client(blue) as c:
        for endpoint, doc, field, says in refused:
            size = _tree_size(c)
            r = c.post(endpoint, json=doc)
            assert r.status_code == 400, f"{field}: {r.status_code} {r.text[:300]}"
            message = r.json()["error"]["message"]
            assert field in message and says in message, message
            assert len(message) < 600, message
            assert _tree_size(c) == size, f"{field}: a refused request wrote"
        # at the bounds: accepted
        accepted = [
            ("/v1/zones", variant(zone, {**polygon, "coordinates": [_ring(1000)]}, id="z1k",
                                  name="n" * 200)),
            ("/v1/intents", variant(volume, {**polygon, "coordinates": [_ring(10_000)]},
                                    id="v10k", note="n" * 1000)),
            ("/v1/zones", variant(templates["circle-zone"][1], id="tanf", radius_m=55_000)),
            ("/v1/zones", variant(zone, _square(40.0, 35.0, 0.9), id="sq")),
        ]  # fmt: skip
        for endpoint, doc in accepted:
            r = c.post(endpoint, json=doc)
            assert r.status_code == 200, r.text[:300]
        # nothing refused reached the other party: its alerts are the accepted four
        with server.client(red) as other:
            alerts = other.get("/v1/alerts").json()["alerts"]
        assert sorted(a["subjects"][0] for a in alerts if a["kind"] == "declaration") == [
            "sq", "tanf", "v10k", "z1k",
        ]  # fmt: skip
    assert set(calm.statuses) == {200}, calm.statuses
    assert calm.slowest < PROMISE_S, calm.slowest


def test_the_operator_sets_the_bounds(store: StoreTarget, serve: Any) -> None:
    """Flags and environment: a cap of 5 declarations a party, 10 vertices a zone, 100 km²."""
    blue, red = add_party(store, "blue"), add_party(store, "red")
    server = serve(
        "--max-declarations-per-party", "5", "--max-zone-vertices", "10",
        DECONFLICT_MAX_ZONE_AREA_M2="1e8", **FAST,
    )  # fmt: skip
    _, position = _templates()["position"]
    _, zone = _templates()["zone"]

    def positions(*ids: str) -> dict[str, Any]:
        feats = []
        for i in ids:
            f = copy.deepcopy(position)
            f["properties"]["id"] = i
            feats.append(f)
        return {"type": "FeatureCollection", "features": feats}

    with server.client(blue) as c:
        assert c.post("/v1/positions", json=positions("a", "b", "c", "d")).status_code == 200
        size = _tree_size(c)
        # a request taking blue past 5 is refused whole, and writes nothing
        r = c.post("/v1/positions", json=positions("a", "e", "f"))
        assert r.status_code == 409, r.text
        message = r.json()["error"]["message"]
        assert "at most 5" in message and "blue" in message, message
        assert _tree_size(c) == size
        assert {f["properties"]["id"] for f in c.get("/v1/positions").json()["features"]} == {
            "a", "b", "c", "d",
        }  # fmt: skip
        # replacing what it holds is fine, and so is a fifth; a sixth of any kind is not
        assert c.post("/v1/positions", json=positions("a", "b", "e")).status_code == 200
        small = _square(40.0, 35.0, 0.05)  # 25 km²
        r = c.post("/v1/zones", json={**zone, "geometry": small})
        assert r.status_code == 409, r.text
        assert _tree_size(c) > size
    with server.client(red) as c:
        # another party has a cap of its own; and the operator's vertex and area bounds
        own = {**zone, "properties": {**zone["properties"], "parties": ["red"]}}
        size = _tree_size(c)
        r = c.post(
            "/v1/zones",
            json={**own, "geometry": {"type": "Polygon", "coordinates": [_ring(11, r=0.01)]}},
        )
        assert r.status_code == 400 and "at most 10 per zone" in r.text, r.text
        r = c.post("/v1/zones", json={**own, "geometry": _square(40.0, 35.0, 0.2)})  # 405 km²
        assert r.status_code == 400 and "at most 100 km²" in r.text, r.text
        assert _tree_size(c) == size
        r = c.post("/v1/zones", json={**own, "geometry": small})
        assert r.status_code == 200, r.text


def test_hostile_declarations_keep_the_line_for_others(store: StoreTarget, serve: Any) -> None:
    """While one party sends the largest declarations the service takes and many it
    refuses (a 180,000-vertex zone, a 1 MB name, 400-digit numbers), another party's
    requests are answered within 1 s."""
    blue, red = add_party(store, "blue"), add_party(store, "red")
    server = serve(**FAST)
    _, zone = _templates()["zone"]
    _, volume = _templates()["volume"]
    ring = _ring(180_000, r=0.5)
    hostile = [
        ("/v1/zones", json.dumps({**zone, "geometry": {"type": "Polygon",
                                                       "coordinates": [ring]}})),
        ("/v1/zones", json.dumps({**zone, "properties": {**zone["properties"],
                                                         "name": "n" * 1_000_000}})),
        ("/v1/intents", _body(volume, ("properties", "alt_max_m"), HUGE_INT)),
        ("/v1/zones", json.dumps({**zone, "geometry": _square(40.0, 35.0, 3.0)})),
    ]  # fmt: skip
    stop = threading.Event()
    counts = {"accepted": 0, "refused": 0, "5xx": 0}

    def flood(worker: int) -> None:
        k = 0
        with server.client(blue, timeout=60.0) as c:
            while not stop.is_set():
                k += 1
                if k % 3 == 0:  # the largest accepted: a 10,000-vertex volume, a new id
                    big = {
                        **volume,
                        "geometry": {"type": "Polygon", "coordinates": [_ring(10_000, r=0.2)]},
                    }
                    big["properties"] = {**volume["properties"], "id": f"v{worker}-{k}"}
                    r = c.post("/v1/intents", json=big)
                else:
                    path, body = hostile[k % len(hostile)]
                    r = _post(c, path, body)
                key = "5xx" if r.status_code >= 500 else (
                    "accepted" if r.status_code == 200 else "refused"
                )  # fmt: skip
                counts[key] += 1

    workers = [threading.Thread(target=flood, args=(w,), daemon=True) for w in range(2)]
    with Bystander(server, red, writes=True) as calm:
        for w in workers:
            w.start()
        time.sleep(10.0)
        stop.set()
        for w in workers:
            w.join(120)
    print(f"\nhostile: {counts}; bystander: {calm.count} requests, slowest "
          f"{calm.slowest * 1000:.0f} ms")  # fmt: skip
    assert counts["5xx"] == 0, counts
    assert counts["accepted"] >= 3 and counts["refused"] >= 6, counts
    assert set(calm.statuses) == {200}, calm.statuses
    assert calm.count >= 20, calm.count
    assert calm.slowest < PROMISE_S, calm.slowest


def test_the_documented_bounds_are_the_ones_enforced() -> None:
    """docs/service.md's rows for declarations give the bounds the code holds."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "service.md").read_text()
    rows = re.findall(r"^\| declaration `(\w+)`(?:, `(\w+)`)? \| ([^|]+)\|", doc, re.M)
    documented: dict[str, tuple[float, float]] = {}
    for first, second, text in rows:
        found = re.findall(r"\[(-?[\d,.]+), (-?[\d,.]+)\]", text)
        for name, (lo, hi) in zip([first, second], found * 2, strict=False):
            documented[name] = (float(lo.replace(",", "")), float(hi.replace(",", "")))
    bounds = {**DECLARATION_BOUNDS}
    bounds["alt_min_m"] = bounds["alt_max_m"] = bounds.pop("alt_m")
    del bounds["time_s"]  # documented as ISO 8601 text, checked by the unit tests
    want = {k: (b.lo, b.hi) for k, b in bounds.items()}
    assert {k: documented.get(k) for k in want} == want, documented
