"""Zones, intents, strikes and borders partitioned by area: one report each, as one node."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zonekit import box, collection, feature, point, polygon, zone

from deconflict.detect.borders import BorderSet, predict_crossings
from deconflict.detect.intents import VolumeSet, find_overlaps, non_conforming
from deconflict.detect.partition import (
    RESOLUTION,
    Partition,
    owns_overlaps,
    owns_proximities,
    reaching,
)
from deconflict.detect.strikes import PositionSet, StrikeSet, strike_proximity
from deconflict.detect.zones import ZoneSet, predict_entries
from deconflict.features import parse_borders, parse_features
from deconflict.model import Tracks

T0 = 1577836800.0  # 2020-01-01T00:00:00Z
H0, H1 = "2020-01-01T00:00:00Z", "2020-01-01T02:00:00Z"
DETECTORS = ["alpha", "bravo", "charlie", "delta", "echo"]
# (lat, lon): a cell's corner in the Alps, the antimeridian, near the north pole.
PLACES = [(46.8, 8.2), (0.0, 179.9), (88.5, -40.0)]


def wrap(lon: float) -> float:
    return float((lon + 180.0) % 360.0 - 180.0)


@st.composite
def scene(draw: st.DrawFn) -> dict:
    lat0, lon0 = draw(st.sampled_from(PLACES))
    off = st.floats(-1.0, 1.0)
    n = draw(st.integers(1, 30))
    t = Tracks(
        id=[f"t{k:02d}" for k in range(n)],
        party=draw(st.lists(st.sampled_from(["blue", "red"]), min_size=n, max_size=n)),
        lat_deg=[float(np.clip(lat0 + draw(off), -90, 90)) for _ in range(n)],
        lon_deg=[wrap(lon0 + 2 * draw(off)) for _ in range(n)],
        alt_m=draw(st.lists(st.sampled_from([500.0, 2000.0, 4000.0]), min_size=n, max_size=n)),
        gs_mps=draw(st.lists(st.sampled_from([0.0, 150.0, 900.0]), min_size=n, max_size=n)),
        track_deg=draw(st.lists(st.floats(0, 359), min_size=n, max_size=n)),
        vs_mps=[0.0] * n,
    )
    feats = []
    for k in range(draw(st.integers(1, 4))):
        la, lo = float(np.clip(lat0 + draw(off), -89, 89)), wrap(lon0 + 2 * draw(off))
        bl = float(np.clip(lo, -179.6, 179.6))  # a box's edges stay on the map
        feats.append(zone(point(lo, la), zid=f"z{k}", radius_m=draw(st.sampled_from([5e3, 4e4]))))
        feats.append(
            feature(
                polygon(box(bl - 0.3, la - 0.2, bl + 0.3, la + 0.2)) if k % 2 else point(lo, la),
                id=f"v{k}",
                party=["blue", "red"][k % 2],
                kind="volume",
                start=H0,
                end=H1,
                **({} if k % 2 else {"radius_m": 30_000.0}),
                alt_min_m=0,
                alt_max_m=3000,
            )
        )
        feats.append(
            feature(
                point(lo, la),
                id=f"s{k}",
                party=["blue", "red"][k % 2],
                kind="strike",
                radius_m=1000,
                start=H0,
                end=H1,
            )
        )
        la2, lo2 = float(np.clip(lat0 + draw(off), -89, 89)), wrap(lon0 + 2 * draw(off))
        for party in ("blue", "red"):
            feats.append(
                feature(
                    point(lo2, la2), id=f"p{k}{party}", party=party, kind="forces", radius_m=5e4
                )
            )
    fs = parse_features({"type": "FeatureCollection", "features": feats})
    # The border meridian: not where a drawn track sits (a path along a border is met
    # there both ways round at one instant).
    cut = wrap(lon0 + draw(st.sampled_from([-0.3141592653, 0.2718281828])))
    countries = (
        parse_borders(
            collection(
                feature(
                    polygon(box(cut - 3, lat0 - 3, cut, min(lat0 + 3, 89.9))), id="w", name="W"
                ),
                feature(
                    polygon(box(cut, lat0 - 3, cut + 3, min(lat0 + 3, 89.9))), id="e", name="E"
                ),
            )
        )
        if -176 < cut < 176 and lat0 < 80
        else []
    )
    return {
        "tracks": t,
        "zones": ZoneSet.from_zones(fs.zones),
        "zone_records": fs.zones,
        "volumes": VolumeSet.from_volumes(fs.volumes),
        "strikes": StrikeSet.from_strikes(fs.strikes),
        "positions": PositionSet.from_positions(fs.positions),
        "borders": BorderSet.from_countries(countries),
    }


def per_track(tracks: Tracks, part: Partition, run) -> list[tuple]:
    """Run a per-track detection on each detector's own tracks; rows keyed by track id."""
    out: list[tuple] = []
    for name in part.detectors:
        own = np.flatnonzero(part.owns_points(name, tracks.lat_deg, tracks.lon_deg))
        out += run(tracks.take(own), own)
    return out


