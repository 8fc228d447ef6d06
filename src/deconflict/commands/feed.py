"""``deconflict feed``: report a receiver's, a state-vector feed's or a recording's traffic
to the service as the tracks of one party (its token in ``DECONFLICT_TOKEN``)."""

from __future__ import annotations

import argparse
import sys

from ..feeds.run import FeedOptions, run_feed
from ..feeds.state import DEFAULT_MAX_AGE_S, DEFAULT_MAX_AIRCRAFT
from ._flags import add_number
from ._partyclient import (
    SERVICE_HELP,
    TOKEN_ENV,
    add_stats_flags,
    party_token,
    run_client,
    run_options,
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
    add_number(p, "--batch-interval", 1.0, "post changed tracks every S seconds")
    add_number(p, "--batch-updates", 1000, "post sooner once N messages have come in", metavar="N")
    add_number(
        p,
        "--max-aircraft",
        DEFAULT_MAX_AIRCRAFT,
        "keep at most N aircraft, dropping the least recently heard",
        metavar="N",
    )
    add_number(
        p, "--max-age", DEFAULT_MAX_AGE_S, "forget fields and aircraft not heard for S seconds"
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
    add_number(p, "--poll", 10.0, "poll a state-vector URL every S seconds")
    add_number(
        p, "--drain", 30.0, "when stopping, keep trying to deliver what is pending for S seconds"
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
        drain_s=args.drain,
        **run_options(args),
    )
    # Ctrl-C and SIGTERM stop the feed cleanly: what is pending is still posted.
    stats = run_client(args, run_feed, args.source, args.service, token, options)
    if stats is None:
        return 130
    if stats.unsent:
        print(
            f"deconflict feed: {stats.unsent} track(s) not delivered ({stats.last_error})",
            file=sys.stderr,
        )
        return 1
    return 0
