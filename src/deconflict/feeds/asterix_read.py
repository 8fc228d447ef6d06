"""Reading ASTERIX into the intake: live UDP datagrams and replayed ``.ast`` recordings.

``asterix://HOST:PORT`` binds a UDP socket to ``HOST:PORT`` (a local address, or
``0.0.0.0`` for all); an IPv4 multicast group as HOST is joined on every interface.
Each datagram is decoded as it arrives and its reports dated by its time of arrival. On
a socket error the socket is closed and bound again after a backoff, forever. Memory is
bounded: one datagram (at most 64 KiB) at a time, the rest waits in the kernel's socket
buffer (where the kernel drops what overflows).

A ``.ast`` file holds data blocks back to back; it is replayed at ``--speed`` times the
pace of its reports' times of day (relative: a recording carries no date), each report
reported at the moment it is replayed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from typing import IO

from .asterix import DAY_S, date_time_of_day
from .poster import Backoff
from .reconnect import open_source, source_error, wait_to_reopen
from .sources import Intake, SourceSpec
from .stats import FeedStats

__all__ = ["open_udp", "read_asterix_udp", "replay_asterix"]

DATAGRAM_MAX = 65_535
READ_SIZE = 65_536
YIELD_EVERY = 64
"""Datagrams decoded back to back before the reader lets the poster run."""


def open_udp(host: str, port: int) -> socket.socket:
    """A non-blocking UDP socket bound to ``host:port``, joined to ``host`` if it is an
    IPv4 multicast group. Raises :class:`OSError`."""
    try:
        group = ipaddress.ip_address(host)
    except ValueError:
        group = None
    if group is not None and group.is_multicast:
        if group.version != 4:
            raise OSError(f"{host}: only IPv4 multicast groups are joined")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            _join(sock, host)
        except OSError:
            sock.close()
            raise
    else:
        family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind(addr)
        except OSError:
            sock.close()
            raise
    sock.setblocking(False)
    return sock


def _join(sock: socket.socket, group: str) -> None:
    """Join ``group`` on every interface that takes it (loopback included)."""
    joined = 0
    error: OSError | None = None
    for index, _name in socket.if_nameindex():
        mreqn = struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"), index)
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
            joined += 1
        except OSError as exc:
            error = exc
    if not joined:
        raise error or OSError(f"{group}: no interface to join it on")


async def read_asterix_udp(
    spec: SourceSpec, intake: Intake, stats: FeedStats, backoff: Backoff, notify: Callable[[], None]
) -> None:
    """Read ASTERIX datagrams until cancelled, binding the socket again after any error."""
    assert spec.host is not None and spec.port is not None
    loop = asyncio.get_running_loop()
    decoder = intake.asterix
    host, port = spec.host, spec.port

    async def bind() -> socket.socket:
        return open_udp(host, port)

    while True:
        sock = await open_source(bind, stats, backoff, (OSError,), "listening")
        since_yield = 0
        try:
            while True:
                data, _ = await loop.sock_recvfrom(sock, DATAGRAM_MAX)
                backoff.reset()
                decoder.datagram(data, time.time())
                notify()
                since_yield += 1
                if since_yield >= YIELD_EVERY:  # a ready socket never makes recv wait
                    since_yield = 0
                    await asyncio.sleep(0)
        except OSError as exc:
            stats.last_error = source_error(exc)
        finally:
            sock.close()
        await wait_to_reopen(stats, backoff)


class _Unwrap:
    """Times of day of a recording as one increasing-ish timeline across midnights."""

    def __init__(self) -> None:
        self.last: float | None = None

    def __call__(self, tod_s: float) -> float:
        t = tod_s if self.last is None else date_time_of_day(tod_s, self.last)
        self.last = t
        return t


async def replay_asterix(
    fh: IO[bytes],
    intake: Intake,
    pace: Callable[[float | None], Awaitable[float]],
    notify: Callable[[], None],
) -> None:
    """Replay a recording of data blocks; ``pace(source_time)`` is awaited before each
    report and gives the feed time to report it with (see :class:`.readers.Pacer`)."""
    decoder = intake.asterix
    stream = intake.asterix_stream
    unwrap = _Unwrap()
    while chunk := fh.read(READ_SIZE):
        for block in stream.feed(chunk):
            for rep in decoder.block_reports(block):
                if rep.tod_s != rep.tod_s:  # NaN: a report without a time
                    t = await pace(None)
                elif 0.0 <= rep.tod_s < DAY_S:
                    t = await pace(unwrap(rep.tod_s))
                else:
                    decoder.bad += 1
                    continue
                decoder.merge(rep, t)
                notify()
    stream.end()
