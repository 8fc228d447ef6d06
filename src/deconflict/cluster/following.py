"""What the detectors and hotlines share: a stream followed into a queue while they work
from the recorder's copy of something, and that work begun again until told to stop."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from ..errors import DeconflictError
from .bus import NatsBus

__all__ = ["Followed", "keep_running"]

log = logging.getLogger("deconflict.cluster")


class Followed:
    """The messages appended to the stream of ``subject`` from now on, decoded (JSON),
    waiting to be taken; :attr:`woken` is set when one arrives."""

    def __init__(self, bus: NatsBus, subject: str) -> None:
        self.bus = bus
        self.woken = threading.Event()
        self._queue: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._sub = bus.follow_events(self._received, subject=subject)

    def _received(self, data: bytes) -> None:
        self._queue.put(data)
        self.woken.set()

    def take(self) -> list[dict[str, Any]]:
        """Every message arrived since the last call, in order."""
        docs = []
        while True:
            try:
                docs.append(json.loads(self._queue.get_nowait()))
            except queue.Empty:
                return docs

    def wait(self, seconds: float) -> None:
        """Until a message arrives or ``seconds`` pass."""
        self.woken.wait(seconds)
        self.woken.clear()

    def __enter__(self) -> Followed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bus.unfollow(self._sub)


def keep_running(
    session: Callable[[threading.Event], None], stop: threading.Event, who: str
) -> None:
    """Run ``session(stop)`` again and again until ``stop``: after a service error (no
    recorder now) or a defect (logged), a second later."""
    while not stop.is_set():
        try:
            session(stop)
        except DeconflictError as exc:  # no recorder now: wait for one
            log.warning("%s: %s; trying again", who, exc)
            stop.wait(1.0)
        except Exception:  # a defect: said, and started over from a new copy
            log.exception("%s: failed; starting over", who)
            stop.wait(1.0)
