"""Write examples/geo/zones.geojson: the zones of the source reports, digitised coarsely.

Run from the repository root: ``python examples/make_zones.py``. The de-escalation
zones are hand-drawn polygons around the places named for each (they were never
published as geometry); the al-Tanf area is the 55 km circle around the garrison in
places.geojson; "west of the Euphrates" is cut from a coarse outline of Syria by the
river of euphrates.geojson.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely

HERE = Path(__file__).parent / "geo"
ALT_BAND = {"alt_min_m": 0, "alt_max_m": 20000}


def load(name):
    return json.loads((HERE / name).read_text())["features"]


def place(name):
    for f in load("places.geojson"):
        if f["properties"]["name"] == name:
            return f["geometry"]["coordinates"]
    raise KeyError(name)


def polygon(ring):
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def zone(geometry, **props):
    return {"type": "Feature", "geometry": geometry, "properties": props}


GUARANTORS = ["iran", "russia", "turkey"]
ASTANA = dict(
    status="agreed",
    parties=GUARANTORS,
    consents=[{"party": p, "time": "2017-05-04T12:00:00Z"} for p in GUARANTORS],
    rules=[
        {"party": "coalition", "action": "forbid", "lead_s": 0},
        {"party": "*", "action": "notify", "lead_s": 3600},
    ],
    valid_from="2017-05-06T00:00:00Z",
    valid_to="2017-11-06T00:00:00Z",
    **ALT_BAND,
)
COARSE = (
    "Coarse hand-drawn polygon (vertices every 20-40 km, edges +-10 km or worse) around "
    "the places named for this zone in the memorandum of 2017-05-04; the zone was never "
    "published as geometry. Not for operational use."
)

zones = [
    zone(
        polygon([[36.10, 35.55], [36.95, 35.50], [37.20, 35.95], [37.00, 36.35],
                 [36.55, 36.42], [36.20, 36.20]]),
        id="deesc-1-idlib", name="De-escalation zone 1: Idlib and surroundings",
        provenance=COARSE + " Around Idlib city (places.geojson), reaching into the "
        "neighbouring parts of Latakia, Hama and Aleppo provinces.",
        **ASTANA,
    ),
    zone(
        polygon([[36.58, 34.76], [36.90, 34.76], [36.92, 35.00], [36.62, 35.03]]),
        id="deesc-2-homs", name="De-escalation zone 2: northern Homs (Rastan-Talbiseh)",
        provenance=COARSE + " A box of about 30 x 28 km around Rastan and Talbiseh.",
        **ASTANA,
    ),
    zone(
        polygon([[36.30, 33.47], [36.52, 33.47], [36.56, 33.62], [36.38, 33.67]]),
        id="deesc-3-ghouta", name="De-escalation zone 3: Eastern Ghouta (Douma)",
        provenance=COARSE + " About 20 x 20 km east of Damascus, around Douma.",
        **ASTANA,
    ),
    zone(
        polygon([[35.80, 32.72], [35.95, 32.58], [36.30, 32.52], [36.62, 32.55],
                 [36.55, 32.85], [36.10, 33.05], [35.86, 33.25]]),
        id="deesc-4-south", name="De-escalation zone 4: Daraa and Quneitra",
        provenance=COARSE + " Along the Jordanian border from the Yarmouk to east of "
        "Daraa, north to Quneitra; its southern edge follows the border only roughly.",
        **ASTANA,
    ),
    zone(
        {"type": "Point", "coordinates": place("al-Tanf")},
        id="al-tanf-55km", name="al-Tanf deconfliction area (55 km)",
        radius_m=55000, status="claimed", parties=["coalition", "russia"],
        consents=[{"party": "coalition", "time": "2017-05-18T00:00:00Z"}],
        rules=[
            {"party": "coalition", "action": "advisory", "lead_s": 0},
            {"party": "*", "action": "forbid", "lead_s": 0},
        ],
        provenance="Circle of 55 km around the al-Tanf garrison of places.geojson "
        "(+-0.01 degrees); the radius is the one given in public reporting of May 2017. "
        "Claimed by the coalition, not agreed.",
        **ALT_BAND,
    ),
]

# West of the Euphrates: the river in Syria (Jarabulus to Abu Kamal), simplified to
# 0.01 degrees, cutting a 0.05-degree simplification of Syria's outline.
river = load("euphrates.geojson")[0]["geometry"]["coordinates"]
syria_parts = [p for p in river if p[0][0] < 41.0]
line = shapely.simplify(shapely.LineString([c for part in syria_parts for c in part]), 0.01)
syria = next(f for f in load("countries.geojson") if f["properties"]["id"] == "syr")
outline = shapely.simplify(shapely.geometry.shape(syria["geometry"]), 0.05)
zones.append(
    zone(
        {"type": "LineString", "coordinates": [[round(x, 4), round(y, 4)] for x, y in line.coords]},
        id="west-of-euphrates", name="West of the Euphrates",
        side="west",
        within=json.loads(shapely.to_geojson(shapely.set_precision(outline, 0.0001))),
        status="claimed", parties=["coalition", "russia"],
        consents=[{"party": "russia", "time": "2017-06-19T00:00:00Z"}],
        rules=[{"party": "coalition", "action": "notify", "lead_s": 1800}],
        valid_from="2017-06-19T00:00:00Z",
        provenance="The Euphrates from Jarabulus to Abu Kamal (euphrates.geojson, "
        "+-1-3 km) simplified to 0.01 degrees (about 1 km), cutting Syria's outline "
        "(countries.geojson) simplified to 0.05 degrees (about 5 km); the part west of "
        "the river. Claimed by Russia on 2017-06-19, never agreed.",
        **ALT_BAND,
    )
)

out = {"type": "FeatureCollection", "features": zones}
(HERE / "zones.geojson").write_text(json.dumps(out, indent=1) + "\n")
