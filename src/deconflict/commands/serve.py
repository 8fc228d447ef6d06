"""``deconflict serve``: the live service over HTTP and WebSocket."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from ..service.config import ServiceConfig

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the service (HTTP API, WebSocket stream, map page)",
        description=(
            "Run the deconfliction service on a SQLite file (default) or PostgreSQL URL. "
            "Settings come from flags, else from DECONFLICT_* environment variables "
            "(DECONFLICT_LOOKAHEAD_S, DECONFLICT_H_SEP_M, DECONFLICT_V_SEP_M, "
            "DECONFLICT_TRACK_MAX_AGE_S, DECONFLICT_DEADLINE_<KIND>, ...), else defaults."
        ),
    )
    p.add_argument("--db", metavar="PATH|URL", help="service database (default deconflict.db)")
    p.add_argument("--key-dir", metavar="DIR", help="signing key directory")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (8080)")
    p.add_argument("--lookahead", type=float, metavar="S", help="separation lookahead, s")
    p.add_argument("--h-sep", type=float, metavar="M", help="horizontal separation, m")
    p.add_argument("--v-sep", type=float, metavar="M", help="vertical separation, m")
    p.add_argument("--track-max-age", type=float, metavar="S", help="drop tracks older than S")
    p.add_argument("--borders", metavar="F", help="GeoJSON countries: report border crossings")
    p.add_argument("--rate", type=float, metavar="N", help="requests per second per party")
    p.add_argument("--log-level", default="warning", help="uvicorn log level (warning)")
    p.set_defaults(func=run)


def config_from(args: argparse.Namespace) -> ServiceConfig:
    """Environment, then flags."""
    return ServiceConfig.from_env().with_overrides(
        lookahead_s=args.lookahead,
        h_sep_m=args.h_sep,
        v_sep_m=args.v_sep,
        track_max_age_s=args.track_max_age,
        rate_per_s=args.rate,
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..api.app import create_app
    from ..service.core import Service
    from ..store import open_database
    from ..store.keys import open_log

    config = config_from(args)
    countries: tuple[Any, ...] = ()
    if args.borders:
        from ..features import read_borders

        countries = read_borders(args.borders)
    db = open_database(args.db or "deconflict.db", create=True)
    with db:
        service = Service(db, open_log(db, args.key_dir), config=config, countries=countries)
        app = create_app(service)
        print(
            f"deconflict: serving {db.target} on http://{args.host}:{args.port}/ "
            f"(API /v1, OpenAPI /openapi.json)",
            file=sys.stderr,
            flush=True,
        )
        logging.basicConfig(level=args.log_level.upper())
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
