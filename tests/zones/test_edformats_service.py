"""``POST /v1/zones`` takes ED-269 and ED-318 documents on a real service: the zones are
the caller's claim, the service's bounds hold for them, a refused document writes
nothing, and ``deconflict zones export --service`` writes them back."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.features import parse_features
from deconflict.zoneformats.schemas import validate
from servicekit import Server, StoreTarget, add_party, client

DATA = Path(__file__).parents[2] / "examples" / "zones"
ED269 = json.loads((DATA / "ed269-paris.json").read_text(encoding="utf-8"))
ED318 = json.loads((DATA / "ed318-geneva.json").read_text(encoding="utf-8"))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Server, dict[str, httpx.Client], str]]:
    store = StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")
    tokens = {p: add_party(store, p) for p in ("blue", "red")}
    server = Server(store, tmp_path / "server.log").start()
    clients = {p: client(server, t) for p, t in tokens.items()}
    try:
        yield server, clients, tokens["blue"]
    finally:
        for c in clients.values():
            c.close()
        server.stop()


def _zones(c: httpx.Client) -> dict[str, Any]:
    return {f["properties"]["id"]: f["properties"] for f in c.get("/v1/zones").json()["features"]}


def _tree_size(c: httpx.Client) -> int:
    return int(c.get("/v1/log/head").json()["tree_size"])


def _refused(c: httpx.Client, doc: Any, *fragments: str) -> str:
    before = (_zones(c), _tree_size(c))
    r = c.post("/v1/zones", json=doc)
    assert 400 <= r.status_code < 500, r.text
    message = r.json()["error"]["message"]
    for fragment in fragments:
        assert fragment in message, message
    assert (_zones(c), _tree_size(c)) == before  # nothing written
    return message


def test_ed269_and_ed318_zones_are_the_callers_claim(service) -> None:
    _, c, _ = service
    for doc in (ED269, ED318):
        r = c["blue"].post("/v1/zones", json=doc)
        assert r.status_code == 200, r.text
        assert "receipt" in r.json()
    zones = _zones(c["red"])
    assert sorted(zones) == sorted(["LFPG1", "LFPB2", "BVIN3", "LSGG1", "GVA-UN", "NAT-5"])
    cdg = zones["LFPG1"]
    assert (cdg["status"], cdg["owner"], cdg["parties"]) == ("claimed", "blue", ["blue"])
    assert cdg["rules"] == [{"party": "*", "action": "forbid", "lead_s": 0.0}]
    assert cdg["alt_max_m"] == pytest.approx(609.6) and cdg["radius_m"] == pytest.approx(5000, 1)
    assert zones["GVA-UN"]["rules"][0] == {"party": "*", "action": "notify", "lead_s": 600.0}
    assert zones["LSGG1"]["imported_from"] == "ED-318"


def test_agl_and_schema_errors_are_refused_with_nothing_written(service) -> None:
    _, c, _ = service
    doc = copy.deepcopy(ED318)
    doc["features"][2]["geometry"]["geometries"][1]["layer"]["upperReference"] = "AGL"
    _refused(c["blue"], doc, "zone 2 (identifier 'NAT-5')", "AGL")
    doc = copy.deepcopy(ED269)
    doc["features"][1]["geometry"][0]["uomDimensions"] = "KM"
    _refused(c["blue"], doc, "features[1].geometry[0].uomDimensions", "ED-269")


def test_the_services_bounds_hold_for_converted_zones(service) -> None:
    _, c, _ = service
    # 1,001 vertices in one zone
    ring = [[2.0 + 0.001 * k, 48.0 + 0.0001 * (k % 2)] for k in range(1001)]
    ring += [[2.5, 48.5], ring[0]]
    doc = copy.deepcopy(ED269)
    doc["features"] = doc["features"][1:2]
    doc["features"][0]["geometry"][0]["horizontalProjection"]["coordinates"] = [ring]
    _refused(c["blue"], doc, "vertices", "the service's bound")
    # a circle of 100 km: more than 10,000 km²
    doc = copy.deepcopy(ED318)
    doc["features"] = doc["features"][:1]
    doc["features"][0]["geometry"]["extent"]["radius"] = 100_000
    _refused(c["blue"], doc, "km²", "the service's bound")
    # more zones than a request may hold
    doc = copy.deepcopy(ED318)
    one = doc["features"][0]
    doc["features"] = [
        {**one, "properties": {**one["properties"], "identifier": f"Z{k}"}} for k in range(1001)
    ]
    _refused(c["blue"], doc, "at most 1000 per request")


def test_hostile_documents_are_answered_4xx(service) -> None:
    _, c, _ = service
    _refused(c["blue"], {"features": "all"}, "ED-269")
    _refused(c["blue"], {"features": [{"identifier": ["x"] * 10}]}, "features[0]")
    doc = copy.deepcopy(ED269)
    doc["features"][0]["geometry"][0]["upperLimit"] = 10**30
    _refused(c["blue"], doc, "upperLimit", "outside")
    deep = "[" * 100_000 + "]" * 100_000
    before = _tree_size(c["blue"])
    r = c["blue"].post(
        "/v1/zones",
        content='{"features": [{"identifier": "X", "extendedProperties": ' + deep + "}]}",
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= r.status_code < 500 and _tree_size(c["blue"]) == before


def test_export_from_the_service(service) -> None:
    server, c, token = service
    assert c["blue"].post("/v1/zones", json=ED318).status_code == 200
    out = subprocess.run(
        [sys.executable, "-m", "deconflict.cli", "zones", "export", "--service", server.url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DECONFLICT_TOKEN": token},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    validate(doc, "ed318", "out")
    again = parse_features(doc, party="blue").zones
    assert [z.id for z in again] == ["GVA-UN", "LSGG1", "NAT-5"]
    assert parse_features(ED318, party="blue").zones == tuple(
        sorted(again, key=lambda z: ["LSGG1", "GVA-UN", "NAT-5"].index(z.id))
    )
