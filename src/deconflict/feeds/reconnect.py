"""How every live reader (TCP, UDP, multicast) opens its source: again and again after a
backoff until it opens, the feed's ``source`` status and ``source_connects`` kept."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .poster import Backoff
from .stats import FeedStats

__all__ = ["open_source", "source_error", "wait_to_reopen"]

T = TypeVar("T")


def source_error(exc: BaseException) -> str:
    """The ``last_error`` text of a source failure."""
    return f"source: {exc or type(exc).__name__}"


async def open_source(
    opener: Callable[[], Awaitable[T]],
    stats: FeedStats,
    backoff: Backoff,
    errors: tuple[type[BaseException], ...],
    state: str,
) -> T:
    """``await opener()`` until it opens (``errors`` are retried after a backoff); the
    status is ``connecting`` then ``state`` (``connected``, ``listening``)."""
    while True:
        stats.source = "connecting"
        try:
            source = await opener()
        except errors as exc:
            stats.source = "reconnecting"
            stats.last_error = source_error(exc)
            await asyncio.sleep(backoff.next_delay())
            continue
        stats.source = state
        stats.source_connects += 1
        return source


async def wait_to_reopen(stats: FeedStats, backoff: Backoff) -> None:
    """After a lost source: status ``reconnecting``, then wait out the backoff."""
    stats.source = "reconnecting"
    await asyncio.sleep(backoff.next_delay())
