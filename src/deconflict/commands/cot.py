"""``deconflict cot``: send one party's picture of the line to a TAK server as Cursor-on-Target
events (its token in ``DECONFLICT_TOKEN``), so its duty officers see it on their devices."""

from __future__ import annotations

import argparse
import os

from ..errors import InvalidInput
from ..feeds.cotlink import CotLinkOptions, TakTarget, run_link
from ._flags import add_number
from ._partyclient import (
    SERVICE_HELP,
    add_stats_flags,
    party_token,
    run_client,
    run_options,
)

KEY_PASSWORD_ENV = "DECONFLICT_TAK_KEY_PASSWORD"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cot",
        help="send the party's tracks, alerts and zones to a TAK server as CoT events",
        description=(
            "Follow the service as the party whose token is in $DECONFLICT_TOKEN and send "
            "its picture to a TAK server or mesh as Cursor-on-Target events: own tracks as "
            "a-f-A (uid: the track id), another party's aircraft shown in an alert as a-u-A "
            "(never friendly), each alert (uid: the alert id), zones and declared positions "
            "as drawing shapes. An alert's events go stale when it closes for the party."
        ),
    )
    p.add_argument("service", metavar="SERVICE_URL[,URL...]", help=SERVICE_HELP)
    p.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="tcp://HOST:PORT, tls://HOST:PORT or udp://HOST:PORT (e.g. the mesh "
        "udp://239.2.3.1:6969)",
    )
    p.add_argument("--cert", metavar="PEM", help="tls: the client certificate (PEM or .p12)")
    p.add_argument("--key", metavar="PEM", help="tls: the client key (default: in --cert)")
    p.add_argument("--ca", metavar="PEM", help="tls: the CA that signed the server's certificate")
    p.add_argument(
        "--server-name",
        metavar="NAME",
        help="tls: the name the server's certificate must carry (default: HOST)",
    )
    p.add_argument(
        "--protocol",
        choices=("xml", "proto"),
        default="xml",
        help="CoT XML (default) or TAK protocol v1 (protobuf)",
    )
    add_number(p, "--poll", 2.0, "read the party's own tracks every S seconds")
    add_number(p, "--shapes", 30.0, "read zones and positions every S seconds, and on a zone event")
    add_number(
        p,
        "--stale",
        120.0,
        "events go stale S seconds after they are sent; live ones are sent again every S/2",
    )
    add_stats_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    token = party_token()
    for flag in ("cert", "key", "ca"):
        path = getattr(args, flag)
        if path is not None and not os.path.isfile(path):
            raise InvalidInput(f"--{flag} {path!r}: no such file")
    target = TakTarget(
        args.to,
        cert=args.cert,
        key=args.key,
        ca=args.ca,
        password=os.environ.get(KEY_PASSWORD_ENV) or None,
        server_name=args.server_name,
    )
    options = CotLinkOptions(
        protocol=args.protocol,
        poll_s=args.poll,
        shapes_s=args.shapes,
        stale_s=args.stale,
        **run_options(args),
    )
    return 130 if run_client(args, run_link, args.service, token, target, options) is None else 0
