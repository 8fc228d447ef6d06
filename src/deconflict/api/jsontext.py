"""JSON from clients: parsed with an error that says what is wrong, and its strings
checked for what no store can keep.

A JSON text may spell characters as ``\\uXXXX`` escapes, among them NUL (which PostgreSQL
text cannot hold) and one half of a surrogate pair (which is no character at all, so no
UTF-8 ledger entry can hold it). Both are refused wherever they appear, in keys and in
values. Only a text with a ``\\u`` escape can carry them, so a text without one is not
walked: a large batch of plain tracks costs one substring search.

Numbers are JSON's: ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's parser would
take) are refused. Integers stay exact, up to Python's limit of 4,300 digits (longer
ones are refused); the check of each field bounds them, and refuses those too large
for a float (a 400-digit altitude answers 400, never 500). An exponent too large for a
float (``1e400``) reads as infinity and is refused by the same checks.

>>> parse_json('{"text": "hello"}')
{'text': 'hello'}
>>> parse_json('{"to": ["red"], "text": "a\\\\u0000b"}')
Traceback (most recent call last):
...
deconflict.errors.InvalidInput: body.text: NUL characters are not accepted in text
>>> parse_json('[{"alt_m": NaN}]')
Traceback (most recent call last):
...
deconflict.errors.InvalidInput: body: NaN is not a JSON number (numbers are finite)
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from ..errors import InvalidInput

__all__ = ["check_text", "parse_json"]

_REFUSED = re.compile("[\x00\ud800-\udfff]")


def _escapes(raw: bytes | str) -> bool:
    return (b"\\u" in raw) if isinstance(raw, bytes) else ("\\u" in raw)


def parse_json(raw: bytes | str, where: str = "body") -> Any:
    """The JSON document in ``raw``; :class:`InvalidInput` naming ``where`` if it is not
    JSON, nests too deeply for the parser, or holds a refused character."""
    try:
        doc = json.loads(raw, parse_constant=_no_constant)
    except _NotJson as exc:
        raise InvalidInput(f"{where}: {exc} is not a JSON number (numbers are finite)") from None
    except RecursionError as exc:
        raise InvalidInput(f"{where}: JSON nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        if "integer string conversion" in str(exc):
            raise InvalidInput(
                f"{where}: an integer of more than {sys.get_int_max_str_digits()} digits"
            ) from None
        raise InvalidInput(f"{where}: not JSON ({exc})") from exc
    if _escapes(raw):
        check_text(doc, where)
    return doc


class _NotJson(Exception):
    """A literal Python's parser takes and JSON does not."""


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


def _bad(text: str) -> str | None:
    found = _REFUSED.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "NUL characters are not accepted in text"
    return "half of a UTF-16 surrogate pair is not a character"


def check_text(doc: Any, where: str = "body") -> None:
    """:class:`InvalidInput` naming a key or string of ``doc`` (a parsed JSON
    document) that holds NUL or a lone surrogate."""
    stack: list[tuple[Any, str]] = [(doc, where)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            problem = _bad(value)
            if problem:
                raise InvalidInput(f"{path}: {problem}")
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _bad(key)
                if problem:
                    raise InvalidInput(f"{path}: a key: {problem}")
                stack.append((item, f"{path}.{key}"))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
