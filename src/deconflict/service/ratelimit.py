"""Per-party request rate limits (token buckets)."""

from __future__ import annotations

import threading
import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """``rate`` requests per second sustained, ``burst`` at once, per key.

    >>> rl = RateLimiter(rate=1.0, burst=2, now=lambda: 0.0)
    >>> rl.take("a"), rl.take("a"), rl.take("a")
    (0.0, 0.0, 1.0)
    """

    def __init__(self, rate: float, burst: int, now: object = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = float(max(1, burst))
        self._now = now
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token for ``key``: 0 if allowed, else seconds until one is free."""
        if self.rate <= 0:
            return 0.0
        now = float(self._now())  # type: ignore[operator]
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate
