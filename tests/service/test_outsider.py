"""An outsider (no token) against a real server: no file outside the shipped page is
served, whatever the path; every response carries the security headers; the OpenAPI
description is served but no page that loads scripts from another host."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from servicekit import StoreTarget, add_party

pytestmark = pytest.mark.slow


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET ``target`` byte for byte as written (no client normalises the path)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_no_file_outside_the_page_is_served(
    store: StoreTarget, server_factory: Any, tmp_path: Path
) -> None:
    add_party(store, "blue")
    server = server_factory()
    key_files = sorted(p.name for p in store.key_dir.glob("*")) or ["ops.db.key"]
    secret = [f"/proc/self/cwd/{name}" for name in key_files]
    if store.kind == "sqlite":
        secret.append(store.target)
    targets = [
        "/static//etc/passwd",
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc/passwd",
        "/static//proc/self/environ",
        "/static//proc/self/fd/3",
        "/static/js/../../../../../../etc/passwd",
        *[f"/static/{p}" for p in secret],
        *[f"/static/{store.key_dir}/{name}" for name in key_files],
    ]
    for target in targets:
        status, body = _raw_get(server.port, target)
        assert status in (400, 404), (target, status)
        assert b"root:" not in body and b"PRIVATE" not in body, target
    # the page's own files are served
    ok, body = _raw_get(server.port, "/static/js/main.js")
    assert ok == 200 and b"import" in body


def test_security_headers_on_every_response(store: StoreTarget, server_factory: Any) -> None:
    token = add_party(store, "blue")
    server = server_factory()
    with httpx.Client(base_url=server.url, timeout=10) as c:
        responses = [
            c.get("/"),
            c.get("/static/js/main.js"),
            c.get("/static/no-such-file.js"),
            c.get("/openapi.json"),
            c.get("/v1/alerts"),  # refused: no token
            c.get("/v1/alerts", headers={"Authorization": f"Bearer {token}"}),
        ]
        for r in responses:
            csp = r.headers.get("content-security-policy", "")
            assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, r.url
            assert "http" not in csp, "the policy names no other host"
            assert r.headers.get("x-frame-options") == "DENY"
            assert r.headers.get("x-content-type-options") == "nosniff"
            assert r.headers.get("referrer-policy") == "no-referrer"
        assert responses[0].status_code == 200 and "<script" in responses[0].text
        assert responses[2].status_code == 404
        assert responses[2].json()["error"]["code"] == "not_found"
        assert responses[3].status_code == 200 and responses[3].json()["openapi"]
        # no interactive page fetching its scripts from an outside host
        for page in ("/docs", "/redoc"):
            r = c.get(page)
            assert r.status_code == 404
            assert "cdn" not in r.text
