"""``deconflict check``: zone entries, intent overlaps, strike proximity, border crossings.

Loads the inputs into a :class:`~deconflict.model.Picture`, evaluates it with
:func:`deconflict.alerts.evaluate` and prints each :class:`~deconflict.model.Alert` as one
JSON line (:func:`~deconflict.service.alertshape.check_json`: rounded at output only),
then a one-line summary on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..alerts import count_by_kind, evaluate
from ..errors import InvalidInput
from ..features import FeatureSet, read_borders, read_features
from ..model import Alert, Country, Picture, Strike, Tracks, Volume
from ..movement import Movement
from ..service.alertshape import check_json
from ..timefmt import format_time, parse_time
from ..zoneformats import DEFAULT_IMPORTER
from ._flags import add_number

DEFAULT_LOOKAHEAD_S = 300.0

INPUT_OPTIONS = ("--zones", "--tracks", "--positions", "--intents", "--borders")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="zone entries, intent overlaps, strikes near others' positions, border crossings",
        description=(
            "Check tracks against zones and borders, volume intents against each other "
            "and against their own party's tracks, and strike intents against other "
            "parties' declared positions. Prints one JSON object per alert with kind, "
            "parties (sorted), subjects, t (seconds from --at until it happens, 0 if "
            "already so), lat and lon, sorted by (t, kind, subjects), then a one-line "
            "summary on stderr. The GeoJSON files may each hold any mix of zones, "
            "positions and intents; a zones file may also be an EUROCAE ED-269 or ED-318 "
            "document. At least one input is required."
        ),
    )
    p.add_argument("--zones", metavar="F", action="append", default=[], help="GeoJSON zones")
    p.add_argument("--tracks", metavar="STATES.csv", help="states file (.csv or .csv.gz)")
    p.add_argument(
        "--positions", metavar="F", action="append", default=[], help="GeoJSON positions"
    )
    p.add_argument("--intents", metavar="F", action="append", default=[], help="GeoJSON intents")
    p.add_argument("--borders", metavar="F", help="GeoJSON countries (polygons with an id)")
    add_number(p, "--lookahead", DEFAULT_LOOKAHEAD_S, "seconds to look ahead for tracks")
    p.add_argument("--at", metavar="ISO8601", help="the present (default: now)")
    p.add_argument(
        "--party",
        metavar="NAME",
        default=DEFAULT_IMPORTER,
        help="the party whose claim the zones of an ED-269 or ED-318 file are "
        f"(default {DEFAULT_IMPORTER!r})",
    )
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Inputs:
    """Everything ``check`` reads, validated."""

    picture: Picture
    now_s: float
    lookahead_s: float
    clock: bool = False
    """Whether ``now_s`` is the clock's (no ``--at``)."""
    movements: tuple[Movement, ...] = ()
    """Planned ground movements among the intents."""


def load(args: argparse.Namespace) -> Inputs:
    """Read and validate every input; raises :class:`InvalidInput` before any output."""
    given = [args.zones, args.tracks, args.positions, args.intents, args.borders]
    if not any(given):
        raise InvalidInput(f"nothing to check: give at least one of {', '.join(INPUT_OPTIONS)}")
    if not math.isfinite(args.lookahead) or args.lookahead < 0:
        raise InvalidInput(f"--lookahead: must be a number of seconds >= 0, got {args.lookahead}")
    now_s = time.time() if args.at is None else parse_time(args.at)
    features = FeatureSet()
    for path in [*args.zones, *args.positions, *args.intents]:
        features = features.merge(read_features(path, party=args.party))
    tracks = Tracks.from_csv(args.tracks) if args.tracks else Tracks.empty()
    countries: tuple[Country, ...] = read_borders(args.borders) if args.borders else ()
    picture = Picture(
        tracks=tracks,
        zones=features.zones,
        positions=features.positions,
        strikes=features.strikes,
        volumes=features.volumes,
        countries=countries,
    )
    return Inputs(
        picture, now_s, float(args.lookahead), clock=args.at is None, movements=features.movements
    )


def row(alert: Alert) -> dict[str, Any]:
    """One alert as printed: the keys of the ``check`` contract first, then the kind's
    specifics (times ISO 8601, numbers rounded; the alert's JSON is
    :func:`deconflict.service.alertshape.check_json`)."""
    return check_json(alert)


def rows(alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    """The printed rows, sorted by the printed (t, kind, subjects)."""
    out = [row(a) for a in alerts]
    out.sort(key=lambda r: (r["t"], r["kind"], r["subjects"]))
    return out


def summary(alerts: Sequence[Alert], inp: Inputs) -> str:
    """One line: alerts by kind; what was checked; when; plans already over."""
    by_kind = count_by_kind(alerts)
    kinds = ", ".join(f"{n} {kind}" for kind, n in by_kind.items())
    p = inp.picture
    counts = (
        (len(p.zones), "zone(s)"),
        (len(p.tracks), "track(s)"),
        (len(p.positions), "position(s)"),
        (len(p.strikes), "strike(s)"),
        (len(p.volumes), "volume(s)"),
        (len(inp.movements), "movement(s)"),
        (len(p.countries), "country(ies)"),
    )
    checked = ", ".join(f"{n} {what}" for n, what in counts if n or what != "movement(s)")
    text = f"{len(alerts)} alert(s){': ' + kinds if kinds else ''}; {checked}"
    text += f" at {format_time(math.floor(inp.now_s))}{' (now)' if inp.clock else ''}"
    text += f", lookahead {inp.lookahead_s:g} s"
    plans: list[Strike | Volume] = [*p.strikes, *p.volumes]
    over = sum(1 for x in plans if x.end_s < inp.now_s)
    if over:
        text += f"; {over} of {len(plans)} plan(s) ended before then"
    return text


def run(args: argparse.Namespace) -> int:
    inputs = load(args)
    alerts = evaluate(
        inputs.picture,
        now_s=inputs.now_s,
        lookahead_s=inputs.lookahead_s,
        movements=inputs.movements,
    )
    write = sys.stdout.write
    for r in rows(alerts):
        write(json.dumps(r, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    print(summary(alerts, inputs), file=sys.stderr)
    return 0
