"""The host and port of a receiver, mesh or TAK server URL."""

from __future__ import annotations

from urllib.parse import SplitResult

from ..errors import InvalidInput

__all__ = ["host_port"]


def host_port(parts: SplitResult, name: str, example: str = "") -> tuple[str, int]:
    """``(host, port)`` of the split URL ``parts``; :class:`InvalidInput` beginning with
    ``name`` (how the URL was given) for a bad port, or for a missing host or port
    (followed then by ``example``, e.g. ``", e.g. sbs://127.0.0.1"``)."""
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{name}: bad port") from None
    if not parts.hostname or port is None:
        raise InvalidInput(f"{name}: needs HOST:PORT{example}")
    return parts.hostname, port
