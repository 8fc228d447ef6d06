"""One error body: every refusal, from any layer, is made by ``failure_of``."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError
from hypothesis import given
from hypothesis import strategies as st
from starlette.exceptions import HTTPException

from deconflict.api.errors import (
    FAULT,
    ApiError,
    Failure,
    failure_of,
    rate_limited,
    status_of,
    too_large,
)
from deconflict.errors import (
    Conflict,
    DeconflictError,
    DiskFull,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreError,
    VerificationError,
)
from deconflict.service.auth import Unauthenticated


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InvalidInput("tracks[0].lat: 95.0 is outside [-90, 90] deg"), 400, "invalid_input"),
        (Unauthenticated("unknown or revoked token"), 401, "unauthenticated"),
        (Forbidden("not yours"), 403, "forbidden"),
        (NotFound("no alert 'x'"), 404, "not_found"),
        (Conflict("party 'blue' holds 20000 live tracks"), 409, "conflict"),
        (DiskFull("the disk is full"), 507, "disk_full"),
        (StoreError("the database is unreachable"), 503, "store_error"),
        (VerificationError("the log does not verify"), 500, "verification_failed"),
        (DeconflictError("something of ours"), 500, "error"),
        (ApiError(418, "teapot", "short and stout"), 418, "teapot"),
    ],
)
def test_our_exceptions_keep_their_status_code_and_message(
    exc: DeconflictError, status: int, code: str
) -> None:
    failure = failure_of(exc)
    assert (failure.status, failure.code, failure.message) == (status, code, str(exc))
    assert status_of(exc) == status
    assert failure.body() == {"error": {"code": code, "message": str(exc)}}


def test_unauthenticated_asks_for_a_bearer_token() -> None:
    assert failure_of(Unauthenticated("missing bearer token")).headers == {
        "WWW-Authenticate": "Bearer"
    }
    assert failure_of(InvalidInput("x")).headers == {}


def test_a_fault_says_nothing_of_itself() -> None:
    failure = failure_of(RuntimeError("password=hunter2 at /srv/secret"))
    assert failure == Failure(500, "internal", FAULT)
    assert "hunter2" not in str(failure.body())
    assert failure_of(KeyError("k"), fault="on this message").message == "on this message"


def test_framework_errors_get_our_codes() -> None:
    assert failure_of(HTTPException(404, "Not Found")).code == "not_found"
    assert failure_of(HTTPException(405, "Method Not Allowed")).code == "method_not_allowed"
    assert failure_of(HTTPException(413)).code == "too_large"
    assert failure_of(HTTPException(418, headers={"X-A": "b"})).headers == {"X-A": "b"}
    assert failure_of(HTTPException(418)).code == "http_error"


def test_request_validation_names_the_first_field_and_counts_the_others() -> None:
    errors = [
        {"loc": ("body", "to", 0), "msg": "String should have at least 1 character"},
        {"loc": ("body", "text"), "msg": "Field required"},
    ]
    failure = failure_of(RequestValidationError(errors))
    assert failure.status == 400 and failure.code == "invalid_input"
    assert failure.message == "body.to[0]: String should have at least 1 character (and 1 more)"


def test_too_large_names_the_bound() -> None:
    failure = failure_of(too_large(8 * 1024 * 1024))
    assert (failure.status, failure.code) == (413, "too_large")
    assert failure.message == "body over 8388608 bytes"
    assert too_large(10, "message").args == ("message over 10 bytes",)


@given(st.floats(min_value=1e-9, max_value=1e6))
def test_retry_after_is_whole_seconds_never_before_the_wait(wait: float) -> None:
    failure = failure_of(rate_limited("over the request rate", wait))
    assert (failure.status, failure.code) == (429, "rate_limited")
    seconds = int(failure.headers["Retry-After"])
    assert seconds >= 1 and seconds >= wait


def test_a_stream_error_event_carries_the_same_body_and_status() -> None:
    failure = failure_of(InvalidInput("message: not JSON"))
    assert failure.event(ref=7) == {
        "type": "error",
        "error": {"code": "invalid_input", "message": "message: not JSON"},
        "status": 400,
        "ref": 7,
    }


def test_the_response_is_the_body_status_and_headers() -> None:
    response = failure_of(rate_limited("slow down", 2.2)).response()
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.headers["content-type"] == "application/json"
    assert response.body == b'{"error":{"code":"rate_limited","message":"slow down"}}'
