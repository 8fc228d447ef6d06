"""The JSON Schemas of ED-269 and ED-318 (package data) and validation against them.

``schemas/ed269.schema.json`` and ``schemas/ed318.schema.json`` follow the standards'
data models as the ``uas-standards`` package encodes them (their ``$comment`` says what
each is written from). A document that does not validate raises
:class:`~deconflict.errors.InvalidInput` naming the path that was wrong, e.g.
``features[0].geometry[0].uomDimensions``.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from ..errors import InvalidInput
from ..model import shown

__all__ = ["FORMATS", "schema", "validate"]

FORMATS = {"ed269": "ED-269", "ed318": "ED-318"}
"""The formats by their short name, with the standard's name."""

_MAX_ERRORS = 64
"""Errors looked at to pick the most telling one (a hostile document may hold millions)."""


@cache
def schema(fmt: str) -> dict[str, Any]:
    """The JSON Schema of ``fmt`` (``ed269`` or ``ed318``)."""
    text = resources.files(__package__).joinpath(f"schemas/{fmt}.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(fmt: str) -> jsonschema.protocols.Validator:
    s = schema(fmt)
    cls = jsonschema.validators.validator_for(s)
    cls.check_schema(s)
    return cls(s)


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _what(error: ValidationError) -> str:
    """The error in a few words, echoing at most a short piece of the value."""
    v, value, schema_ = error.validator, error.instance, error.schema
    if not isinstance(schema_, dict):
        schema_ = {}
    if v == "additionalProperties" and isinstance(value, dict):
        allowed = set(schema_.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        if extra:
            return f"unknown member {shown(extra[0])}"
    if v == "type":
        want = schema_.get("type")
        kinds = " or ".join(want) if isinstance(want, list) else str(want)
        return f"must be of type {kinds}, got {shown(value)}"
    if v in ("enum", "const"):
        allowed_values = schema_.get("enum", [schema_.get("const")])
        return f"must be one of {', '.join(map(repr, allowed_values))}, got {shown(value)}"
    if v in ("maxLength", "minLength") and isinstance(value, str):
        return f"{len(value)} characters; must be {v[:3]} {error.validator_value}"
    if v in ("maxItems", "minItems") and isinstance(value, list):
        return f"{len(value)} items; must be {v[:3]} {error.validator_value}"
    if v == "required":
        return error.message
    if v == "pattern":
        return f"{shown(value)} does not match {error.validator_value}"
    if v == "not":
        return "holds members that cannot go together"
    text = error.message
    return text if len(text) <= 200 else text[:197] + "..."


def validate(doc: Any, fmt: str, source: str) -> None:
    """Raise :class:`InvalidInput` unless ``doc`` is a valid ``fmt`` document; the
    message names ``source``, the standard and the path at fault."""
    try:
        errors = list(itertools.islice(_validator(fmt).iter_errors(doc), _MAX_ERRORS))
        error = best_match(errors)
    except RecursionError:
        raise InvalidInput(f"{source}: nested too deeply for an {FORMATS[fmt]} document") from None
    if error is None:
        return
    where = _path(error.absolute_path)
    zone = _identifier(doc, list(error.absolute_path))
    raise InvalidInput(
        f"{source}: not a valid {FORMATS[fmt]} document: {where}{zone}: {_what(error)}"
    )


def _identifier(doc: Any, path: list[Any]) -> str:
    """`` (identifier 'X')`` of the zone the path is in, when it has one."""
    if len(path) < 2 or path[0] != "features" or not isinstance(path[1], int):
        return ""
    try:
        feature = doc["features"][path[1]]
        props = feature.get("properties", feature) if "type" in doc else feature
        ident = props.get("identifier")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""
    return f" (identifier {shown(ident)})" if isinstance(ident, str) else ""
