"""The exceptions deconflict raises.

One root, a shallow tree::

    DeconflictError
    ├── InvalidInput      bad data from a user or a file (CLI exit 2, HTTP 400/422)
    ├── NotFound          a named thing does not exist (HTTP 404)
    ├── Unauthenticated   no token, or one that names no active party (HTTP 401)
    ├── Forbidden         the caller may not do this (HTTP 403)
    ├── Conflict          the request clashes with the current state (HTTP 409)
    ├── StoreError        the store failed or holds something unexpected
    │   └── DiskFull      the store's disk is full: nothing was written (HTTP 507)
    ├── Unavailable       a part the request needs is not answering now (HTTP 503)
    └── VerificationError a log, proof, receipt or signature does not verify (CLI exit 1)

Adapters translate foreign exceptions into these with ``raise Ours(...) from exc``.
:data:`SERVICE_ERRORS` lists the ones a request to the service may end in, with their
HTTP status: the API answers with it, and the cluster's bus carries them by class name.
"""

from __future__ import annotations

__all__ = [
    "SERVICE_ERRORS",
    "Conflict",
    "DeconflictError",
    "DiskFull",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "StoreError",
    "Unauthenticated",
    "Unavailable",
    "VerificationError",
]


class DeconflictError(Exception):
    """Root of every error deconflict raises on purpose."""

    code = "error"


class InvalidInput(DeconflictError, ValueError):
    """Input that cannot be accepted; the message names what and where."""

    code = "invalid_input"


class NotFound(DeconflictError, LookupError):
    """A named thing does not exist."""

    code = "not_found"


class Unauthenticated(DeconflictError):
    """No token, or a token that names no active party (HTTP 401)."""

    code = "unauthenticated"


class Forbidden(DeconflictError):
    """The caller is not allowed to do this."""

    code = "forbidden"


class Conflict(DeconflictError):
    """The request clashes with the current state."""

    code = "conflict"


class StoreError(DeconflictError):
    """The store failed or returned something unexpected."""

    code = "store_error"


class DiskFull(StoreError):
    """The store's disk (or its quota) is full: the write was refused whole."""

    code = "disk_full"


class Unavailable(DeconflictError):
    """A part of the service that the request needs is not answering now (in cluster
    mode: the recorder is changing over); nothing was receipted, retry shortly."""

    code = "unavailable"


class VerificationError(DeconflictError):
    """Something that must verify (a log, a proof, a signature) does not."""

    code = "verification_failed"


SERVICE_ERRORS: tuple[tuple[type[DeconflictError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 400),
    (DiskFull, 507),
    (StoreError, 503),
    (Unavailable, 503),
    (VerificationError, 500),
)
"""The errors a request to the service may end in, each with its HTTP status, a
subclass before its base (the first class an error is an instance of gives its status;
any other :class:`DeconflictError` is a 500). The cluster's bus carries exactly these,
and :class:`DeconflictError` itself, by class name."""
