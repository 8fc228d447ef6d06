"""A party's request rate holds across the gateways: spreading its requests over two
gateways gets it its rate, not twice it (the recorder counts every gateway's requests)."""

from __future__ import annotations

import time

import httpx


def test_a_party_spreading_over_two_gateways_gets_its_rate_once(rated_cluster):
    cluster = rated_cluster
    urls = [g.url for g in cluster.gateways]
    blue = {"Authorization": f"Bearer {cluster.tokens['blue']}"}
    red = {"Authorization": f"Bearer {cluster.tokens['red']}"}
    t0 = time.monotonic()
    codes = []
    for k in range(30):
        r = httpx.get(urls[k % 2] + "/v1/channel", headers=blue, timeout=30)
        codes.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
            assert r.json()["error"]["code"] == "rate_limited"
    elapsed = time.monotonic() - t0
    allowed = codes.count(200)
    assert set(codes) == {200, 429}
    # a burst of 6 and 2 a second, over both gateways together (each alone would have
    # let through 6 + 2 per second of its own)
    assert allowed <= 6 + 2 * elapsed + 1, (allowed, elapsed)
    # the calm party is not slowed by the flooder
    assert httpx.get(urls[1] + "/v1/channel", headers=red, timeout=30).status_code == 200
