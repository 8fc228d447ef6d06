"""Every error as DESIGN's JSON body ``{"error": {"code", "message"}}`` with its status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    Conflict,
    DeconflictError,
    DiskFull,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreError,
    VerificationError,
)
from ..service.auth import Unauthenticated

__all__ = ["ApiError", "error_response", "install_error_handlers", "status_of"]

log = logging.getLogger("deconflict.api")

_STATUS: tuple[tuple[type[DeconflictError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 400),
    (DiskFull, 507),
    (StoreError, 503),
    (VerificationError, 500),
)


class ApiError(DeconflictError):
    """An error the HTTP layer itself raises, with its status and code."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def status_of(exc: DeconflictError) -> int:
    """The HTTP status of one of our exceptions."""
    if isinstance(exc, ApiError):
        return exc.status
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _where(loc: Any) -> str:
    """A pydantic location as a path: ``("body", 3, "lat")`` -> ``body[3].lat``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Map our exceptions, request validation, HTTP errors and faults to DESIGN's body."""

    @app.exception_handler(DeconflictError)
    async def _ours(request: Request, exc: DeconflictError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        headers = getattr(exc, "headers", None)
        if status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return error_response(status, exc.code, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        message = f"{_where(first.get('loc', ()))}: {first.get('msg', 'invalid')}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        return error_response(400, "invalid_input", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            400: "invalid_input",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
        }
        return error_response(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception) -> JSONResponse:
        log.exception("fault on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "the service failed; the request was not applied")
