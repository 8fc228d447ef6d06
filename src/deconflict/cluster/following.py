"""What the detectors and hotlines share: a stream followed into a queue while they work
from the recorder's copy of something, that work begun again until told to stop, and
the :class:`Worker` they both are."""

from __future__ import annotations

import json
import logging
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from ..errors import DeconflictError, InvalidInput
from ..service.config import ServiceConfig
from .bus import NatsBus
from .members import DETECTORS_SUBJECT, Members
from .remote import RemoteService

__all__ = ["Followed", "Worker", "keep_running"]

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


class Worker(ABC):
    """A ``role`` (``detector`` or ``hotline``) ``name`` on ``bus``: it calls the recorder
    on ``subject`` (:attr:`recorder`), beats on ``beat_subject`` (:attr:`members`) and
    runs its ``_session`` again and again until stopped, waiting at most ``idle_s``
    between looks."""

    role: ClassVar[str]

    def __init__(
        self,
        bus: NatsBus,
        name: str,
        *,
        idle_s: float,
        subject: str,
        beat_subject: str = DETECTORS_SUBJECT,
    ) -> None:
        if not name:
            raise InvalidInput(f"a {self.role} needs a name")
        self.bus = bus
        self.name = name
        self.idle_s = idle_s
        self.recorder = RemoteService(bus, ServiceConfig(), subject=subject)
        self.members = Members(bus, subject=beat_subject)

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop``."""
        try:
            keep_running(self._session, stop, f"{self.role} {self.name}")
        finally:
            self.members.stop()

    @abstractmethod
    def _session(self, stop: threading.Event) -> None:
        """One session of work: from a new copy of the recorder's state until ``stop`` or
        a failure (:func:`keep_running` begins the next)."""