def entries(
    tracks: Tracks, zones: ZoneSet, rows: np.ndarray, zone_rows: np.ndarray | None = None
) -> list[tuple]:
    e = predict_entries(tracks, zones, now_s=T0 + 60)
    zr = np.arange(len(zones)) if zone_rows is None else zone_rows
    return [
        (int(rows[t]), int(zr[z]), float(ts), float(a), float(o), int(act))
        for t, z, ts, a, o, act in zip(
            e.track, e.zone, e.t_s, e.lat_deg, e.lon_deg, e.action, strict=True
        )
    ]


def crossings(tracks: Tracks, borders: BorderSet, rows: np.ndarray) -> list[tuple]:
    c = predict_crossings(tracks, borders, lookahead_s=300.0)
    return [
        (int(rows[t]), float(ts), float(a), float(o), int(f), int(to))
        for t, ts, a, o, f, to in zip(
            c.track, c.t_s, c.lat_deg, c.lon_deg, c.from_country, c.to_country, strict=True
        )
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=scene(), k=st.integers(1, 5), res=st.sampled_from([RESOLUTION, 3, 5]))
def test_every_report_once_on_one_detector_as_on_one_node(s, k, res):
    part = Partition(DETECTORS[:k], resolution=res)
    t, n = s["tracks"], len(s["tracks"])
    everyone = np.arange(n)

    # Zone entries, border crossings, non-conforming tracks: the track's cell.
    single = entries(t, s["zones"], everyone)
    split = per_track(t, part, lambda sub, rows: entries(sub, s["zones"], rows))
    assert sorted(split) == sorted(single) and len(set(split)) == len(split)
    # Each detector given only the zones its own tracks can reach finds the same.
    zs, split = s["zones"], []
    for name in part.detectors:
        owned = part.owns_points(name, t.lat_deg, t.lon_deg)
        near = np.flatnonzero(reaching(t, owned, zs.frames.lat_deg, zs.frames.lon_deg, zs.radius_m))
        if near.size == 0:
            continue
        sub = ZoneSet.from_zones([s["zone_records"][z] for z in near])
        own = np.flatnonzero(owned)
        split += entries(t.take(own), sub, own, near)
    assert sorted(split) == sorted(single)
    single = crossings(t, s["borders"], everyone)
    split = per_track(t, part, lambda sub, rows: crossings(sub, s["borders"], rows))
    assert sorted(split) == sorted(single)
    single = non_conforming(t, s["volumes"], now_s=T0 + 60).tolist()
    split = per_track(
        t,
        part,
        lambda sub, rows: rows[non_conforming(sub, s["volumes"], now_s=T0 + 60)].tolist(),
    )
    assert sorted(split) == single

    # Intent overlaps: the first volume's centre; strike proximity: the strike's centre.
    vols, strikes, positions = s["volumes"], s["strikes"], s["positions"]
    ov = find_overlaps(vols, now_s=T0 + 60)
    px = strike_proximity(strikes, positions, now_s=T0 + 60)
    ov_count = np.zeros(len(ov), dtype=int)
    px_count = np.zeros(len(px), dtype=int)
    for name in part.detectors:
        ov_count += owns_overlaps(ov, vols, part, name)
        px_count += owns_proximities(px, strikes, part, name)
    assert np.all(ov_count == 1) and np.all(px_count == 1)


def test_scenes_hold_findings_of_every_kind():
    # The strategy is not vacuous: a hand-picked scene has each kind of finding.
    found = {"entries": 0, "overlaps": 0, "proximity": 0, "crossings": 0}

    @settings(max_examples=40, deadline=None, database=None)
    @given(s=scene())
    def count(s):
        t = s["tracks"]
        found["entries"] += len(predict_entries(t, s["zones"], now_s=T0 + 60))
        found["overlaps"] += len(find_overlaps(s["volumes"], now_s=T0 + 60))
        found["proximity"] += len(strike_proximity(s["strikes"], s["positions"], now_s=T0 + 60))
        found["crossings"] += len(predict_crossings(t, s["borders"], lookahead_s=300.0))

    count()
    assert all(v > 0 for v in found.values()), found


def test_a_zone_reaches_only_detectors_with_tracks_that_can_enter_it():
    fs = parse_features(collection(zone(point(8.0, 46.0), radius_m=10_000)))
    zs = ZoneSet.from_zones(fs.zones)
    deg = 1 / 111_195.0  # degrees of latitude per metre
    # 200 m/s for 300 s: 60 km; the zone's edge 10 km from its centre.
    for gap_m, reached in ((69_000.0, True), (71_000.0, False)):
        t = Tracks(
            id=["a"],
            party=["blue"],
            lat_deg=[46.0 - gap_m * deg],
            lon_deg=[8.0],
            alt_m=[1000.0],
            gs_mps=[200.0],
            track_deg=[0.0],
            vs_mps=[0.0],
        )
        got = reaching(t, [True], zs.frames.lat_deg, zs.frames.lon_deg, zs.radius_m)
        assert got.tolist() == [reached]
        assert reaching(t, [False], zs.frames.lat_deg, zs.frames.lon_deg, zs.radius_m).tolist() == [
            False
        ]
        assert (len(predict_entries(t, zs, now_s=T0)) == 1) is reached
