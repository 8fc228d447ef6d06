"""Every error as DESIGN's JSON body ``{"error": {"code", "message"}}`` with its status.

:func:`failure_of` is the one place an exception becomes a :class:`Failure` (status,
code, message, headers such as ``Retry-After`` and ``WWW-Authenticate``); an HTTP
response and a stream's ``error`` event are both made from it. The message names what
was wrong and, for a value out of bounds, the bound.

>>> from deconflict.errors import NotFound
>>> failure_of(NotFound("no alert 'x'")).body()
{'error': {'code': 'not_found', 'message': "no alert 'x'"}}
>>> rate_limited("over the request rate", 0.2).headers
{'Retry-After': '1'}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import SERVICE_ERRORS, DeconflictError, Unavailable

__all__ = [
    "FAULT",
    "ApiError",
    "Failure",
    "failure_of",
    "install_error_handlers",
    "rate_limited",
    "status_of",
    "too_large",
]

log = logging.getLogger("deconflict.api")

FAULT = "the service failed; the request was not applied"
"""The message of a fault of the service (500): it says nothing of the fault itself."""

_HTTP_CODES = {400: "invalid_input", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
"""Codes of the errors the framework itself raises (routing, methods)."""


class ApiError(DeconflictError):
    """An error the HTTP layer itself raises, with its status and code."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def rate_limited(message: str, wait_s: float) -> ApiError:
    """429 ``rate_limited``; ``Retry-After`` is ``wait_s`` (seconds until the caller's
    next request is free) rounded up, at least 1."""
    return ApiError(429, "rate_limited", message, {"Retry-After": str(max(1, round(wait_s + 0.5)))})


def too_large(limit: int, what: str = "body") -> ApiError:
    """413 ``too_large``: a body (or a stream message) over ``limit`` bytes."""
    return ApiError(413, "too_large", f"{what} over {limit} bytes")


def status_of(exc: DeconflictError) -> int:
    """The HTTP status of one of our exceptions."""
    if isinstance(exc, ApiError):
        return exc.status
    for cls, status in SERVICE_ERRORS:
        if isinstance(exc, cls):
            return status
    return 500


@dataclass(frozen=True)
class Failure:
    """One refused request: what every error response and error event is made from."""

    status: int
    code: str
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """DESIGN's error body."""
        return {"error": {"code": self.code, "message": self.message}}

    def response(self) -> JSONResponse:
        """The HTTP response: the body, the status and the headers."""
        return JSONResponse(self.body(), status_code=self.status, headers=dict(self.headers))

    def event(self, **extra: Any) -> dict[str, Any]:
        """The stream's ``error`` event: ``{"type": "error", "error", "status", **extra}``
        (``extra`` is e.g. the ``ref`` of the message it answers)."""
        return {"type": "error", **self.body(), "status": self.status, **extra}


def _where(loc: Any) -> str:
    """A pydantic location as a path: ``("body", 3, "lat")`` -> ``body[3].lat``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def _invalid_request(exc: RequestValidationError) -> str:
    """The first validation error, located, and how many more there are."""
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    message = f"{_where(first.get('loc', ()))}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return message


def failure_of(exc: BaseException, *, fault: str = FAULT) -> Failure:
    """What ``exc`` tells the client: our own exceptions with their status and code,
    request validation as 400 naming the field, the framework's HTTP errors, and
    anything else as a 500 saying ``fault`` only."""
    if isinstance(exc, DeconflictError):
        status = status_of(exc)
        headers = exc.headers if isinstance(exc, ApiError) else {}
        if status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, Unavailable):
            headers = {"Retry-After": "1"}
        return Failure(status, exc.code, str(exc), headers)
    if isinstance(exc, RequestValidationError):
        return Failure(400, "invalid_input", _invalid_request(exc))
    if isinstance(exc, StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return Failure(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))
    return Failure(500, "internal", fault)


def install_error_handlers(app: FastAPI) -> None:
    """Answer our exceptions, request validation, HTTP errors and faults with
    :func:`failure_of`'s response (a 5xx is logged)."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        failure = failure_of(exc)
        if failure.code == "internal":
            log.error("fault on %s %s", request.method, request.url.path, exc_info=exc)
        elif failure.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return failure.response()

    for kind in (DeconflictError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, handle)
