"""One feed: read a source into the aircraft table, post changed tracks in batches.

The reader and the poster run side by side. Every ``batch_interval_s`` (sooner after
``batch_updates`` messages) the poster takes the aircraft whose complete state changed
and posts their newest states. While the service is down it keeps only the newest state
per aircraft (at most ``max_aircraft`` of them) and sends those when the service is back;
a batch that got no answer is first sent again as it was, with its ``Idempotency-Key``,
so that it is applied once. Given several service URLs (a cluster's gateways) it moves
to the next one when one fails (:mod:`deconflict.feeds.failover`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO

import httpx

from ..errors import InvalidInput
from ..model.tracks import TrackReport
from .asterix_read import read_asterix_udp
from .failover import ServiceUrls
from .poster import MAX_TRACKS_PER_POST, Backoff, TrackPoster, track_json, within_bounds
from .readers import Pacer, read_file, read_poll, read_tcp, read_udp
from .reporting import Reporting
from .sources import Intake, SourceSpec, parse_source
from .state import DEFAULT_MAX_AGE_S, DEFAULT_MAX_AIRCRAFT, AircraftTable
from .stats import FeedStats

__all__ = ["FeedOptions", "run_feed"]


@dataclass(frozen=True)
class FeedOptions:
    """How a feed batches, ages, caps, replays and reports (times in s)."""

    batch_interval_s: float = 1.0
    batch_updates: int = 1000
    max_batch: int = MAX_TRACKS_PER_POST
    max_aircraft: int = DEFAULT_MAX_AIRCRAFT
    max_age_s: float = DEFAULT_MAX_AGE_S
    speed: float = 1.0
    original_time: bool = False
    poll_s: float = 10.0
    receiver: tuple[float, float] | None = None
    duration_s: float | None = None
    stats_every_s: float | None = None
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 60.0
    """The longest ``Retry-After`` the feed waits (a longer one is cut to it)."""
    drain_s: float = 30.0
    http_timeout_s: float = 10.0

    def check(self) -> None:
        """Raise :class:`InvalidInput` for an option out of range."""
        positive = {
            "batch interval": self.batch_interval_s,
            "batch updates": self.batch_updates,
            "poll interval": self.poll_s,
            "backoff": self.backoff_initial_s,
            "HTTP timeout": self.http_timeout_s,
        }
        for name, value in positive.items():
            if not value > 0:
                raise InvalidInput(f"{name} must be > 0, got {value}")
        if not 1 <= self.max_batch <= MAX_TRACKS_PER_POST:
            raise InvalidInput(f"max batch must be 1..{MAX_TRACKS_PER_POST}, got {self.max_batch}")
        if not self.speed >= 0:
            raise InvalidInput(f"--speed must be >= 0 (0: as fast as possible), got {self.speed}")
        if not self.retry_after_max_s >= 0:
            raise InvalidInput(f"longest Retry-After must be >= 0 s, got {self.retry_after_max_s}")
        if not self.drain_s >= 0:
            raise InvalidInput(f"drain time must be >= 0 s, got {self.drain_s}")
        if self.receiver is not None:
            lat, lon = self.receiver
            if not (abs(lat) <= 90 and abs(lon) <= 180):
                raise InvalidInput(f"receiver position out of range: {lat}, {lon}")
        if self.duration_s is not None and not self.duration_s > 0:
            raise InvalidInput(f"duration must be > 0 s, got {self.duration_s}")
        if self.stats_every_s is not None and not self.stats_every_s > 0:
            raise InvalidInput(f"stats interval must be > 0 s, got {self.stats_every_s}")


@dataclass(eq=False)
class _Feed(Reporting[FeedStats]):
    """One feed: reads ``spec`` into its table, and posts what changed."""

    spec: SourceSpec
    o: FeedOptions

    def __post_init__(self) -> None:
        self.stats = FeedStats()
        self.table = AircraftTable(self.o.max_aircraft, self.o.max_age_s)
        self.intake = Intake(self.table, self.o.receiver)
        self.flush = asyncio.Event()
        self.pending: dict[str, TrackReport] = {}
        self._sent_at_messages = 0
        self._last_sig: tuple[TrackReport, ...] | None = None
        self._last_key = ""
        # the last batch tried and its key (kept while it is tried unchanged), and whether
        # it may have been applied without an answer (then it is sent again as it is)
        self._tried_sig: tuple[TrackReport, ...] | None = None
        self._tried_key = ""
        self._in_doubt = False
        self.stopping = False
        self.stop_deadline = 0.0

    # -- reading --------------------------------------------------------------------
    def notify(self) -> None:
        """Called by the readers after each chunk or message: flush on enough updates."""
        if self.intake.messages - self._sent_at_messages >= self.o.batch_updates:
            self.flush.set()

    async def read(self, client: httpx.AsyncClient) -> None:
        backoff = Backoff(self.o.backoff_initial_s, self.o.backoff_max_s)
        spec = self.spec
        if spec.path is not None:
            await read_file(
                spec,
                self.intake,
                self.stats,
                Pacer(self.o.speed, self.o.original_time),
                self.notify,
            )
        elif spec.url is not None:
            await read_poll(
                spec, self.intake, self.stats, backoff, client, self.o.poll_s, self.notify
            )
        elif spec.kind == "cotudp":
            await read_udp(spec, self.intake, self.stats, backoff, self.notify)
        elif spec.kind == "asterix":
            await read_asterix_udp(spec, self.intake, self.stats, backoff, self.notify)
        else:
            await read_tcp(spec, self.intake, self.stats, backoff, self.notify)

    # -- posting --------------------------------------------------------------------
    def _take(self) -> None:
        """Move the newest complete state of every changed aircraft into ``pending``, then
        drop aircraft no longer heard. ``pending`` holds at most ``max_aircraft`` states
        (the oldest dropped): what a long outage can cost is bounded. A state outside
        the service's track bounds (:data:`deconflict.bounds.TRACK_BOUNDS`: a decoding
        error, a spoofed message) is left out and counted in ``out_of_bounds``."""
        for s in self.table.take_changed():
            if within_bounds(s):
                self.pending[s.id] = s
            else:  # the service would refuse the whole batch for it
                self.stats.out_of_bounds += 1
        if not self.o.original_time:
            self.table.now = max(self.table.now, time.time())
        self.table.expire()
        excess = len(self.pending) - self.table.max_aircraft
        if excess > 0:
            for s in sorted(self.pending.values(), key=lambda s: s.time_s)[:excess]:
                del self.pending[s.id]
        self._sent_at_messages = self.intake.messages

    async def post_loop(self, poster: TrackPoster) -> None:
        """Post what changed every batch interval (sooner on enough updates) until
        :meth:`finish` is called; a send under way is completed, not cut off."""
        backoff = Backoff(self.o.backoff_initial_s, self.o.backoff_max_s)
        while not self.stopping:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.o.batch_interval_s):
                    await self.flush.wait()
            self.flush.clear()
            if self.stopping:
                break
            await self.send(poster, backoff, deadline=None)

    def finish(self, deadline: float) -> None:
        """Stop posting: a send under way gives up waiting to retry after ``deadline``."""
        self.stopping = True
        self.stop_deadline = deadline
        self.flush.set()

    async def send(self, poster: TrackPoster, backoff: Backoff, deadline: float | None) -> bool:
        """Post every pending track; False when ``deadline`` (monotonic) came first."""
        self._take()
        stats = self.stats
        while self.pending or self._last_sig is not None:
            # A batch that may have been applied without an answer is sent again unchanged,
            # with its key (on this URL or the next), before anything newer; one surely
            # not applied is taken again from the newest states.
            if self._last_sig is None:
                chunk = tuple(islice(self.pending.values(), self.o.max_batch))
                if chunk != self._tried_sig:
                    self._tried_sig, self._tried_key = chunk, poster.new_key()
                self._last_sig, self._last_key = chunk, self._tried_key
            chunk = self._last_sig
            outcome = await poster.post([track_json(s) for s in chunk], self._last_key)
            stats.service_url = outcome.via
            stats.failovers = poster.services.moves
            if outcome.uncertain:
                self._in_doubt = True
            if outcome.ok or not outcome.retry:
                self._in_doubt = False
                self._tried_sig = None
                for s in chunk:
                    if self.pending.get(s.id) is s:
                        del self.pending[s.id]
                self._last_sig = None
                if outcome.ok:
                    stats.posts += 1
                    stats.tracks_sent += len(chunk)
                    stats.last_post_latency_s = outcome.latency_s
                    stats.service = "up"
                    backoff.reset()
                else:
                    stats.rejected += len(chunk)
                    stats.last_error = f"service: {outcome.error}"
                continue
            stats.retries += 1
            stats.service = "busy" if outcome.status == 429 else "down"
            stats.last_error = f"service: {outcome.error}"
            if outcome.retry_after_s is not None:
                # a Retry-After of a day (a broken or hostile gateway) does not stall it
                delay = min(outcome.retry_after_s, self.o.retry_after_max_s)
            else:
                delay = backoff.next_delay()
            if deadline is None and self.stopping:
                deadline = self.stop_deadline
            if not self._in_doubt:
                self._last_sig = None  # not applied: the next try takes the newest states
            if deadline is not None and time.monotonic() + delay > deadline:
                stats.unsent = len(self.pending.keys() | {s.id for s in chunk})
                return False
            await asyncio.sleep(delay)
            self._take()
        stats.unsent = 0
        return True

    # -- reporting ------------------------------------------------------------------
    def tally(self) -> None:
        s = self.stats
        s.aircraft = len(self.table)
        s.complete = len(self.table.ready())
        s.messages = self.intake.messages
        s.bad = self.intake.bad
        s.skipped = self.intake.skipped
        s.evicted = self.table.evicted
        s.expired = self.table.expired
        s.tick()


async def _wait_first(*aws: asyncio.Task[Any]) -> None:
    await asyncio.wait(aws, return_when=asyncio.FIRST_COMPLETED)


async def run_feed(
    source: str,
    service: str | Sequence[str],
    token: str,
    options: FeedOptions | None = None,
    *,
    stop: asyncio.Event | None = None,
    stats_out: TextIO | None = None,
    status_out: TextIO | None = None,
) -> FeedStats:
    """Run a feed from ``source`` to ``service`` as the party whose token is ``token``;
    ``service``: one URL, or several comma-separated (or a list) tried in turn.

    Runs until the file ends, ``options.duration_s`` passes, or ``stop`` is set; then
    posts what is pending (for at most ``drain_s``) and returns the counters. ``stats_out``
    gets a JSON stats line every ``stats_every_s`` and a last one at the end;
    ``status_out`` a status line every second. Raises :class:`InvalidInput` for a bad
    source or option, :class:`deconflict.errors.Forbidden` when the token is refused.
    """
    o = options or FeedOptions()
    o.check()
    if not token:
        raise InvalidInput("no token: set DECONFLICT_TOKEN to the party's token")
    services = ServiceUrls.parse(service)
    feed = _Feed(parse_source(source), o, stats_out=stats_out, status_out=status_out)
    stop = stop or asyncio.Event()
    async with httpx.AsyncClient(timeout=o.http_timeout_s) as client:
        poster = TrackPoster(client, services, token)
        reader = asyncio.create_task(feed.read(client))
        posting = asyncio.create_task(feed.post_loop(poster))
        reporting = asyncio.create_task(feed.report(o.stats_every_s))
        stopper = asyncio.create_task(stop.wait())
        ender: list[asyncio.Task[Any]] = [reader, posting, stopper]
        if o.duration_s is not None:
            ender.append(asyncio.create_task(asyncio.sleep(o.duration_s)))
        try:
            await _wait_first(*ender)
            # Stop reading; let a post under way complete (a cut-off request would only
            # be sent again), for at most the drain time.
            reader.cancel()
            deadline = time.monotonic() + o.drain_s
            feed.finish(deadline)
            await asyncio.wait([posting], timeout=o.drain_s)
        finally:
            for task in (reader, posting, reporting, *ender):
                if not task.done():
                    task.cancel()
            await asyncio.gather(reader, posting, reporting, *ender, return_exceptions=True)
        for task in (reader, posting):
            if not task.cancelled() and task.exception() is not None:
                raise _exception(task)
        await feed.send(poster, Backoff(o.backoff_initial_s, o.backoff_max_s), deadline)
    feed.report_last()
    return feed.stats


def _exception(task: asyncio.Task[None]) -> BaseException:
    exc = task.exception()
    assert exc is not None
    return exc
