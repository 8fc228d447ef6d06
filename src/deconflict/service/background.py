"""A daemon thread that runs a loop until it is told to stop.

The detection loop (:mod:`.runner`), the head cadence (:mod:`.heads`) and the live demo
(:mod:`deconflict.scenario.live`) each run one: the loop watches :attr:`Background.stopping`
and returns once it is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Background"]


class Background:
    """Runs ``target`` in a daemon thread named ``name`` between :meth:`start` and
    :meth:`stop`.

    ``target`` returns once :attr:`stopping` is set; ``wake``, if given, is called
    right after it is set, for a loop that waits on something else.
    """

    def __init__(
        self, target: Callable[[], None], name: str, *, wake: Callable[[], None] | None = None
    ) -> None:
        self.target = target
        self.name = name
        self.wake = wake
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (nothing if it is started)."""
        if self._thread is not None:
            return
        self.stopping.clear()
        self._thread = threading.Thread(target=self.target, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to stop and wait up to ``timeout`` seconds for it to end."""
        self.stopping.set()
        if self.wake is not None:
            self.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
