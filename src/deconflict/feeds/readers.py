"""Reading a source into the intake: live TCP receivers, polled URLs, replayed files.

Live sources reconnect with exponential backoff, forever, and stamp each message with the
time it arrived. A file is replayed with its recorded timing at ``speed`` times real time
(0: as fast as possible); its messages are reported at the moment they are replayed, or
with their recorded times (``original_time``, for files that record absolute times).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import time
from collections.abc import Callable
from typing import IO, cast

import httpx
import numpy as np

from ..errors import InvalidInput
from ..trackio import read_history
from .asterix_read import replay_asterix
from .framing import avr_record
from .poster import Backoff
from .reconnect import open_source, source_error, wait_to_reopen
from .sbs import SbsDecoder
from .sources import Intake, SourceSpec, beast_seconds
from .stats import FeedStats

__all__ = ["Pacer", "read_file", "read_poll", "read_tcp", "read_udp"]

READ_SIZE = 65536
SILENCE_S = 60.0
"""A receiver connection silent this long is dropped and made again."""


class Pacer:
    """Replays recorded times at ``speed`` × real time and maps them to feed times.

    :meth:`at` waits until a message recorded at ``rt`` is due and returns the time to
    report it with: now (as if live), or ``rt`` itself with ``original_time``.
    ``rt`` None (a message without a recorded time) is due at once, reported now.
    """

    def __init__(self, speed: float = 1.0, original_time: bool = False) -> None:
        if not speed >= 0:
            raise InvalidInput(f"--speed must be >= 0 (0: as fast as possible), got {speed}")
        self.speed = speed
        self.original_time = original_time
        self._t0: float | None = None
        self._wall0 = 0.0
        self._mono0 = 0.0
        self._since_yield = 0

    async def at(self, rt: float | None, *, absolute: bool = True) -> float:
        if rt is None:
            await self._yield_now()
            return time.time()
        if self._t0 is None:
            self._t0, self._wall0, self._mono0 = rt, time.time(), time.monotonic()
        if self.speed > 0:
            offset = (rt - self._t0) / self.speed
            delay = self._mono0 + offset - time.monotonic()
            if delay > 0.001:
                self._since_yield = 0
                await asyncio.sleep(delay)
            else:
                await self._yield_now()
            feed_t = self._wall0 + offset
        else:
            await self._yield_now()
            feed_t = time.time()
        return rt if self.original_time and absolute else feed_t

    async def _yield_now(self) -> None:
        # Let the poster run while a file is read flat out.
        self._since_yield += 1
        if self._since_yield >= 256:
            self._since_yield = 0
            await asyncio.sleep(0)


async def read_tcp(
    spec: SourceSpec, intake: Intake, stats: FeedStats, backoff: Backoff, notify: Callable[[], None]
) -> None:
    """Read a live receiver over TCP until cancelled, reconnecting after any loss."""
    assert spec.host is not None and spec.port is not None

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with asyncio.timeout(10.0):
            return await asyncio.open_connection(spec.host, spec.port)

    while True:
        reader, writer = await open_source(
            connect, stats, backoff, (OSError, TimeoutError), "connected"
        )
        try:
            while True:
                async with asyncio.timeout(SILENCE_S):
                    chunk = await reader.read(READ_SIZE)
                if not chunk:
                    break
                backoff.reset()
                intake.live_chunk(spec.kind, chunk, time.time())
                notify()
        except (OSError, TimeoutError) as exc:
            stats.last_error = source_error(exc)
        finally:
            writer.close()
            intake.reset_stream()
        await wait_to_reopen(stats, backoff)


UDP_BACKLOG = 10_000
"""Datagrams waiting to be decoded beyond which the waiting ones are dropped (counted bad)."""


async def read_udp(
    spec: SourceSpec, intake: Intake, stats: FeedStats, backoff: Backoff, notify: Callable[[], None]
) -> None:
    """Read a CoT mesh over UDP (a multicast group joins it) until cancelled; pytak opens
    the socket. Memory is bounded: past :data:`UDP_BACKLOG` datagrams waiting, the waiting
    ones are dropped and counted bad."""
    assert spec.host is not None and spec.port is not None
    from urllib.parse import urlparse

    import pytak  # the TAK transport, loaded only by the feeds that use it

    url = urlparse(f"udp+ro://{spec.host}:{spec.port}")
    while True:
        reader, _ = await open_source(
            lambda: pytak.create_udp_client(url), stats, backoff, (OSError, ValueError), "listening"
        )
        try:
            while True:
                data, _addr = await reader.recv()
                intake.cot.feed_datagram(data, time.time())
                notify()
                waiting = getattr(reader, "_recvq", None)
                if waiting is not None and waiting.qsize() > UDP_BACKLOG:
                    while not waiting.empty():
                        waiting.get_nowait()
                        intake.cot.messages += 1
                        intake.cot.dropped += 1
        except (OSError, pytak.asyncio_dgram.TransportClosed) as exc:
            stats.last_error = source_error(exc)
        finally:
            reader.close()
        await wait_to_reopen(stats, backoff)


async def read_poll(
    spec: SourceSpec,
    intake: Intake,
    stats: FeedStats,
    backoff: Backoff,
    client: httpx.AsyncClient,
    poll_s: float,
    notify: Callable[[], None],
) -> None:
    """Poll a state-vector URL every ``poll_s`` seconds until cancelled."""
    assert spec.url is not None
    while True:
        started = time.monotonic()
        try:
            r = await client.get(spec.url)
            r.raise_for_status()
            doc = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            stats.source = "reconnecting"
            stats.last_error = f"source: {type(exc).__name__}: {exc}"
            await asyncio.sleep(max(backoff.next_delay(), poll_s))
            continue
        stats.source = "connected"
        stats.source_connects += 1
        backoff.reset()
        intake.states.feed(doc)
        notify()
        await asyncio.sleep(max(0.0, poll_s - (time.monotonic() - started)))


def _open_binary(path: str) -> IO[bytes]:
    try:
        if path.endswith(".gz"):
            return cast(IO[bytes], gzip.open(path, "rb"))
        return open(path, "rb")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot open ({exc.strerror or exc})") from exc


async def read_file(
    spec: SourceSpec, intake: Intake, stats: FeedStats, pacer: Pacer, notify: Callable[[], None]
) -> None:
    """Replay a recorded file to its end."""
    assert spec.path is not None
    stats.source = "replaying"
    try:
        if spec.kind == "history":
            await _replay_history(spec.path, intake, pacer, notify)
        else:
            with _open_binary(spec.path) as fh:
                if spec.kind == "beast":
                    await _replay_beast(fh, intake, pacer, notify)
                elif spec.kind == "states":
                    await _replay_states(fh, intake, pacer, notify)
                elif spec.kind == "asterix":
                    await replay_asterix(
                        fh, intake, lambda rt: pacer.at(rt, absolute=False), notify
                    )
                else:
                    await _replay_lines(spec, fh, intake, pacer, notify)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InvalidInput(f"{spec.path}: cannot read ({exc})") from exc
    stats.source = "done"


async def _replay_lines(
    spec: SourceSpec, fh: IO[bytes], intake: Intake, pacer: Pacer, notify: Callable[[], None]
) -> None:
    with io.TextIOWrapper(fh, encoding="ascii", errors="replace") as text:
        await _replay_text(spec, text, intake, pacer, notify)


async def _replay_text(
    spec: SourceSpec, text: IO[str], intake: Intake, pacer: Pacer, notify: Callable[[], None]
) -> None:
    for raw in text:
        line = raw.strip()
        if not line:
            continue
        if spec.kind == "sbs":
            t = await pacer.at(SbsDecoder.recorded_time(line))
            intake.sbs.feed(line, t)
        else:
            rec = avr_record(line)
            if rec is None:
                intake.avr_bad += 1
                continue
            rt, ticks, frame = rec
            if rt is not None:
                t = await pacer.at(rt)
                intake.modes.feed(frame, t, rt)
            elif ticks is not None:
                src = beast_seconds(ticks)
                t = await pacer.at(src, absolute=False)
                intake.modes.feed(frame, t, src)
            else:
                t = await pacer.at(None)
                intake.modes.feed(frame, t)
        notify()


async def _replay_beast(
    fh: IO[bytes], intake: Intake, pacer: Pacer, notify: Callable[[], None]
) -> None:
    while chunk := fh.read(READ_SIZE):
        for frame in intake.beast.feed(chunk):
            if frame.kind not in (0x32, 0x33):
                continue
            src = beast_seconds(frame.ticks)
            t = await pacer.at(src, absolute=False)
            intake.modes.feed(frame.data.hex(), t, src)
            notify()


async def _replay_states(
    fh: IO[bytes], intake: Intake, pacer: Pacer, notify: Callable[[], None]
) -> None:
    text = fh.read().decode("utf-8", "replace")
    try:
        docs = [json.loads(text)]
    except ValueError:
        docs = []
        for line in text.splitlines():
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except ValueError:
                    docs.append(None)  # counted as bad by the decoder
    for doc in docs:
        rt = intake.states.recorded_time(doc)
        t = await pacer.at(rt)
        intake.states.feed(doc, shift_s=0.0 if rt is None else t - rt)
        notify()


async def _replay_history(
    path: str, intake: Intake, pacer: Pacer, notify: Callable[[], None]
) -> None:
    h = read_history(path)
    table = intake.table
    for k in np.argsort(h.time_s, kind="stable"):
        t = await pacer.at(float(h.time_s[k]))
        icao = str(h.id[k])
        lat, lon, alt, gs, trk, vs = (float(v) for v in h.values[k])
        table.position(icao, t, lat, lon)
        table.altitude(icao, t, alt)
        table.velocity(icao, t, gs, trk, vs)
        intake.rows += 1
        notify()
