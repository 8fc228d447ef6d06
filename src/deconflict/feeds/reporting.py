"""What a running feed or CoT link shows of its counters: a status line and JSON lines."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TextIO, TypeVar

__all__ = ["Counters", "Reporting"]


class Counters(Protocol):
    """Counters that read as one JSON-ready object and as one short terminal line."""

    def as_json(self) -> dict[str, Any]: ...

    def status_line(self) -> str: ...


S = TypeVar("S", bound=Counters)


@dataclass(eq=False, kw_only=True)
class Reporting(Generic[S]):
    """Base of a run that shows its counters ``stats``: ``status_out`` gets a status line
    every second (:meth:`report`) and a last one at the end (:meth:`report_last`);
    ``stats_out`` a JSON line every ``every_s`` seconds and one at the end."""

    stats_out: TextIO | None = None
    status_out: TextIO | None = None
    stats: S = field(init=False)
    """Set by the run as it starts (its own kind of counters)."""

    def tally(self) -> None:
        """Bring ``stats`` up to date before they are shown (a run that counts as it goes
        has nothing to do)."""

    def emit_json(self) -> None:
        """Write ``stats`` as one JSON line to ``stats_out``."""
        if self.stats_out is not None:
            self.stats_out.write(json.dumps(self.stats.as_json()) + "\n")
            self.stats_out.flush()

    def show_status(self, end: str = "") -> None:
        """Redraw the status line on ``status_out`` (``end``: ``"\\n"`` to leave it)."""
        if self.status_out is not None:
            self.status_out.write("\r\x1b[K" + self.stats.status_line() + end)
            self.status_out.flush()

    async def report(self, every_s: float | None) -> None:
        """Show the status every second and the JSON stats every ``every_s`` s (None:
        only at the end), until cancelled."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            self.tally()
            self.show_status()
            if every_s is not None and time.monotonic() - last >= every_s:
                last = time.monotonic()
                self.emit_json()

    def report_last(self) -> None:
        """Show the last status line and write the last JSON line."""
        self.tally()
        self.show_status("\n")
        self.emit_json()
