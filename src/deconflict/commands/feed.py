"""``deconflict feed``: report a receiver's, a state-vector feed's or a recording's traffic
to the service as the tracks of one party (its token in ``DECONFLICT_TOKEN``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable

from ..feeds.run import FeedOptions, run_feed
from ..feeds.state import DEFAULT_MAX_AGE_S, DEFAULT_MAX_AIRCRAFT
from ..feeds.stats import FeedStats
from ._partyclient import (
    SERVICE_HELP,
    TOKEN_ENV,
    add_stats_flags,
    outputs,
    party_token,
    run_until_signal,
    stats_every,
)

__all__ = ["TOKEN_ENV", "register", "run"]


def _receiver(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON in degrees, got {text!r}") from None
    return lat, lon


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "feed",
        help="post live or recorded ADS-B/Mode S traffic as one party's tracks",
        description=(
            "Read SOURCE and post each aircraft with position, altitude and velocity as a "
            "track of the party whose token is in $DECONFLICT_TOKEN (id: the ICAO address, "
            "lower-case hex). SOURCE: sbs://HOST:PORT (BaseStation, port 30003), "
            "avr://HOST:PORT (port 30002), beast://HOST:PORT (port 30005), an http(s) URL "
            "serving OpenSky /states/all JSON (polled), or a recorded .sbs, .avr, .beast, "
            ".json or track history .csv file (optionally .gz), replayed with its timing."
        ),
    )
    p.add_argument("source", metavar="SOURCE", help="receiver URL, state-vector URL or file")
    p.add_argument("--service", required=True, metavar="URL[,URL...]", help=SERVICE_HELP)
    p.add_argument(
        "--batch-interval",
        type=float,
        default=1.0,
        metavar="S",
        help="post changed tracks every S seconds (default 1)",
    )
    p.add_argument(
        "--batch-updates",
        type=int,
        default=1000,
        metavar="N",
        help="post sooner once N messages have come in (default 1000)",
    )
    p.add_argument(
        "--max-aircraft",
        type=int,
        default=DEFAULT_MAX_AIRCRAFT,
        metavar="N",
        help=f"keep at most N aircraft, dropping the least recently heard "
        f"(default {DEFAULT_MAX_AIRCRAFT})",
    )
    p.add_argument(
        "--max-age",
        type=float,
        default=DEFAULT_MAX_AGE_S,
        metavar="S",
        help=f"forget fields and aircraft not heard for S seconds (default {DEFAULT_MAX_AGE_S:g})",
    )
    p.add_argument(
        "--receiver",
        type=_receiver,
        metavar="LAT,LON",
        help="receiver position, for decoding an aircraft's first Mode S position frames",
    )
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="replay a file at X times its recorded pace (default 1; 0: as fast as possible)",
    )
    p.add_argument(
        "--original-time",
        action="store_true",
        help="report a replayed file's recorded times instead of the replay's",
    )
    p.add_argument(
        "--poll",
        type=float,
        default=10.0,
        metavar="S",
        help="poll a state-vector URL every S seconds (default 10)",
    )
    p.add_argument(
        "--drain",
        type=float,
        default=30.0,
        metavar="S",
        help="when stopping, keep trying to deliver what is pending for S seconds (default 30)",
    )
    add_stats_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    token = party_token()
    options = FeedOptions(
        batch_interval_s=args.batch_interval,
        batch_updates=args.batch_updates,
        max_aircraft=args.max_aircraft,
        max_age_s=args.max_age,
        speed=args.speed,
        original_time=args.original_time,
        poll_s=args.poll,
        receiver=args.receiver,
        duration_s=args.duration,
        drain_s=args.drain,
        stats_every_s=stats_every(args),
    )

    def feed(stop: asyncio.Event) -> Awaitable[FeedStats]:
        # Ctrl-C and SIGTERM stop the feed cleanly: what is pending is still posted.
        return run_feed(
            args.source,
            args.service,
            token,
            options,
            stop=stop,
            **outputs(args),
        )

    stats = run_until_signal(feed)
    if stats is None:
        return 130
    if stats.unsent:
        print(
            f"deconflict feed: {stats.unsent} track(s) not delivered ({stats.last_error})",
            file=sys.stderr,
        )
        return 1
    return 0
