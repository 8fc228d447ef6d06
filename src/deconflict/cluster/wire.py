"""How a call to the service, its answer and its error cross the bus (JSON bytes).

A call is ``{"m": method, "a": [args], "k": {kwargs}}``; its answer ``{"ok": result}``
or ``{"err": {"type", "message"}}``. Only the service's own errors keep their class
(:data:`ERRORS`); any other failure of the recorder is ``{"err": {"type": "fault"}}``,
which the gateway answers as a 500 that says nothing of it. Values are plain JSON and
nothing in them is read as anything else, so no party's text can turn into an object on
the other side; a :class:`~deconflict.service.officers.Principal` travels as
:func:`principal_fields` and is rebuilt by :func:`principal_of`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec

from ..errors import SERVICE_ERRORS, DeconflictError, InvalidInput
from ..service.officers import Principal
from ..service.trackbatch import TrackIn

__all__ = [
    "ERRORS",
    "Fault",
    "decode_answer",
    "decode_call",
    "encode_answer",
    "encode_call",
    "principal_fields",
    "principal_of",
]

ERRORS: dict[str, type[DeconflictError]] = {
    cls.__name__: cls for cls in (*(cls for cls, _ in SERVICE_ERRORS), DeconflictError)
}
"""The errors that keep their class across the bus (by class name): the service's
(:data:`~deconflict.errors.SERVICE_ERRORS`) and their root."""


class Fault(RuntimeError):
    """The recorder failed on a call (the API answers 500 with nothing of the cause)."""


def _builtin(value: Any) -> Any:
    """The JSON of a value the service itself made (a decoded track of a batch)."""
    if isinstance(value, TrackIn):
        return msgspec.to_builtins(value)
    raise TypeError(f"cannot send {type(value).__name__} over the bus")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=_builtin).encode()


def encode_call(method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bytes:
    """The bytes of a call of ``method``."""
    return _dumps({"m": method, "a": list(args), "k": dict(kwargs)})


def decode_call(data: bytes) -> tuple[str, list[Any], dict[str, Any]]:
    """``(method, args, kwargs)`` of a call (:class:`InvalidInput` if malformed)."""
    try:
        doc = json.loads(data)
        method, args, kwargs = doc["m"], doc["a"], doc["k"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"malformed call on the bus: {exc}") from None
    if not (isinstance(method, str) and isinstance(args, list) and isinstance(kwargs, dict)):
        raise InvalidInput("malformed call on the bus")
    return method, args, kwargs


def encode_answer(result: Any = None, error: BaseException | None = None) -> bytes:
    """The bytes of a call's answer: its result, or the error it raised."""
    if error is None:
        return _dumps({"ok": result})
    if isinstance(error, DeconflictError) and type(error).__name__ in ERRORS:
        return _dumps({"err": {"type": type(error).__name__, "message": str(error)}})
    return _dumps({"err": {"type": "fault", "message": ""}})


def decode_answer(data: bytes) -> Any:
    """The result of an answer, or raise its error (:class:`Fault` for a fault)."""
    doc = json.loads(data)
    if "err" not in doc:
        return doc["ok"]
    err = doc["err"]
    cls = ERRORS.get(err.get("type", ""))
    if cls is None:
        raise Fault("the recorder failed on this call")
    raise cls(err.get("message", ""))


def principal_fields(who: Principal) -> dict[str, Any]:
    """A principal as JSON."""
    return {"party": who.party, "officer": who.officer, "role": who.role}


def principal_of(doc: Mapping[str, Any]) -> Principal:
    """The principal :func:`principal_fields` sent."""
    return Principal(doc["party"], doc.get("officer"), doc.get("role"))
