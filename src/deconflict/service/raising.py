"""What the service's operations that raise alerts and write the record need of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..entropy import Entropy
from .alertbook import AlertBook
from .channel import Channel
from .clock import Clock
from .config import ServiceConfig
from .hotline import LiveAlert
from .picture import LivePicture
from .record import Record

__all__ = ["RaisingService"]


class RaisingService(Protocol):
    """The parts of the service (:class:`~deconflict.service.core.Service`) a stop
    request and a withdrawal raise their alerts with, its write path and its push."""

    lock: Any
    book: AlertBook
    picture: LivePicture
    clock: Clock
    config: ServiceConfig
    entropy: Entropy
    channel: Channel
    record: Record

    def write(
        self, entries: Sequence[Mapping[str, Any]], effect: Callable[[], None] | None = None
    ) -> tuple[list[int], Any]: ...

    def push_alert(self, alert: LiveAlert) -> None: ...
