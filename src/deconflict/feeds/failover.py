"""Several URLs for one service (a cluster's gateways), tried in turn.

A party's own processes (``deconflict feed``, ``cot``, ``witness``) take the service as
one URL or as several, comma-separated: ``http://g0:8000,http://g1:8000``. Every gateway
of a cluster serves the same service, so a client that loses one goes on through the
next: after a connection failure, a 502/503/504 answer (the gateway cannot reach the
service, or the recorder is changing over) or a closed stream, it moves to the next URL
in round robin and tries again after its usual backoff (a ``Retry-After`` when the answer
gave one). One URL behaves exactly as before: every retry goes to it.

>>> urls = ServiceUrls.parse("http://g0:8000/, http://g1:8000")
>>> urls.current, len(urls)
('http://g0:8000', 2)
>>> urls.move_from("http://g0:8000")
'http://g1:8000'
>>> urls.move_from("http://g0:8000")  # another task already moved on: stay
'http://g1:8000'
>>> urls.move_from(urls.current), urls.moves
('http://g0:8000', 2)
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InvalidInput

__all__ = ["MOVE_STATUSES", "ServiceUrls", "moves_on"]

MOVE_STATUSES = frozenset({502, 503, 504})
"""Answers after which a client moves to the next URL (a gateway that cannot serve)."""


def moves_on(status: int | None) -> bool:
    """Whether a failure with HTTP ``status`` (None: no answer at all) sends the client to
    the next URL."""
    return status is None or status in MOVE_STATUSES


class ServiceUrls:
    """The service's URLs in the order given (each without a trailing ``/``); one is
    ``current``. Moving is round robin; :meth:`move_from` names the URL that failed, so
    two tasks of one client that see the same gateway fail move on once, not twice."""

    def __init__(self, urls: Sequence[str]) -> None:
        if not urls:
            raise InvalidInput("no service URL")
        self.urls = tuple(urls)
        self._i = 0
        self.moves = 0
        """How many times the client moved to another URL."""

    @classmethod
    def parse(cls, text: str | Sequence[str], what: str = "service") -> ServiceUrls:
        """``text``: one http(s) URL, several separated by commas, or a list of them.
        :class:`InvalidInput` naming ``what`` for an empty list or a URL that is not
        http(s); a URL given twice is kept once."""
        items = text.split(",") if isinstance(text, str) else list(text)
        urls: list[str] = []
        for item in items:
            url = item.strip().rstrip("/")
            if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
                raise InvalidInput(f"{what} {item.strip()!r}: expected an http:// or https:// URL")
            if url not in urls:
                urls.append(url)
        if not urls:
            raise InvalidInput(f"{what}: no URL given")
        return cls(urls)

    def __len__(self) -> int:
        return len(self.urls)

    def __str__(self) -> str:
        return ",".join(self.urls)

    @property
    def current(self) -> str:
        """The URL to use now."""
        return self.urls[self._i]

    def move_from(self, failed: str) -> str:
        """After ``failed`` failed: the next URL if ``failed`` is still the current one
        (unchanged with a single URL); returns the URL to use now."""
        if failed == self.current and len(self.urls) > 1:
            self._i = (self._i + 1) % len(self.urls)
            self.moves += 1
        return self.current
