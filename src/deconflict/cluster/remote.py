"""The service as a ``gateway`` sees it: every call sent over the bus to the recorder.

:class:`RemoteService` has the methods the HTTP API calls on a
:class:`~deconflict.service.core.Service` (:data:`~deconflict.cluster.calls.METHODS`),
each one a call to the active recorder, so every route, check and error of the API is
the same in cluster mode. While the recorder changes over (nobody serves the calls) a
call waits up to ``failover_s`` and is sent again; a call that may have been applied
but got no answer is sent again only when that is safe (a read, or a write with an
Idempotency-Key), and is otherwise answered 503 ``unavailable`` with ``Retry-After``:
no receipt is given for a write that may not have happened.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

from ..errors import InvalidInput, Unavailable
from ..service.config import ServiceConfig
from ..service.officers import Principal
from .bus import RPC_SUBJECT, NatsBus, NoAnswer
from .calls import METHODS, PART, READS, WRITES
from .wire import decode_answer, encode_call, principal_fields, principal_of

__all__ = ["FAILOVER_S", "RemoteService"]

log = logging.getLogger("deconflict.cluster")

FAILOVER_S = 15.0
"""How long a call waits for a recorder to serve it (a takeover takes a few seconds)."""
CALL_TIMEOUT_S = 10.0
"""How long one call waits for its answer."""
RESYNC_PRESENCE_S = 30.0
"""How often a gateway sends the recorder every officer's streams it holds."""


class _Officers:
    """Presence, told to the recorder (which keeps the roster), and kept here too: the
    streams this gateway holds, sent whole by :meth:`resync`."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self._call = call
        self.source = secrets.token_hex(8)
        """This gateway's name in the recorder's count."""
        self._held: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def connected(self, who: Principal) -> bool:
        if who.officer is None:
            return False
        with self._lock:
            key = (who.party, who.officer)
            self._held[key] = self._held.get(key, 0) + 1
        return bool(self._call("officer_connected", principal_fields(who), self.source))

    def left(self, who: Principal) -> None:
        if who.officer is None:
            return
        with self._lock:
            key = (who.party, who.officer)
            n = self._held.get(key, 0) - 1
            if n > 0:
                self._held[key] = n
            else:
                self._held.pop(key, None)
        self._call("officer_left", principal_fields(who), self.source)

    def resync(self) -> None:
        """Send the recorder every officer's streams this gateway holds."""
        with self._lock:
            streams = [[p, o, n] for (p, o), n in sorted(self._held.items())]
        try:
            self._call("officers_resync", self.source, streams)
        except Exception as exc:  # no recorder now: the next resync puts it right
            log.warning("gateway: presence not sent to the recorder: %s", exc)


class _Heads:
    """The head cadence runs in the recorder; a gateway has none to start."""

    def start(self) -> None:
        log.debug("gateway: the signed head's cadence runs in the recorder")

    def stop(self) -> None:
        log.debug("gateway: the signed head's cadence runs in the recorder")


@dataclass(eq=False)
class RemoteService:
    """The API's service in another process, reached over ``bus``.

    ``config`` is the same :class:`ServiceConfig` the recorder runs with (the API reads
    its rate, burst and batch limits). ``subject``: where the calls go (the detectors
    use :data:`~deconflict.cluster.bus.FINDINGS_SUBJECT`). ``publish`` is what the API
    sets to reach its streams; :meth:`deliver` feeds it the events of the events stream.
    """

    bus: NatsBus
    config: ServiceConfig
    _: KW_ONLY
    failover_s: float = FAILOVER_S
    call_timeout_s: float = CALL_TIMEOUT_S
    subject: str = RPC_SUBJECT

    def __post_init__(self) -> None:
        self.officers = _Officers(self.call)
        self.heads = _Heads()
        self.publish: Callable[[str, dict[str, Any]], None] = lambda party, event: None

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in METHODS:
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)

        method.__name__ = name
        return method

    def principal(self, token: str | None) -> Principal:
        """Who ``token`` names (401 otherwise), asked of the recorder at each request, so
        that a revocation anywhere takes effect at once."""
        return principal_of(self.call("principal", token))

    def principal_admitted(self, token: str | None) -> tuple[Principal, float]:
        """:meth:`principal` and one of the party's requests spent, in one call: the
        recorder counts the party's requests at every gateway, so that a party spreading
        its requests over N gateways still gets its rate, not N times it."""
        who, wait = self.call("principal_admitted", token)
        return principal_of(who), float(wait)

    def deliver(self, data: bytes) -> None:
        """One event of the events stream, handed to this gateway's streams (a recorder
        that took over asks for the officers this gateway holds instead)."""
        doc = json.loads(data)
        if "recorder" in doc:
            threading.Thread(target=self.officers.resync, daemon=True).start()
            return
        self.publish(doc["party"], doc["event"])

    def keep_presence(self, stop: threading.Event, every_s: float = 0.0) -> None:
        """Send this gateway's officers every ``every_s`` (:data:`RESYNC_PRESENCE_S`)
        seconds until ``stop``, in a thread of its own."""
        period = every_s or RESYNC_PRESENCE_S

        def loop() -> None:
            while not stop.wait(period):
                self.officers.resync()

        threading.Thread(target=loop, name="gateway-presence", daemon=True).start()

    def _retry_safe(self, method: str, kwargs: dict[str, Any]) -> bool:
        return method in READS or (method in WRITES and kwargs.get("idempotency_key") is not None)

    def _send(self, payload: bytes, method: str, kwargs: dict[str, Any]) -> bytes:
        deadline = time.monotonic() + self.failover_s
        while True:
            try:
                return self.bus.call(self.subject, payload, self.call_timeout_s)
            except NoAnswer as exc:
                again = not exc.delivered or self._retry_safe(method, kwargs)
                if not again or time.monotonic() >= deadline:
                    raise Unavailable(
                        "the service's recorder is not answering now; nothing was "
                        "receipted: send it again"
                    ) from None
                time.sleep(0.1)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """The recorder's answer to ``method(*args, **kwargs)`` (its errors raised)."""
        payload = encode_call(method, args, kwargs)
        if len(payload) > self.bus.max_payload:
            raise InvalidInput(
                f"the request is over the cluster bus's message limit of "
                f"{self.bus.max_payload} bytes"
            )
        data = self._send(payload, method, kwargs)
        if data.startswith(b'{"parts"'):
            head = json.loads(data)
            data = b"".join(
                self._send(encode_call(PART, (head["id"], i), {}), PART, {})
                for i in range(head["parts"])
            )
        return decode_answer(data)
