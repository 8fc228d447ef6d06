"""The connection to NATS, usable from any thread: calls, serving calls, and events.

:class:`NatsBus` runs one asyncio loop in a daemon thread holding a ``nats-py``
connection to every server given (it reconnects to another on its own). The service's
code is threaded, so every method here is synchronous and safe from any thread:

- :meth:`call` sends a request and waits for its answer (core NATS request/reply);
  :class:`NoAnswer` says whether anyone received it (``delivered``), so that a caller
  retries only what was certainly not applied;
- :meth:`serve` answers requests of a subject in a queue group, each in a worker thread;
- :meth:`publish_event` appends to the JetStream stream :data:`EVENTS_STREAM`
  (replicated on up to three servers) and :meth:`follow_events` reads it from now on
  with an ordered consumer, in order, on every gateway; the picture's changes go the
  same way on :data:`PICTURE_STREAM`, to the detectors, and the alerts' due times on
  :data:`ALERTS_STREAM`, to the hotlines;
- :meth:`publish` and :meth:`subscribe`: plain NATS messages (the detectors' heartbeats).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import api

from ..errors import Unavailable

__all__ = [
    "ALERTS_STREAM",
    "ALERTS_SUBJECT",
    "EVENTS_STREAM",
    "EVENTS_SUBJECT",
    "FINDINGS_SUBJECT",
    "HOTLINE_SUBJECT",
    "PICTURE_STREAM",
    "PICTURE_SUBJECT",
    "RPC_SUBJECT",
    "NatsBus",
    "NoAnswer",
    "shown",
]

log = logging.getLogger("deconflict.cluster")

RPC_SUBJECT = "deconflict.rpc"
"""Calls to the service, answered by the active recorder."""
EVENTS_SUBJECT = "deconflict.events"
"""Events for the parties' streams, published by the active recorder."""
EVENTS_STREAM = "DECONFLICT_EVENTS"
"""The JetStream stream holding :data:`EVENTS_SUBJECT` (kept 10 minutes)."""
EVENTS_MAX_AGE_S = 600.0
PICTURE_SUBJECT = "deconflict.picture"
"""The picture's changes (tracks, declarations), published by the active recorder."""
PICTURE_STREAM = "DECONFLICT_PICTURE"
"""The JetStream stream holding :data:`PICTURE_SUBJECT` (kept 2 minutes: a detector that
starts takes the whole picture from the recorder, then follows this)."""
PICTURE_MAX_AGE_S = 120.0
FINDINGS_SUBJECT = "deconflict.findings"
"""What the detectors found, sent to the active recorder (a subject of its own, so that
NATS permissions can let detectors, and only them, send findings)."""
ALERTS_SUBJECT = "deconflict.alerts"
"""The live alerts' due times (:func:`~deconflict.cluster.duebox.timing`), published by
the active recorder."""
ALERTS_STREAM = "DECONFLICT_ALERTS"
"""The JetStream stream holding :data:`ALERTS_SUBJECT` (kept 2 minutes: a hotline that
starts takes every live alert's times from the recorder, then follows this)."""
HOTLINE_SUBJECT = "deconflict.hotline"
"""The hotlines' calls to the active recorder (a subject of their own, like the
detectors')."""
PUBLISH_TRY_S = 30.0
"""How long an event is tried again while the events stream has no leader (seconds)."""
HEARTBEAT_S = 0.5
"""The events consumer's idle heartbeat: two missed and it is made again (seconds)."""

T = TypeVar("T")


