"""schemathesis against the running server's ``/openapi.json``: no request a client can
send makes it fail (no 5xx), and every response matches the schema's status codes."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from servicekit import StoreTarget, add_party, client, track

pytestmark = pytest.mark.slow


def test_no_server_error_on_any_endpoint(store: StoreTarget, server_factory: Any) -> None:
    token = add_party(store, "blue")
    add_party(store, "red")
    # a rate limit high enough that the fuzzer exercises the routes, not the limiter
    server = server_factory(DECONFLICT_RATE_PER_S="100000", DECONFLICT_BURST="100000")
    with client(server, token) as c:
        assert c.post("/v1/tracks", json=[track("b1", 1.0, 1.0, 0.0)]).status_code == 200
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    for op in operations:

        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            response = case.call(base_url=server.url, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} "
                    f"{response.text[:300]}"
                )
            case.validate_response(response, checks=[not_a_server_error])

        run()
    assert failures == []
