"""``deconflict zones export``: zones written as an EUROCAE ED-318 or ED-269 document.

Reads zones from where they live — zone files (GeoJSON, ED-269 or ED-318), scenarios
(every zone they declare) and the service (``GET /v1/zones`` with the party's token in
``DECONFLICT_TOKEN``) — and writes one document that validates against the format's
schema and reads back (:func:`deconflict.zoneformats.as_geojson`) as the same zones.
Everything is read and written in memory first: bad input exits with status 2 and
nothing on stdout or in ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from ..errors import InvalidInput
from ..features import parse_features
from ..model import Zone, shown
from ..scenario.loader import load_scenario
from ..zoneformats import DEFAULT_IMPORTER, FORMATS, as_geojson, document_of
from .feed import TOKEN_ENV

__all__ = ["register"]

DEFAULT_COUNTRY = "XXX"
"""The ISO 3166-1 alpha-3 code written for a zone that names no country (a code of the
user-assigned range)."""


_LANG = re.compile(r"[A-Za-z]{2}-[A-Za-z]{2}")


class _Collected:
    """Zones in the order read, each with its country; a later one with the same id
    replaces an earlier one (a scenario that declares a zone again)."""

    def __init__(self) -> None:
        self.zones: dict[str, tuple[Zone, str | None]] = {}

    def add_doc(self, doc: Any, source: str, party: str) -> None:
        geo = as_geojson(doc, source, party)
        countries: dict[str, str] = {}
        for f in geo.get("features", []) if isinstance(geo, dict) else []:
            props = f.get("properties") if isinstance(f, dict) else None
            if isinstance(props, dict) and isinstance(props.get("country"), str):
                countries[str(props.get("id"))] = props["country"]
        for zone in parse_features(geo, source, party=party).zones:
            self.zones.pop(zone.id, None)
            self.zones[zone.id] = (zone, countries.get(zone.id))


def _read_input(path: str, out: _Collected) -> None:
    """A JSON zone file, or else a YAML scenario."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})"
        ) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = None
    except RecursionError:
        raise InvalidInput(f"{path}: JSON nested too deeply") from None
    if doc is not None:
        out.add_doc(doc, path, DEFAULT_IMPORTER)
        return
    scenario = load_scenario(path)
    for action in scenario.actions:
        if action.kind == "declare" and action.data.get("endpoint") == "zones":
            out.add_doc(action.data["doc"], action.where or path, action.party)


def _read_service(url: str, out: _Collected) -> None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise InvalidInput(f"--service: no token: set {TOKEN_ENV} to the party's token")
    try:
        with httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        ) as client:
            response = client.get("/v1/zones")
    except httpx.HTTPError as exc:
        raise InvalidInput(f"--service {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise InvalidInput(f"--service {url}: GET /v1/zones answered {response.status_code}")
    try:
        doc = response.json()
    except ValueError as exc:
        raise InvalidInput(f"--service {url}: GET /v1/zones is not JSON") from exc
    out.add_doc(doc, f"{url}/v1/zones", DEFAULT_IMPORTER)


def _country(value: str | None, default: str) -> str:
    if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha():
        return value
    return default


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"--output {output}: cannot write ({exc.strerror or exc})") from exc


def run_export(args: argparse.Namespace) -> int:
    if not args.inputs and not args.service:
        raise InvalidInput("nothing to export: give zone files, scenarios or --service URL")
    default = args.country
    if not (len(default) == 3 and default.isascii() and default.isalpha()):
        raise InvalidInput(f"--country: an ISO 3166-1 alpha-3 code, got {shown(default)}")
    if not _LANG.fullmatch(args.lang):
        raise InvalidInput(f"--lang: a language and a country, as en-GB, got {shown(args.lang)}")
    collected = _Collected()
    for path in args.inputs:
        _read_input(path, collected)
    if args.service:
        _read_service(args.service, collected)
    zones = [z for z, _ in collected.zones.values()]
    countries = [_country(c, default) for _, c in collected.zones.values()]
    doc = document_of(zones, args.format, countries, title=args.title, lang=args.lang)
    _write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", args.output)
    print(f"{len(zones)} zone(s) written as {FORMATS[args.format]}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "zones",
        help="zones in other formats (EUROCAE ED-318, ED-269)",
        description="Zones in the formats drone zones are published in.",
    )
    zsub = p.add_subparsers(dest="zones_command", metavar="ACTION", required=True)
    e = zsub.add_parser(
        "export",
        help="write zones as an ED-318 or ED-269 document",
        description=(
            "Write the zones of zone files (GeoJSON, ED-269 or ED-318), of scenarios and "
            f"of a service (GET /v1/zones, the party's token in ${TOKEN_ENV}) as one "
            "EUROCAE ED-318 (or ED-269) document on stdout. A zone the format cannot "
            "hold (rules for named parties, a side of a line, an id of more than 7 "
            "characters) is refused, naming it."
        ),
    )
    e.add_argument("inputs", nargs="*", metavar="FILE", help="zone file or scenario")
    e.add_argument("--service", metavar="URL", help="also the zones of this service")
    e.add_argument(
        "--format", choices=sorted(FORMATS), default="ed318", help="the format (default ed318)"
    )
    e.add_argument(
        "--country",
        default=DEFAULT_COUNTRY,
        metavar="ISO3",
        help="country of the zones that name none (ISO 3166-1 alpha-3; default "
        f"{DEFAULT_COUNTRY}, user-assigned)",
    )
    e.add_argument(
        "--lang", default="en-GB", metavar="LL-CC", help="language of the names (ED-318)"
    )
    e.add_argument("--title", default="deconflict zones", help="the document's name")
    e.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    e.set_defaults(func=run_export)