def shown(url: str) -> str:
    """``url`` without its user, password or token (for logs and messages)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


class NoAnswer(Exception):
    """A call got no answer; ``delivered`` is False when nobody received it."""

    def __init__(self, message: str, *, delivered: bool) -> None:
        super().__init__(message)
        self.delivered = delivered


class NatsBus:
    """A NATS connection to ``servers`` (``nats://H:P`` URLs) named ``name``."""

    def __init__(self, servers: Sequence[str], *, name: str, workers: int = 32) -> None:
        if not servers:
            raise ValueError("no NATS server given")
        self.servers = list(servers)
        self.name = name
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"nats-{name}")
        self._thread.daemon = True
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._nc: Client | None = None
        self._published: dict[str, asyncio.Future[Any]] = {}
        """The last publish of each subject: the next one waits for it (order kept per
        stream; one stream electing a leader does not hold up the other)."""

    # -- the loop ----------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    @property
    def nc(self) -> Client:
        assert self._nc is not None, "start() first"
        return self._nc

    def start(self, *, timeout_s: float = 30.0) -> NatsBus:
        """Connect (trying every server until ``timeout_s``) and make sure the events
        stream exists; :class:`Unavailable` naming the servers (without credentials)
        and why, when it cannot."""
        self._thread.start()
        try:
            self._run(self._connect(timeout_s), timeout_s + 5)
        except Exception as exc:
            self._loop.call_soon_threadsafe(self._loop.stop)
            raise Unavailable(
                f"cannot use the cluster's NATS servers {', '.join(map(shown, self.servers))}: "
                f"{exc or type(exc).__name__}"
            ) from None
        return self

    async def _connect(self, timeout_s: float) -> None:
        async def disconnected() -> None:
            log.warning("%s: lost its NATS server, reconnecting", self.name)

        async def reconnected() -> None:
            log.warning("%s: reconnected to %s", self.name, self.nc.connected_url)

        async def error(exc: Exception) -> None:
            log.debug("%s: NATS: %s", self.name, exc)

        # one plain attempt first: a wrong URL or credential fails here at once, where
        # the lasting connection below would keep trying
        probe = await nats.connect(
            servers=self.servers,
            name=self.name,
            connect_timeout=2,
            allow_reconnect=False,
            error_cb=error,
        )
        await probe.close()
        self._nc = await nats.connect(
            servers=self.servers,
            name=self.name,
            connect_timeout=2,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
            allow_reconnect=True,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=error,
        )
        js = self._nc.jetstream()
        streams = [
            (EVENTS_STREAM, EVENTS_SUBJECT, EVENTS_MAX_AGE_S),
            (PICTURE_STREAM, PICTURE_SUBJECT, PICTURE_MAX_AGE_S),
            (ALERTS_STREAM, ALERTS_SUBJECT, PICTURE_MAX_AGE_S),
        ]
        deadline = self._loop.time() + timeout_s
        for name, subject, max_age in streams:
            config = api.StreamConfig(
                name=name,
                subjects=[subject],
                max_age=max_age,
                num_replicas=self.replicas(),
                storage=api.StorageType.FILE,
            )
            while True:
                try:
                    await js.add_stream(config)
                    break
                except Exception as exc:  # the cluster may still be electing a leader
                    if self._loop.time() > deadline:
                        raise RuntimeError(f"cannot make the stream {name}: {exc}") from exc
                    await asyncio.sleep(0.25)

    def replicas(self) -> int:
        """Copies of the events stream: three, or as many servers as the cluster has."""
        members = self.nc._server_info.get("connect_urls") or []
        return max(1, min(3, len(members)))

    def close(self) -> None:
        """Drain the connection, stop the loop and its thread, and close the loop."""
        if self._nc is not None:
            with contextlib.suppress(Exception):  # already gone
                self._run(self._nc.drain(), 5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread.is_alive():
            self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def max_payload(self) -> int:
        """The largest message the servers take (bytes)."""
        return self.nc.max_payload

    # -- calls -------------------------------------------------------------------------

    def call(self, subject: str, data: bytes, timeout_s: float) -> bytes:
        """The answer to ``data`` sent on ``subject``; :class:`NoAnswer` otherwise."""
        try:
            msg = self._run(self.nc.request(subject, data, timeout=timeout_s), timeout_s + 5)
        except NoRespondersError:
            raise NoAnswer("nobody serves the call now", delivered=False) from None
        except (NatsTimeout, TimeoutError, concurrent.futures.TimeoutError):
            raise NoAnswer("the call got no answer in time", delivered=True) from None
        except Exception as exc:  # connection lost, closed, or reconnecting
            raise NoAnswer(f"the bus failed: {exc}", delivered=True) from None
        return msg.data

    def serve(self, subject: str, queue: str, handler: Callable[[bytes], bytes]) -> Any:
        """Answer every call on ``subject`` (one of ``queue``'s members gets each) with
        ``handler(data)``, run in a worker thread. Returns the subscription."""

        async def answer(msg: Msg) -> None:
            loop = asyncio.get_running_loop()
            reply = await loop.run_in_executor(self._pool, handler, msg.data)
            try:
                await msg.respond(reply)
            except Exception as exc:  # the caller's connection went away
                log.debug("%s: could not answer: %s", self.name, exc)

        running: set[asyncio.Future[None]] = set()

        async def received(msg: Msg) -> None:
            task = asyncio.ensure_future(answer(msg))
            running.add(task)
            task.add_done_callback(running.discard)

        return self._run(self.nc.subscribe(subject, queue=queue, cb=received), 10)

    def unserve(self, subscription: Any) -> None:
        self._run(subscription.unsubscribe(), 10)

    # -- events ------------------------------------------------------------------------

    def publish(self, subject: str, data: bytes) -> None:
        """Send ``data`` on ``subject`` as a plain NATS message (no reply, not kept)."""
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._plain(subject, data)))

    async def _plain(self, subject: str, data: bytes) -> None:
        try:
            await self.nc.publish(subject, data)
        except Exception as exc:  # reconnecting: a heartbeat more or less
            log.debug("%s: not sent on %s: %s", self.name, subject, exc)

    def subscribe(self, subject: str, handler: Callable[[bytes], None]) -> Any:
        """Call ``handler(data)`` (on the bus's loop: it must not block) for each plain
        message on ``subject``. Returns the subscription."""

        async def received(msg: Msg) -> None:
            try:
                handler(msg.data)
            except Exception:
                log.exception("%s: a message on %s could not be handled", self.name, subject)

        return self._run(self.nc.subscribe(subject, cb=received), 10)

    def publish_event(self, data: bytes, subject: str = EVENTS_SUBJECT) -> None:
        """Append ``data`` to the events stream (or the stream of ``subject``), after
        everything published before it, without waiting."""

        async def publish() -> None:
            # while the stream elects a new leader (a server died) publishing fails for a
            # moment: try again, in order, rather than lose the event
            give_up = self._loop.time() + PUBLISH_TRY_S
            while True:
                try:
                    await self.nc.jetstream().publish(subject, data, timeout=2)
                    return
                except Exception as exc:
                    if self._loop.time() > give_up or self.nc.is_closed:
                        log.error("%s: an event was not published: %s", self.name, exc)
                        return
                    await asyncio.sleep(0.1)

        # one task after the other: the events keep their order
        def chain() -> None:
            previous = self._published.get(subject)

            async def after() -> None:
                if previous is not None:
                    await asyncio.gather(previous, return_exceptions=True)
                await publish()

            self._published[subject] = asyncio.ensure_future(after())

        self._loop.call_soon_threadsafe(chain)

    def follow_events(self, handler: Callable[[bytes], None], subject: str = EVENTS_SUBJECT) -> Any:
        """Call ``handler(data)`` (on the bus's loop: it must not block) for every event
        appended from now on (to the stream of ``subject``), in order. Returns the
        subscription (see :meth:`unfollow`)."""

        async def received(msg: Msg) -> None:
            try:
                handler(msg.data)
            except Exception:
                log.exception("%s: an event could not be delivered", self.name)

        async def follow() -> Any:
            js = self.nc.jetstream()
            return await js.subscribe(
                subject,
                cb=received,
                ordered_consumer=True,
                deliver_policy=api.DeliverPolicy.NEW,
                idle_heartbeat=HEARTBEAT_S,
            )

        return self._run(follow(), 30)

    def unfollow(self, subscription: Any) -> None:
        with contextlib.suppress(Exception):  # the connection is already gone
            self._run(subscription.unsubscribe(), 10)
