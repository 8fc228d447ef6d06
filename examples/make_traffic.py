"""Make ``examples/traffic.csv``: the recorded picture over Switzerland at one instant.

Source: ``switzerland.csv.gz`` (OpenSky Network sample, 2018-08-01, see the provenance in
``examples/README.md``). Each aircraft's latest state at or before 13:50:00 UTC, no older
than 60 s, dead-reckoned to that instant; the party is the operator's ICAO prefix of the
callsign (``SWR``, ``EZY``, ...) or ``GA`` for callsigns that are registrations.

    python examples/make_traffic.py PATH/TO/switzerland.csv.gz > examples/traffic.csv
"""

from __future__ import annotations

import csv
import gzip
import sys

from deconflict.trackio import parse_time, read_history

AT = "2018-08-01T13:50:00Z"


def party_of(callsign: str) -> str:
    prefix = callsign.strip()[:3]
    return prefix if prefix.isalpha() and callsign.strip()[3:4].isdigit() else "GA"


def main(path: str) -> None:
    callsigns: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["callsign"]:
                callsigns[row["icao24"]] = row["callsign"]
    picture = read_history(path).at(parse_time(AT), max_age_s=60.0)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(
        ["id", "party", "callsign", "lat", "lon", "alt_m", "gs_mps", "track_deg", "vs_mps"]
    )
    for k in range(len(picture)):
        icao = str(picture.id[k])
        callsign = callsigns.get(icao, "")
        out.writerow(
            [
                icao,
                party_of(callsign),
                callsign,
                f"{picture.lat[k]:.5f}",
                f"{picture.lon[k]:.5f}",
                f"{picture.alt_m[k]:.1f}",
                f"{picture.gs_mps[k]:.2f}",
                f"{picture.track_deg[k]:.1f}",
                f"{picture.vs_mps[k]:.2f}",
            ]
        )


if __name__ == "__main__":
    main(sys.argv[1])
