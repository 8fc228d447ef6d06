"""Signed tree heads and the Ed25519 keys that sign them.

A tree head is the canonical JSON ``{"root_hash": HEX, "timestamp": MS, "tree_size": N}``
(``timestamp`` in milliseconds since 1970-01-01 UTC). The service signs the UTF-8 bytes
of that text with Ed25519; a :class:`SignedTreeHead` keeps the text exactly as signed,
so verification never re-serialises it. Keys and signatures travel as standard base64
of their raw bytes (32 and 64 bytes).

>>> signer = Signer.generate()
>>> head = TreeHead(tree_size=0, root_hash=bytes(32), timestamp_ms=0)
>>> signed = signer.sign_head(head)
>>> signed.verify() == head
True
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..errors import InvalidInput, VerificationError
from .entry import canonical_json
from .hashing import hash_from_hex

__all__ = [
    "SignedTreeHead",
    "Signer",
    "TreeHead",
    "b64decode",
    "b64encode",
    "verify_signature",
]

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def b64encode(data: bytes) -> str:
    """Standard base64 with padding.

    >>> b64encode(b"\\x00\\x01")
    'AAE='
    """
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, what: str) -> bytes:
    """Decode standard base64 strictly; :class:`VerificationError` names ``what`` if it fails."""
    if not isinstance(text, str):
        raise VerificationError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise VerificationError(f"{what} is not valid base64") from exc


def verify_signature(public_key: bytes, message: bytes, signature: bytes, what: str) -> None:
    """Check an Ed25519 signature; raises :class:`VerificationError` naming ``what``."""
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise VerificationError(f"{what}: public key is {len(public_key)} bytes, not 32")
    if len(signature) != SIGNATURE_SIZE:
        raise VerificationError(f"{what}: signature is {len(signature)} bytes, not 64")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError(f"{what}: signature does not verify") from exc


@dataclass(frozen=True)
class TreeHead:
    """Size, root hash and time of the log at one moment."""

    tree_size: int
    root_hash: bytes
    timestamp_ms: int

    def to_json(self) -> str:
        """The canonical JSON text that gets signed.

        >>> text = TreeHead(1, bytes.fromhex("ab" * 32), 5).to_json()
        >>> text == '{"root_hash":"' + "ab" * 32 + '","timestamp":5,"tree_size":1}'
        True
        """
        return canonical_json(
            {
                "tree_size": self.tree_size,
                "root_hash": self.root_hash.hex(),
                "timestamp": self.timestamp_ms,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TreeHead:
        """Parse a tree head's JSON text; :class:`VerificationError` if it is malformed."""
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VerificationError(f"tree head is not JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise VerificationError("tree head is not a JSON object")
        size, root, ts = obj.get("tree_size"), obj.get("root_hash"), obj.get("timestamp")
        for name, value in (("tree_size", size), ("timestamp", ts)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise VerificationError(f"tree head: {name} is not a non-negative integer")
        assert isinstance(size, int) and isinstance(ts, int)
        if not isinstance(root, str):
            raise VerificationError("tree head: root_hash is not a string")
        return cls(size, hash_from_hex(root, "tree head: root_hash"), ts)


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head's exact JSON text, its Ed25519 signature and the signer's public key."""

    sth: str
    signature: bytes
    public_key: bytes

    @property
    def head(self) -> TreeHead:
        """The parsed tree head (not checked against the signature)."""
        return TreeHead.from_json(self.sth)

    def verify(self, public_key: bytes | None = None) -> TreeHead:
        """Check the signature (with ``public_key`` if given); returns the tree head."""
        if public_key is not None and public_key != self.public_key:
            raise VerificationError("tree head: signed by a key that is not the log's key")
        verify_signature(self.public_key, self.sth.encode("utf-8"), self.signature, "tree head")
        return self.head

    def to_dict(self) -> dict[str, str]:
        """``{"sth": TEXT, "signature": BASE64, "public_key": BASE64}``."""
        return {
            "sth": self.sth,
            "signature": b64encode(self.signature),
            "public_key": b64encode(self.public_key),
        }

    def to_line(self) -> str:
        """:meth:`to_dict` as one compact JSON line, keys in that order (the export's last line)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, obj: Any) -> SignedTreeHead:
        """Inverse of :meth:`to_dict`; :class:`VerificationError` if malformed."""
        if not isinstance(obj, dict) or not isinstance(obj.get("sth"), str):
            raise VerificationError("signed tree head: no 'sth' string")
        return cls(
            sth=obj["sth"],
            signature=b64decode(obj.get("signature"), "tree head signature"),
            public_key=b64decode(obj.get("public_key"), "tree head public key"),
        )


class Signer:
    """An Ed25519 private key that signs tree heads and key rotations."""

    __slots__ = ("_key", "public_key")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key: bytes = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def __repr__(self) -> str:
        return f"Signer(public_key={b64encode(self.public_key)!r})"

    @classmethod
    def generate(cls) -> Signer:
        """A fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes) -> Signer:
        """Load an unencrypted PKCS #8 PEM Ed25519 key."""
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"not a PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput("the signing key is not an Ed25519 key")
        return cls(key)

    def to_pem(self) -> bytes:
        """The key as unencrypted PKCS #8 PEM."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of ``message`` (64 bytes)."""
        return self._key.sign(message)

    def sign_head(self, head: TreeHead) -> SignedTreeHead:
        """Sign ``head``'s canonical JSON text."""
        text = head.to_json()
        return SignedTreeHead(text, self.sign(text.encode("utf-8")), self.public_key)
