"""``deconflict serve``: the live service over HTTP and WebSocket."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..service.config import ServiceConfig, parse_ladder
from ..service.interpreter import settle

__all__ = ["DEMO_SCENARIO", "register"]

DEMO_SCENARIO = "tabqa-2017-06-18.yaml"
"""The shipped scenario ``--demo`` plays by default (package data of
``deconflict.scenario``, also at ``examples/scenarios`` in a source checkout)."""


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
    p.add_argument(
        "--max-tracks-per-party",
        type=int,
        metavar="N",
        help="live tracks one party may hold (20000); a report beyond is refused",
    )
    p.add_argument(
        "--max-declarations-per-party",
        type=int,
        metavar="N",
        help="positions, intents and zones one party may hold (10000)",
    )
    p.add_argument(
        "--max-alert-changes",
        type=int,
        metavar="N",
        help="alerts one detection run raises or updates (500); the rest wait their turn",
    )
    p.add_argument(
        "--max-zone-vertices", type=int, metavar="N", help="most vertices of a zone (1000)"
    )
    p.add_argument(
        "--max-intent-vertices",
        type=int,
        metavar="N",
        help="most vertices of a volume intent (10000)",
    )
    p.add_argument(
        "--max-zone-area",
        type=float,
        metavar="M2",
        help="largest area of a zone, m² on the ellipsoid (1e10: 10,000 km²)",
    )
    p.add_argument(
        "--movement-notice",
        type=float,
        metavar="S",
        help=(
            "notice a ground movement is declared with, seconds before its start (172800: "
            "48 h); shorter notice is accepted and flagged"
        ),
    )
    p.add_argument(
        "--readback-mismatch",
        type=float,
        metavar="M",
        help="a wilco's understood place further than M metres from the declared one is a "
        "readback mismatch told to both parties (500)",
    )
    p.add_argument(
        "--head-interval",
        type=float,
        metavar="S",
        help=(
            "sign the published tree head every S seconds on a fixed cadence, not at every "
            "write (default 0: a head per write)"
        ),
    )
    p.add_argument(
        "--public-stats",
        action="store_true",
        default=None,
        help="GET /v1/status also gives parties the service-wide detection and commit figures",
    )
    p.add_argument(
        "--ladder",
        action="append",
        metavar="KIND=S1,S2",
        help=(
            "escalation ladder of an alert kind ('*' for any other): unanswered S1 seconds "
            "after it was raised it goes to the party's supervisors too, after S2 to every "
            "officer (repeatable; defaults e.g. separation=20,40, declaration=600,1200)"
        ),
    )
    p.add_argument("--log-level", default="warning", help="uvicorn log level (warning)")
    p.add_argument("--tls-cert", metavar="F", help="serve HTTPS: the server's certificate (PEM)")
    p.add_argument("--tls-key", metavar="F", help="with --tls-cert: its private key (PEM)")
    p.add_argument(
        "--tls-client-ca",
        metavar="F",
        help="with --tls-cert: require a client certificate issued by this CA (mutual TLS)",
    )
    p.add_argument(
        "--basemap",
        metavar="FILE",
        help=(
            "serve this offline PMTiles (version 3) file at /basemap.pmtiles, in byte "
            "ranges, as the page's basemap (none by default)"
        ),
    )
    p.add_argument(
        "--demo",
        nargs="?",
        const=DEMO_SCENARIO,
        metavar="SCENARIO",
        help=(
            "play a scenario live (default: the shipped Tabqa 2017-06-18 one) on a fresh "
            "SQLite file in a temporary directory; prints one login URL per party, then "
            "one per officer of the scenario"
        ),
    )
    p.add_argument(
        "--speed",
        type=float,
        default=10.0,
        metavar="X",
        help="with --demo: scenario time runs X times as fast as real time (10)",
    )
    p.add_argument(
        "--cluster",
        metavar="URLS",
        help="cluster mode: NATS JetStream servers nats://H:P[,nats://H:P...] "
        "(with --db postgresql://... and --role)",
    )
    p.add_argument(
        "--role",
        default="all",
        help="with --cluster: gateway, recorder, detector, hotline or all (default all)",
    )
    p.add_argument(
        "--name",
        metavar="NAME",
        help="with --role detector, hotline or all: this detector's or hotline's name, "
        "unique among them in the cluster (default HOST-PID)",
    )
    p.set_defaults(func=run)


def config_from(args: argparse.Namespace) -> ServiceConfig:
    """Environment, then flags."""
    base = ServiceConfig.from_env()
    ladder = dict(parse_ladder(text) for text in args.ladder) if args.ladder else None
    return base.with_overrides(
        ladder_s={**base.ladder_s, **ladder} if ladder else None,
        lookahead_s=args.lookahead,
        h_sep_m=args.h_sep,
        v_sep_m=args.v_sep,
        track_max_age_s=args.track_max_age,
        rate_per_s=args.rate,
        public_stats=args.public_stats,
        head_interval_s=args.head_interval,
        max_tracks_per_party=args.max_tracks_per_party,
        max_declarations_per_party=args.max_declarations_per_party,
        max_zone_vertices=args.max_zone_vertices,
        max_intent_vertices=args.max_intent_vertices,
        max_zone_area_m2=args.max_zone_area,
        max_alert_changes=args.max_alert_changes,
        movement_notice_s=args.movement_notice,
        readback_mismatch_m=args.readback_mismatch,
    )


def tls_options(args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's ssl options from ``--tls-cert``, ``--tls-key`` and ``--tls-client-ca``
    (none: plain HTTP); :class:`InvalidInput` naming what is missing or unreadable."""
    cert, key, client_ca = args.tls_cert, args.tls_key, args.tls_client_ca
    if cert is None and key is None and client_ca is None:
        return {}
    if cert is None or key is None:
        raise InvalidInput("--tls-cert and --tls-key go together")
    for flag, path in (("--tls-cert", cert), ("--tls-key", key), ("--tls-client-ca", client_ca)):
        if path is not None and not Path(path).is_file():
            raise InvalidInput(f"{flag}: no file {path!r}")
    options: dict[str, Any] = {"ssl_certfile": cert, "ssl_keyfile": key}
    if client_ca is not None:
        import ssl

        options.update(ssl_ca_certs=client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    return options


def _demo_scenario(name: str) -> Path:
    """The scenario ``--demo`` names: a file, or a shipped scenario's file name."""
    given = Path(name)
    if given.is_file():
        return given
    shipped = Path(str(resources.files("deconflict") / "scenario" / "scenarios" / name))
    if shipped.name == name and shipped.is_file():
        return shipped
    raise InvalidInput(f"--demo: no scenario file {name!r} (give the path of a scenario)")


def _countries(args: argparse.Namespace) -> tuple[Any, ...]:
    """The countries of ``--borders`` (none: no border crossing alerts)."""
    if not args.borders:
        return ()
    from ..features import read_borders

    return tuple(read_borders(args.borders))


def _basemap(args: argparse.Namespace) -> Path | None:
    """The ``--basemap`` file, checked before anything starts (or ``None``)."""
    from ..api.routes.basemap import check_basemap

    return check_basemap(args.basemap) if args.basemap else None


def run_demo(args: argparse.Namespace) -> int:
    """``serve --demo``: a fresh service playing a scenario live, looping."""
    import shutil
    import tempfile

    import uvicorn

    from ..api.app import MAX_BODY_BYTES, create_app
    from ..features import parse_borders
    from ..scenario.live import LiveDemo
    from ..scenario.loader import load_scenario
    from ..scenario.recorder import Recorder
    from ..scenario.replay import build_config
    from ..service.clock import ScaledClock, to_datetime
    from ..service.core import Service
    from ..store import open_database
    from ..store.keys import open_log

    if args.db:
        raise InvalidInput("--demo runs on a fresh temporary database: leave out --db")
    if not args.speed > 0:
        raise InvalidInput(f"--speed: must be > 0, got {args.speed}")
    tls = tls_options(args)
    basemap_file = _basemap(args)
    scheme = "https" if tls else "http"
    scenario = load_scenario(_demo_scenario(args.demo))
    countries = parse_borders(scenario.borders, "borders") if scenario.borders else ()
    workdir = tempfile.mkdtemp(prefix="deconflict-demo-")
    try:
        db = open_database(str(Path(workdir) / "demo.db"), create=True)
        with db:
            clock = ScaledClock(scenario.start_s, args.speed)
            log = open_log(db, workdir)
            log.clock = lambda: to_datetime(clock.now())
            recorder = Recorder(clock.now, timeline=False)
            service = Service(
                db,
                log,
                config=build_config(scenario),
                clock=clock,
                publish=recorder.publish,
                countries=countries,
            )
            service.warm_up()
            base = f"{scheme}://{args.host}:{args.port}/"
            for name, language in scenario.parties:
                token = service.add_party(name, language)
                print(f"{name} {base}#token={token}", flush=True)
            # after every party's line (those lines are a contract): each officer's own
            for o in scenario.officers:
                token = service.admin.add_officer(o.party, o.name, o.role)
                print(f"  officer {o.name} ({o.role}) of {o.party}: {base}#token={token}")
            service.officers.refresh()
            sys.stdout.flush()
            app = create_app(service, basemap_file=basemap_file)
            settle()  # as in run(): start-up is done
            demo = LiveDemo(scenario, service, recorder, clock)
            print(
                f"deconflict: demo {scenario.name!r} at {args.speed:g}x real time, looping, "
                f"on {scheme}://{args.host}:{args.port}/ (data in {workdir}, removed at exit)",
                file=sys.stderr,
                flush=True,
            )
            logging.basicConfig(level=args.log_level.upper())
            demo.start()
            try:
                uvicorn.run(
                    app, host=args.host, port=args.port, log_level=args.log_level,
                    ws_max_size=MAX_BODY_BYTES, **tls,
                )  # fmt: skip
            finally:
                demo.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run(args: argparse.Namespace) -> int:
    import uvicorn

    if args.demo is not None:
        return run_demo(args)
    if args.cluster is not None:
        return run_cluster(args)

    from ..api.app import MAX_BODY_BYTES, create_app
    from ..service.core import Service
    from ..store import open_database
    from ..store.keys import open_log

    config = config_from(args)
    tls = tls_options(args)
    basemap_file = _basemap(args)
    countries = _countries(args)
    db = open_database(args.db or "deconflict.db", create=True)
    with db:
        service = Service(db, open_log(db, args.key_dir), config=config, countries=countries)
        service.warm_up()
        app = create_app(service, basemap_file=basemap_file)
        settle()  # start-up is done: the lock handed over often, its objects frozen
        print(
            f"deconflict: serving {db.target} on {'https' if tls else 'http'}://"
            f"{args.host}:{args.port}/ "
            f"(API /v1, OpenAPI /openapi.json)",
            file=sys.stderr,
            flush=True,
        )
        logging.basicConfig(level=args.log_level.upper())
        # a stream frame has the limit of an HTTP body: larger ones close the stream (1009)
        uvicorn.run(
            app, host=args.host, port=args.port, log_level=args.log_level,
            ws_max_size=MAX_BODY_BYTES, **tls,
        )  # fmt: skip
    return 0


def run_cluster(args: argparse.Namespace) -> int:
    """One role of the cluster (:mod:`deconflict.cluster.roles`) until interrupted."""
    import os
    import socket
    import threading

    import uvicorn

    from ..api.app import MAX_BODY_BYTES
    from ..cluster.bus import shown
    from ..cluster.roles import (
        check_cluster,
        gateway_app,
        start_detector,
        start_hotline,
        start_recorder,
    )
    from ..service.core import Service
    from ..store import open_database
    from ..store.keys import open_log

    servers = check_cluster(args.cluster, args.db, args.role)
    config = config_from(args)
    tls = tls_options(args)
    basemap_file = _basemap(args)
    countries = _countries(args)
    logging.basicConfig(level=args.log_level.upper())
    stop = threading.Event()

    def open_service() -> Service:
        db = open_database(args.db, create=True)
        return Service(db, open_log(db, args.key_dir), config=config, countries=countries)

    if args.role in ("recorder", "all"):
        _, thread = start_recorder(servers, open_service, args.db, stop, config)
    name = args.name or f"{socket.gethostname()}-{os.getpid()}"
    if args.role in ("detector", "all"):
        _, detecting = start_detector(servers, name, stop)
    if args.role in ("hotline", "all"):
        _, watching = start_hotline(servers, name, stop)
    settle()  # a recorder settles again once it has taken over and loaded its store
    print(
        f"deconflict: cluster role {args.role} on {','.join(map(shown, servers))}",
        file=sys.stderr,
        flush=True,
    )
    try:
        if args.role == "recorder":
            thread.join()
            return 0
        if args.role == "detector":
            detecting.join()
            return 0
        if args.role == "hotline":
            watching.join()
            return 0
        app = gateway_app(servers, config, basemap_file=basemap_file)
        settle()  # the gateway's app is built: freeze it too
        uvicorn.run(
            app, host=args.host, port=args.port, log_level=args.log_level,
            ws_max_size=MAX_BODY_BYTES, **tls,
        )  # fmt: skip
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    return 0
