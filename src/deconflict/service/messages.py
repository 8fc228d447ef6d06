"""Free-text messages between parties: who sent what to whom, and when.

The store keeps each message (:class:`MessageStore`); a party reads those it sent or
that were sent to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..errors import InvalidInput
from .clock import iso

__all__ = ["MAX_TEXT", "MessageStore", "Messages"]

MAX_TEXT = 4000
"""Longest message, in characters."""


class MessageStore(Protocol):
    """Where messages are kept (:class:`~deconflict.store.records.ServiceStore`)."""

    def add_message(self, id: str, body: dict[str, Any], at: float) -> None:
        """Keep a message (inside the write's own transaction)."""
        ...

    def messages(self) -> list[dict[str, Any]]:
        """Every message, oldest first."""
        ...


def check_message(to: Any, text: Any) -> tuple[list[str], str]:
    """Validate the recipients and the text of a message; :class:`InvalidInput` naming
    what is wrong."""
    if not isinstance(to, list) or not to or not all(isinstance(p, str) for p in to):
        raise InvalidInput("to: a non-empty list of party names")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise InvalidInput(f"text: a non-empty string of at most {MAX_TEXT} characters")
    return to, text


class Messages:
    """The messages of ``store``, in memory (the service's lock guards them)."""

    def __init__(self, store: MessageStore) -> None:
        self.store = store
        self.items: list[dict[str, Any]] = []

    def load(self) -> None:
        self.items = self.store.messages()

    def compose(
        self,
        party: str,
        to: Iterable[str],
        text: str,
        now: float,
        new_id: Callable[[], str],
        reachable: Callable[[str], bool],
    ) -> dict[str, Any]:
        """``party``'s message to ``to`` (each another active party, ``reachable``),
        with a fresh id."""
        unknown = sorted(p for p in set(to) if not reachable(p) or p == party)
        if unknown:
            raise InvalidInput(f"to: not another known party: {', '.join(unknown)}")
        return {"id": new_id(), "from": party, "to": sorted(set(to)), "text": text, "at": iso(now)}

    def save(self, message: dict[str, Any], now: float) -> None:
        """Keep ``message`` (inside the transaction that logs it)."""
        self.store.add_message(str(message["id"]), message, now)

    def apply(self, message: dict[str, Any]) -> None:
        """Take the message in, once written."""
        self.items.append(message)

    def for_party(self, party: str) -> list[dict[str, Any]]:
        """The messages ``party`` sent or was sent."""
        return [m for m in self.items if m["from"] == party or party in m["to"]]
