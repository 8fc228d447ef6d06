"""The recorder's side of the detectors: the picture they start from, and their findings.

The active recorder serves two calls on
:data:`~deconflict.cluster.bus.FINDINGS_SUBJECT`: ``picture`` (the whole picture, with
the recorder's id and the digest of its settings) and ``found`` (one run's findings of
one detector, sent in pieces when large, the last piece carrying what the run covered).
A complete run waits in the :class:`FindingsInbox` for the next detection step, which
takes it instead of detecting itself while any detector is alive
(:class:`~deconflict.service.step.FindingsSource`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import InvalidInput
from ..service.findings import Coverage, Found
from .members import Members
from .share import coverage_of, found_of

__all__ = ["FindingsInbox"]

PIECES_KEPT_S = 60.0
"""How long the first pieces of a run wait for the rest (seconds)."""


class FindingsInbox:
    """Detectors' runs waiting for the recorder's detection step.

    ``members``: who is alive (:meth:`active`); ``wake()``: called when a run is complete
    (the recorder's detection loop runs at once)."""

    def __init__(self, members: Members, wake: Callable[[], None]) -> None:
        self.members = members
        self.wake = wake
        self._pending: list[tuple[list[Found], Coverage]] = []
        self._pieces: dict[tuple[str, str], tuple[float, list[Found]]] = {}
        self._lock = threading.Lock()
        self.runs: dict[str, int] = {}
        """Complete runs received, per detector."""

    def active(self) -> bool:
        """Whether detection is the detectors' (any is alive)."""
        return bool(self.members.alive())

    def found(
        self, detector: str, run: str, piece: int, pieces: int, found: list[Any], covered: Any
    ) -> None:
        """Piece ``piece`` of ``pieces`` of ``detector``'s run ``run``; the last piece
        carries ``covered`` (the run's coverage, JSON), the others None."""
        if not (isinstance(detector, str) and isinstance(run, str) and isinstance(found, list)):
            raise InvalidInput("malformed findings")
        if not (isinstance(piece, int) and isinstance(pieces, int) and 0 <= piece < pieces):
            raise InvalidInput("malformed findings: piece out of range")
        try:
            these = [found_of(doc) for doc in found]
            coverage = None if covered is None else coverage_of(covered)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"malformed findings: {exc}") from None
        now = time.monotonic()
        with self._lock:
            for old in [k for k, (t, _) in self._pieces.items() if now - t > PIECES_KEPT_S]:
                del self._pieces[old]
            key = (detector, run)
            held = self._pieces.pop(key, (now, []))[1] + these
            if piece < pieces - 1 or coverage is None:
                self._pieces[key] = (now, held)
                return
            self._pending.append((held, coverage))
            self.runs[detector] = self.runs.get(detector, 0) + 1
        self.wake()

    def take(self) -> list[tuple[list[Found], Coverage]]:
        """The complete runs received since the last call, oldest first."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def stats(self) -> dict[str, Any]:
        """What ``status`` shows of detection: by whom, and each detector's runs."""
        alive = self.members.alive()
        with self._lock:
            runs = dict(self.runs)
        return {
            "detection": "detectors" if alive else "recorder",
            "detectors": {name: {"runs": runs.get(name, 0)} for name in alive},
        }
