"""Events to WebSocket subscribers: one bounded queue per connection.

:meth:`Broker.publish` may be called from any thread; delivery happens on the event
loop; an alert goes to an officer's stream once the escalation ladder reaches the
officer's role (:func:`reaches`). A subscriber whose queue is full is dropped with a
reason (it is too slow), so a stalled consumer never delays the others.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Broker", "Subscriber", "reaches"]


def reaches(role: str | None, event: dict[str, Any]) -> bool:
    """Whether ``event`` goes to a stream of an officer with ``role`` (``None``: the
    party's own token, which gets every event): an alert only once the escalation
    ladder has reached that role (its ``reach``)."""
    if role is None or event.get("type") != "alert":
        return True
    return role in event["alert"].get("reach", (role,))


@dataclass(eq=False)
class Subscriber:
    """One open stream of one party (of one of its officers: ``role``)."""

    party: str
    queue: asyncio.Queue[dict[str, Any]]
    role: str | None = None
    dropped: str | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class Broker:
    """Fans out each party's events to its open streams."""

    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self.loop: asyncio.AbstractEventLoop | None = None
        self._subs: dict[str, set[Subscriber]] = {}
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, party: str, role: str | None = None) -> Subscriber:
        sub = Subscriber(party, asyncio.Queue(self.queue_size), role)
        with self._lock:
            self._subs.setdefault(party, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.get(sub.party, set()).discard(sub)

    def count(self, party: str | None = None) -> int:
        with self._lock:
            if party is not None:
                return len(self._subs.get(party, ()))
            return sum(len(s) for s in self._subs.values())

    def publish(self, party: str, event: dict[str, Any]) -> None:
        """Queue ``event`` for every open stream of ``party`` (thread-safe)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(party, event)
        else:
            loop.call_soon_threadsafe(self._deliver, party, event)

    def _drop(self, sub: Subscriber, reason: str) -> None:
        sub.dropped = reason
        sub.closed.set()
        self.unsubscribe(sub)

    def _deliver(self, party: str, event: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.get(party, ()))
        for sub in subs:
            if not reaches(sub.role, event):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(sub, f"too slow: more than {self.queue_size} events waiting")
