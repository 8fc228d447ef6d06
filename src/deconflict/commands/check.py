"""``deconflict check``: zone entries, intent overlaps, strike proximity, border crossings."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..detect.borders import BorderSet, predict_crossings
from ..detect.intents import VolumeSet, find_overlaps, non_conforming
from ..detect.strikes import PositionSet, StrikeSet, strike_proximity
from ..detect.zones import ZoneSet, predict_entries
from ..errors import InvalidInput
from ..features import FeatureSet, read_borders, read_features
from ..model import Country, Tracks
from ..trackio import parse_time

DEFAULT_LOOKAHEAD_S = 300.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="zone entries, intent overlaps, strikes near others' positions, border crossings",
        description=(
            "Check tracks against zones and borders, volume intents against each other "
            "and against their own party's tracks, and strike intents against other "
            "parties' declared positions. Prints one JSON object per alert with kind, "
            "parties (sorted), subjects, t (seconds from --at until it happens, 0 if "
            "already so), lat and lon, sorted by (t, kind, subjects). The GeoJSON files "
            "may each hold any mix of zones, positions and intents."
        ),
    )
    p.add_argument("--zones", metavar="F", action="append", default=[], help="GeoJSON zones")
    p.add_argument("--tracks", metavar="STATES.csv", help="states file (.csv or .csv.gz)")
    p.add_argument(
        "--positions", metavar="F", action="append", default=[], help="GeoJSON positions"
    )
    p.add_argument("--intents", metavar="F", action="append", default=[], help="GeoJSON intents")
    p.add_argument("--borders", metavar="F", help="GeoJSON countries (polygons with an id)")
    p.add_argument(
        "--lookahead",
        type=float,
        default=DEFAULT_LOOKAHEAD_S,
        metavar="S",
        help=f"seconds to look ahead for tracks (default {DEFAULT_LOOKAHEAD_S:g})",
    )
    p.add_argument("--at", metavar="ISO8601", help="the present (default: now)")
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Inputs:
    """Everything ``check`` reads, validated."""

    features: FeatureSet
    tracks: Tracks | None
    countries: tuple[Country, ...]
    now_s: float
    lookahead_s: float


def load(args: argparse.Namespace) -> Inputs:
    """Read and validate every input; raises :class:`InvalidInput` before any output."""
    if not math.isfinite(args.lookahead) or args.lookahead < 0:
        raise InvalidInput(f"--lookahead: must be a number of seconds >= 0, got {args.lookahead}")
    now_s = time.time() if args.at is None else parse_time(args.at)
    features = FeatureSet()
    for path in [*args.zones, *args.positions, *args.intents]:
        features = features.merge(read_features(path))
    tracks = Tracks.from_csv(args.tracks) if args.tracks else None
    countries = read_borders(args.borders) if args.borders else ()
    return Inputs(features, tracks, countries, now_s, float(args.lookahead))


def _iso(t: float) -> str | None:
    if not math.isfinite(t):
        return None
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _num(x: float, digits: int) -> float | None:
    return round(float(x), digits) + 0.0 if math.isfinite(x) else None


def _alert(
    kind: str,
    parties: set[str],
    subjects: list[str],
    t: float,
    lat: float,
    lon: float,
    **extra: Any,
) -> dict[str, Any]:
    """One alert: the keys of DESIGN.md first (t clamped at 0, lon wrapped), then ``extra``."""
    out: dict[str, Any] = {
        "kind": kind,
        "parties": sorted(parties),
        "subjects": subjects,
        "t": _num(max(t, 0.0), 1),
        "lat": _num(lat, 5),
        "lon": _num(((lon + 180.0) % 360.0) - 180.0, 5),
    }
    out.update(extra)
    return out


def alerts(inp: Inputs) -> list[dict[str, Any]]:
    """Every alert of the inputs, as JSON-ready dicts in the output order."""
    out: list[dict[str, Any]] = []
    fs, tracks, now = inp.features, inp.tracks, inp.now_s
    if tracks is not None and fs.zones:
        zset = ZoneSet.from_zones(fs.zones)
        e = predict_entries(tracks, zset, lookahead_s=inp.lookahead_s, now_s=now)
        for k, action in enumerate(e.action_names()):
            i, z = int(e.track[k]), int(e.zone[k])
            zone = fs.zones[z]
            extra: dict[str, Any] = {
                "zone": zone.id,
                "zone_name": zone.name,
                "status": zone.status,
                "rule": action,
                "alt_m": _num(e.alt_m[k], 1),
            }
            if action == "notify":
                extra["lead_s"] = _num(e.lead_s[k], 1)
                extra["lead_time_met"] = bool(e.lead_met[k])
            out.append(
                _alert(
                    "zone-entry",
                    {str(tracks.party[i]), *zone.parties},
                    [str(tracks.id[i]), zone.id],
                    float(e.t_s[k]),
                    float(e.lat_deg[k]),
                    float(e.lon_deg[k]),
                    **extra,
                )
            )
    if fs.volumes:
        vset = VolumeSet.from_volumes(fs.volumes)
        ov = find_overlaps(vset, now_s=now)
        for k in range(len(ov)):
            va, vb = fs.volumes[int(ov.a[k])], fs.volumes[int(ov.b[k])]
            out.append(
                _alert(
                    "intent-overlap",
                    {va.party, vb.party},
                    [va.id, vb.id],
                    float(ov.start_s[k]) - now,
                    float(ov.lat_deg[k]),
                    float(ov.lon_deg[k]),
                    start=_iso(float(ov.start_s[k])),
                    end=_iso(float(ov.end_s[k])),
                    alt_min_m=_num(ov.alt_min_m[k], 1),
                    alt_max_m=_num(ov.alt_max_m[k], 1),
                    area_m2=_num(ov.area_m2[k], 0),
                )
            )
        if tracks is not None:
            for i in non_conforming(tracks, vset, now_s=now).tolist():
                out.append(
                    _alert(
                        "non-conforming",
                        {str(tracks.party[i])},
                        [str(tracks.id[i])],
                        0.0,
                        float(tracks.lat[i]),
                        float(tracks.lon[i]),
                        alt_m=_num(tracks.alt_m[i], 1),
                    )
                )
    if fs.strikes and fs.positions:
        sset = StrikeSet.from_strikes(fs.strikes)
        pr = strike_proximity(sset, PositionSet.from_positions(fs.positions), now_s=now)
        for k in range(len(pr)):
            st, pos = fs.strikes[int(pr.strike[k])], fs.positions[int(pr.position[k])]
            out.append(
                _alert(
                    "strike-proximity",
                    {st.party, pos.party},
                    [st.id, pos.id],
                    st.start_s - now,
                    st.lat_deg,
                    st.lon_deg,
                    strike_party=st.party,
                    position_party=pos.party,
                    position_kind=pos.kind,
                    distance_m=_num(pr.distance_m[k], 0),
                    gap_m=_num(pr.gap_m[k], 0),
                    radius_m=_num(st.radius_m, 0),
                    position_radius_m=_num(pos.radius_m, 0),
                    margin_m=_num(float(sset.margin_m[int(pr.strike[k])]), 0),
                    start=_iso(st.start_s),
                    end=_iso(st.end_s),
                )
            )
    if tracks is not None and inp.countries:
        bset = BorderSet.from_countries(inp.countries)
        cr = predict_crossings(tracks, bset, lookahead_s=inp.lookahead_s)
        for k in range(len(cr)):
            i = int(cr.track[k])
            a, b = inp.countries[int(cr.from_country[k])], inp.countries[int(cr.to_country[k])]
            out.append(
                _alert(
                    "border-crossing",
                    {str(tracks.party[i])},
                    [str(tracks.id[i])],
                    float(cr.t_s[k]),
                    float(cr.lat_deg[k]),
                    float(cr.lon_deg[k]),
                    **{"from": a.id, "to": b.id},
                    countries=[a.name, b.name],
                    alt_m=_num(tracks.alt_m[i] + tracks.vs_mps[i] * cr.t_s[k], 1),
                )
            )
    out.sort(key=lambda r: (r["t"], r["kind"], r["subjects"]))
    return out


def run(args: argparse.Namespace) -> int:
    inputs = load(args)
    rows = alerts(inputs)
    write = sys.stdout.write
    for row in rows:
        write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0
