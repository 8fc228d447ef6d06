"""The cluster's alerts are the single node's: the recorded ADS-B traffic, split between
two parties, reported to both through the same API, raises the same alerts."""

from __future__ import annotations

import csv
import gzip
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cluster.clusterkit import drop_database, fresh_database
from cluster.conftest import Cluster
from servicekit import Server, StoreTarget, add_party

EXCERPT = Path(__file__).parents[1] / "data" / "adsb" / "switzerland_1345.csv.gz"
SETTINGS = ("--h-sep", "30000", "--v-sep", "1000", "--lookahead", "300")
LOOKAHEAD_S = 300.0


def latest_states() -> list[dict[str, Any]]:
    """Each aircraft's last state in the excerpt, as if reported a second ago."""
    with gzip.open(EXCERPT, "rt") as f:
        rows = list(csv.DictReader(f))
    last: dict[str, dict[str, str]] = {}
    for row in rows:
        last[row["icao24"]] = row
    at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    fields = ("lat", "lon", "alt_m", "gs_mps", "track_deg", "vs_mps")
    return [
        {"id": icao, "time": at, **{k: float(r[k]) for k in fields}}
        for icao, r in sorted(last.items())
    ]


def alerts(url: str, token: str) -> list[dict[str, Any]]:
    r = httpx.get(url + "/v1/alerts", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return [a for a in r.json()["alerts"] if a["kind"] == "separation"]


def settled(url: str, token: str) -> list[dict[str, Any]]:
    """The alerts once their count has not changed for 2 s."""
    seen, since = -1, time.monotonic()
    while True:
        now = alerts(url, token)
        if len(now) != seen:
            seen, since = len(now), time.monotonic()
        elif time.monotonic() - since > 2.0:
            return now
        time.sleep(0.25)


def test_the_recorded_day_raises_the_same_alerts_on_a_cluster_and_a_single_node(
    tmp_path, postgres_url
):
    single_store = StoreTarget("postgres", fresh_database(postgres_url), tmp_path / "k1")
    single_tokens = {p: add_party(single_store, p) for p in ("blue", "red")}
    single = Server(single_store, tmp_path / "single.log", args=SETTINGS).start()
    cluster = Cluster(tmp_path / "c", postgres_url, extra=SETTINGS)
    try:
        cluster.start()
        states = latest_states()
        by_party = {"blue": states[0::2], "red": states[1::2]}
        gateways = [g.url for g in cluster.gateways]
        for i, (party, tracks) in enumerate(by_party.items()):
            for url, token in (
                (single.url, single_tokens[party]),
                (gateways[i], cluster.tokens[party]),
            ):
                r = httpx.post(
                    url + "/v1/tracks",
                    json=tracks,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                assert r.status_code == 200, r.text
        one = settled(single.url, single_tokens["red"])
        many = settled(gateways[0], cluster.tokens["red"])
        assert len(one) >= 3, "the excerpt must raise some alerts at these settings"

        def keys(found: list[dict[str, Any]], margin_s: float) -> set[tuple[str, ...]]:
            # away from the lookahead's edge (the two ran at moments apart)
            return {tuple(a["subjects"]) for a in found if a["t"] < LOOKAHEAD_S - margin_s}

        assert keys(one, 20) <= keys(many, 0) and keys(many, 20) <= keys(one, 0)
        for a in one:
            match = [b for b in many if b["subjects"] == a["subjects"]]
            if match:
                assert match[0]["parties"] == a["parties"]
                assert abs(match[0]["t"] - a["t"]) < 10.0
    finally:
        cluster.stop()
        single.stop()
        drop_database(single_store.target)
