"""What the commands that run as a client of the service for one party share: its token
from ``DECONFLICT_TOKEN``, the service as one URL or several (a cluster's gateways), the
``--duration``/``--json``/``--stats-every`` flags, and a run that Ctrl-C or SIGTERM stops
cleanly."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO, TypedDict, TypeVar

from ..errors import InvalidInput
from ._flags import add_number

TOKEN_ENV = "DECONFLICT_TOKEN"
SERVICE_HELP = (
    "the service, http://HOST:PORT; or several URLs, comma-separated (a cluster's "
    "gateways): on a connection failure, a 502/503/504 or a closed stream the next is used"
)
"""The help of the service URL argument of every party client (the URLs are read by
:meth:`deconflict.feeds.failover.ServiceUrls.parse`)."""
T = TypeVar("T")


def party_token() -> str:
    """The party's token from ``$DECONFLICT_TOKEN``; :class:`InvalidInput` when unset."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise InvalidInput(f"no token: set {TOKEN_ENV} to the party's token")
    return token


def add_stats_flags(p: argparse.ArgumentParser) -> None:
    """``--duration S``, ``--json`` and ``--stats-every S`` (seconds, default 10)."""
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON stats line every --stats-every seconds and at the end",
    )
    add_number(p, "--stats-every", 10.0, "seconds between --json stats lines")


class RunOptions(TypedDict):
    """The fields of a run's options that :func:`add_stats_flags` sets (s)."""

    duration_s: float | None
    stats_every_s: float | None


def run_options(args: argparse.Namespace) -> RunOptions:
    """The run's options from the flags of :func:`add_stats_flags`: ``duration_s`` (None:
    until stopped) and ``stats_every_s``, seconds between stats lines (None without
    ``--json``)."""
    every = float(args.stats_every) if args.json else None
    return RunOptions(duration_s=args.duration, stats_every_s=every)


def outputs(args: argparse.Namespace) -> dict[str, TextIO | None]:
    """Where the run writes: ``stats_out`` stdout with ``--json``, ``status_out`` stderr
    when it is a terminal (one status line)."""
    return {
        "stats_out": sys.stdout if args.json else None,
        "status_out": sys.stderr if sys.stderr.isatty() else None,
    }


def run_until_signal(main: Callable[[asyncio.Event], Awaitable[T]]) -> T | None:
    """Run ``main(stop)``; SIGINT and SIGTERM set ``stop`` (it finishes what is pending).
    None when interrupted before it could install the handlers."""

    async def wrapped() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        return await main(stop)

    try:
        return asyncio.run(wrapped())
    except KeyboardInterrupt:
        return None


def run_client(
    args: argparse.Namespace, main: Callable[..., Awaitable[T]], *positional: Any
) -> T | None:
    """Run ``main(*positional, stop=stop, stats_out=..., status_out=...)`` (the outputs of
    :func:`outputs`) until it returns or SIGINT or SIGTERM sets ``stop``; None as for
    :func:`run_until_signal`."""
    return run_until_signal(lambda stop: main(*positional, stop=stop, **outputs(args)))
