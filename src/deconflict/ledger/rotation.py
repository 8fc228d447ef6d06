"""Key rotation: an entry of the log, signed by the key it retires.

A rotation is the entry ``{"kind": "key-rotation", "party": "deconflict", "public_key": NEW,
"statement": TEXT, "signature": SIG, ...}`` where ``TEXT`` is the canonical JSON
``{"previous_public_key": OLD, "public_key": NEW, "root_hash": HEX, "tree_size": N}``:
``N`` is the entry's own index and ``HEX`` the root of the ``N`` entries before it, and
``SIG`` is the old key's Ed25519 signature of ``TEXT``'s UTF-8 bytes (keys and signature
in base64). Tree heads up to size ``N`` are signed by the old key, from ``N + 1`` on by
the new one; a verifier that starts from the first key follows the chain. The log adds
``index``, ``prev_hash``, ``time`` and, when it salts its entries, ``salt`` (which the
statement does not cover: the entry's hash does).

>>> old, new = Signer.generate(), Signer.generate()
>>> fields = rotation_fields(old, new.public_key, 0, bytes(32))
>>> check_rotation(fields, 0, old.public_key, bytes(32)) == (old.public_key, new.public_key)
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import VerificationError
from .entry import canonical_json
from .signing import Signer, b64decode, b64encode, verify_signature

__all__ = ["ROTATION_KIND", "SERVICE_PARTY", "check_rotation", "rotation_fields"]

ROTATION_KIND = "key-rotation"
"""``kind`` of a key rotation entry."""

SERVICE_PARTY = "deconflict"
"""``party`` of the entries the service writes itself (key rotations, alerts,
notifications). Logs written before this name was shared carry ``"service"`` on their
rotations; verification does not depend on it."""


def rotation_fields(
    old: Signer, new_public_key: bytes, tree_size: int, root_hash: bytes
) -> dict[str, Any]:
    """The fields of a rotation entry at index ``tree_size`` (the log adds the rest)."""
    statement = canonical_json(
        {
            "previous_public_key": b64encode(old.public_key),
            "public_key": b64encode(new_public_key),
            "root_hash": root_hash.hex(),
            "tree_size": tree_size,
        }
    )
    return {
        "kind": ROTATION_KIND,
        "party": SERVICE_PARTY,
        "public_key": b64encode(new_public_key),
        "statement": statement,
        "signature": b64encode(old.sign(statement.encode("utf-8"))),
    }


def check_rotation(
    entry: Mapping[str, Any], index: int, current_key: bytes | None, root_before: bytes | None
) -> tuple[bytes, bytes]:
    """Check a rotation entry at ``index``; returns ``(previous_key, new_key)``.

    ``current_key`` is the key in force before it, or ``None`` when the verifier does not
    know it yet (the rotation then names the first key). ``root_before`` is the root of
    the entries before it (``None``: not checked). Raises
    :class:`~deconflict.errors.VerificationError` when the statement does not match the
    entry or its signature does not verify.
    """
    statement = entry.get("statement")
    if not isinstance(statement, str):
        raise VerificationError("key rotation: no statement")
    try:
        fields = json.loads(statement)
    except json.JSONDecodeError as exc:
        raise VerificationError("key rotation: statement is not JSON") from exc
    if not isinstance(fields, dict):
        raise VerificationError("key rotation: statement is not a JSON object")
    if fields.get("public_key") != entry.get("public_key"):
        raise VerificationError("key rotation: statement names another new key")
    if fields.get("tree_size") != index:
        raise VerificationError("key rotation: statement is for another position in the log")
    if root_before is not None and fields.get("root_hash") != root_before.hex():
        raise VerificationError("key rotation: statement is for another log")
    previous = b64decode(fields.get("previous_public_key"), "key rotation: previous key")
    new = b64decode(fields.get("public_key"), "key rotation: new key")
    if len(new) != 32:
        raise VerificationError("key rotation: new key is not 32 bytes")
    if current_key is not None and previous != current_key:
        raise VerificationError("key rotation: signed by a key that is not the log's key")
    signature = b64decode(entry.get("signature"), "key rotation: signature")
    verify_signature(previous, statement.encode("utf-8"), signature, "key rotation")
    return previous, new
