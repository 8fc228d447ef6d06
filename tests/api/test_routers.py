"""The app is its routers, wired by ``create_app`` with the app's own context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.websockets import WebSocketDisconnect

import deconflict.api
from deconflict.api.routes import (
    alerts,
    channel,
    declarations,
    messages,
    meta,
    officers,
    page,
    record,
    status,
    stop,
    stream,
    tracks,
)
from deconflict.service.config import ServiceConfig

DESIGN_ROUTES = {
    ("POST", "/v1/tracks"),
    ("GET", "/v1/tracks"),
    ("POST", "/v1/positions"),
    ("GET", "/v1/positions"),
    ("POST", "/v1/intents"),
    ("GET", "/v1/intents"),
    ("POST", "/v1/zones"),
    ("GET", "/v1/zones"),
    ("POST", "/v1/zones/{zone_id}/consent"),
    ("DELETE", "/v1/positions/{decl_id}"),
    ("DELETE", "/v1/intents/{decl_id}"),
    ("DELETE", "/v1/zones/{decl_id}"),
    ("GET", "/v1/alerts"),
    ("GET", "/v1/alerts/{alert_id}"),
    ("POST", "/v1/alerts/{alert_id}/ack"),
    ("POST", "/v1/messages"),
    ("GET", "/v1/messages"),
    ("GET", "/v1/channel"),
    ("POST", "/v1/channel/suspend"),
    ("POST", "/v1/channel/resume"),
    ("GET", "/v1/status"),
    ("GET", "/v1/meta"),
    ("POST", "/v1/stop"),
    ("GET", "/v1/log/head"),
    ("GET", "/v1/log/inclusion"),
    ("GET", "/v1/log/consistency"),
    ("GET", "/v1/log/export"),
    ("POST", "/v1/log/cosign"),
}

CONCERNS = [
    (declarations.router, ("/v1/positions", "/v1/intents", "/v1/zones")),
    (alerts.router, ("/v1/alerts",)),
    (messages.router, ("/v1/messages",)),
    (channel.router, ("/v1/channel",)),
    (officers.router, ("/v1/officers",)),
    (status.router, ("/v1/status",)),
    (meta.router, ("/v1/meta",)),
    (stop.router, ("/v1/stop",)),
    (record.router, ("/v1/log/",)),
    (stream.router, ("/v1/stream",)),
    (page.router, ("/",)),
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_app_documents_every_route_of_design(make_app: Any) -> None:
    _, http = make_app()
    documented = {
        (method.upper(), path)
        for path, item in http.get("/openapi.json").json()["paths"].items()
        for method in item
    }
    assert documented >= DESIGN_ROUTES
    routed = {
        (method, route.path)
        for router, _ in [*CONCERNS, (tracks.router(10), ())]
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    assert documented == routed


def test_each_router_holds_one_concern() -> None:
    for router, prefixes in CONCERNS:
        paths = [r.path for r in router.routes]
        assert paths and all(p.startswith(prefixes) for p in paths), paths
    assert {r.path for r in tracks.router(10).routes} == {"/v1/tracks"}


def test_no_module_of_the_api_is_over_600_lines() -> None:
    package = Path(deconflict.api.__file__).parent
    lengths = {p.name: len(p.read_text().splitlines()) for p in package.rglob("*.py")}
    assert max(lengths.values()) <= 600, lengths
    assert lengths["app.py"] <= 150


@pytest.mark.parametrize("max_batch", [10_000, 7])
def test_the_documented_tracks_body_is_the_services_bound(make_app: Any, max_batch: int) -> None:
    _, http = make_app(ServiceConfig(max_batch=max_batch))
    body = http.get("/openapi.json").json()["paths"]["/v1/tracks"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert (schema["minItems"], schema["maxItems"]) == (1, max_batch)
    assert {"lat", "lon", "alt_m", "gs_mps", "track_deg", "vs_mps"} <= set(
        schema["items"]["properties"]
    )


def test_no_interactive_docs_page(make_app: Any) -> None:
    _, http = make_app()
    for path in ("/docs", "/redoc"):
        r = http.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_each_app_has_its_own_service_limiter_and_locks(make_app: Any) -> None:
    one, http_one = make_app(ServiceConfig(rate_per_s=0.001, burst=1))
    two, http_two = make_app(ServiceConfig(rate_per_s=0.001, burst=1))
    blue_one, blue_two = one.add_party("blue"), two.add_party("blue")
    assert http_one.get("/v1/channel", headers=bearer(blue_one)).status_code == 200
    refused = http_one.get("/v1/channel", headers=bearer(blue_one))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # the other app's limiter has its own bucket for its own blue, whose token it alone knows
    assert http_two.get("/v1/channel", headers=bearer(blue_one)).status_code == 401
    assert http_two.get("/v1/channel", headers=bearer(blue_two)).status_code == 200


def test_a_body_over_the_limit_is_refused_with_the_one_error_body(make_app: Any) -> None:
    service, http = make_app(max_body_bytes=1000)
    token = service.add_party("blue")
    for content in (b"[" + b" " * 1000 + b"]", iter([b"[", b" " * 1000, b"]"])):
        r = http.post("/v1/tracks", headers=bearer(token), content=content)
        assert r.status_code == 413
        assert r.json() == {"error": {"code": "too_large", "message": "body over 1000 bytes"}}
        assert r.headers["x-content-type-options"] == "nosniff"
    assert service.tracks_of("blue") == []


def test_stream_errors_are_the_one_error_body_with_their_status(make_app: Any) -> None:
    service, http = make_app()
    token = service.add_party("blue")
    with http.websocket_connect("/v1/stream", headers=bearer(token)) as ws:
        assert ws.receive_json()["type"] == "hello"
        for message, text in (
            ([1], "messages are JSON objects"),
            ({"type": "shout"}, "unknown message type 'shout'"),
            ({"type": "tracks", "tracks": [], "ref": "r1"}, "body: an empty list of tracks"),
        ):
            ws.send_json(message)
            reply = ws.receive_json()
            assert reply["type"] == "error" and reply["status"] == 400, reply
            assert reply["error"]["code"] == "invalid_input"
            assert reply["error"]["message"].startswith(text), reply
        assert reply["ref"] == "r1"
        ws.send_text("[1,")
        reply = ws.receive_json()
        assert reply["status"] == 400 and reply["error"]["message"].startswith("message: not JSON")
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_a_stream_without_a_valid_token_is_told_so_and_closed(make_app: Any) -> None:
    _, http = make_app()
    with http.websocket_connect("/v1/stream") as ws:
        ws.send_json({"type": "auth", "token": "dcf_not-a-token"})
        reply = ws.receive_json()
        assert reply == {
            "type": "error",
            "error": {"code": "unauthenticated", "message": "unknown or revoked token"},
            "status": 401,
        }
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
