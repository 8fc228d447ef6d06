"""What a feed has done so far: counters, a one-line status and JSON stats lines."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FeedStats"]


@dataclass
class FeedStats:
    """Counters of one feed run (read by the status line and the ``--json`` lines).

    ``messages``/``bad``: received from the source, and those that could not be read;
    ``posts``/``tracks_sent``: accepted requests and the tracks in them; ``rejected``:
    tracks the service refused (4xx); ``skipped``: messages read but about no aircraft
    (a CoT event that is not an aircraft atom, or stale); ``out_of_bounds``: decoded
    states outside the
    service's track bounds, never sent; ``retries``: posts tried again (5xx, 429, network);
    ``last_post_latency_s``: round trip of the last accepted post; ``service_url``: the
    service URL of the last post, ``failovers``: moves to another of the URLs given.
    """

    aircraft: int = 0
    complete: int = 0
    messages: int = 0
    bad: int = 0
    posts: int = 0
    tracks_sent: int = 0
    rejected: int = 0
    skipped: int = 0
    out_of_bounds: int = 0
    retries: int = 0
    unsent: int = 0
    last_post_latency_s: float | None = None
    last_error: str = ""
    source: str = "connecting"
    service: str = "unknown"
    service_url: str = ""
    failovers: int = 0
    source_connects: int = 0
    evicted: int = 0
    expired: int = 0
    started: float = field(default_factory=time.monotonic)
    _rate_t: float = field(default_factory=time.monotonic, repr=False)
    _rate_n: int = field(default=0, repr=False)
    rate: float = 0.0

    def tick(self) -> float:
        """Update and return messages per second since the previous tick."""
        now = time.monotonic()
        dt = now - self._rate_t
        if dt > 0:
            self.rate = (self.messages - self._rate_n) / dt
        self._rate_t, self._rate_n = now, self.messages
        return self.rate

    def as_json(self) -> dict[str, Any]:
        """The counters as one JSON-ready object (``--json`` prints one per interval)."""
        out = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        out["elapsed_s"] = round(time.monotonic() - self.started, 3)
        del out["started"]
        out["messages_per_s"] = round(out.pop("rate"), 1)
        lat = out.pop("last_post_latency_s")
        out["last_post_latency_ms"] = None if lat is None else round(lat * 1000.0, 1)
        return out

    def status_line(self) -> str:
        """One short line for a terminal."""
        lat = (
            "-" if self.last_post_latency_s is None else f"{self.last_post_latency_s * 1e3:.0f} ms"
        )
        return (
            f"{self.aircraft} aircraft ({self.complete} complete) | {self.rate:.0f} msg/s | "
            f"{self.bad} bad | {f'{self.skipped} skipped | ' if self.skipped else ''}"
            f"{self.out_of_bounds} out of bounds | {self.rejected} rejected | "
            f"last post {lat} | "
            f"source {self.source} | service {self.service}"
        )
