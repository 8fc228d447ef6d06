"""A WebSocket reader for the tests: collects a party's events in a thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.client import connect


class Stream:
    """``WS /v1/stream`` of one party; events collected as they come."""

    def __init__(self, base_url: str, token: str, *, header: bool = True) -> None:
        url = base_url.replace("http://", "ws://") + "/v1/stream"
        headers = {"Authorization": f"Bearer {token}"} if header else None
        self.ws = connect(url, additional_headers=headers, open_timeout=10)
        if not header:
            self.ws.send(json.dumps({"type": "auth", "token": token}))
        self.events: list[dict[str, Any]] = []
        self.closed: str | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                event = json.loads(raw)
                with self._cond:
                    self.events.append(event)
                    self._cond.notify_all()
        except Exception as exc:  # the connection ended
            self.closed = repr(exc)
        finally:
            with self._cond:
                self.closed = self.closed or "closed"
                self._cond.notify_all()

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first event (already received or coming) that ``match`` accepts."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if match(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching event in {timeout} s: {self.events[-5:]}")
                self._cond.wait(left)

    def send(self, obj: dict[str, Any]) -> None:
        self.ws.send(json.dumps(obj))

    def close(self) -> None:
        self.ws.close()
        self._thread.join(5)


def alert_event(kind: str, **want: Any) -> Callable[[dict[str, Any]], bool]:
    """Matches an ``alert`` event of ``kind`` whose alert has the given fields."""

    def match(e: dict[str, Any]) -> bool:
        if e.get("type") != "alert" or e["alert"]["kind"] != kind:
            return False
        return all(e["alert"].get(k) == v for k, v in want.items())

    return match
