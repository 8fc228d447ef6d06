"""A real decoder as the receiver: ``dump1090-mutability`` fed DF17 frames of the recorded
Swiss traffic, its BaseStation (SBS) and Beast outputs read by ``deconflict feed`` into a
real service, each as a party of its own; a third party feeds the same frames straight
from a file (our own decoding). The three pictures must agree.

The frames are each aircraft's last recorded state (velocity, even and odd position):
dump1090, like a receiver should, refuses a position that moved further than the aircraft
could have flown since its last one, so ten minutes of recording sent within a second
would leave it with stale positions (the recording has rows 10 s apart)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deconflict.feeds.encode import df17_position, df17_velocity
from deconflict.feeds.units import FPM_MPS, FT_M, KT_MPS
from servicekit import Server, StoreTarget, add_party, client

from .decoderkit import Dump1090
from .test_service import feed, feed_command

# What dump1090's SBS lines keep of a decoded frame: 5 decimals of degrees (<= 0.6 m),
# whole feet and ft/min (the frame's 25 ft and 64 ft/min steps are whole) and whole knots
# ((int) of the hypotenuse where pyModeS rounds it: up to 1 kt apart). Its track is a whole
# degree made as (int)(atan2(ew, ns) in degrees + 0.5), then +360 if negative: the cast
# truncates towards zero, so for tracks of 180..360 degrees (negative angles) dump1090
# reports 0.5 to 1.5 degrees more than the frame says; elsewhere it rounds. A property of
# dump1090-mutability's SBS output (its Beast output, the frames themselves, agrees
# exactly), checked as such below.
SBS_VS_FRAMES = {"lat": 6e-6, "lon": 6e-6, "alt_m": 1e-6, "gs_mps": KT_MPS, "vs_mps": 1e-6}
Rows = dict[str, tuple[float, list[float]]]
BEAST_VS_FRAMES = dict.fromkeys((*SBS_VS_FRAMES, "track_deg"), 1e-9)


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    store = StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")
    tokens = {name: add_party(store, name) for name in ("direct", "viasbs", "viabeast")}
    server = Server(store, tmp_path / "serve.log").start()
    try:
        yield server, tokens
    finally:
        server.stop()


def tracks_of(server: Server, token: str, party: str) -> dict[str, dict[str, Any]]:
    with client(server, token) as c:
        r = c.get("/v1/tracks")
    assert r.status_code == 200, r.text
    return {t["id"]: t for t in r.json()["tracks"] if t["party"] == party}


def live_feed(source: str, server: Server, token: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        feed_command(
            source, server, "--duration", "12", "--batch-interval", "0.2", "--drain", "10"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DECONFLICT_TOKEN": token},
    )


def finished(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    stats: dict[str, Any] = json.loads(out.splitlines()[-1])
    return stats


def sbs_track_off(sbs_deg: float, frame_deg: float) -> bool:
    """Whether dump1090's whole-degree track is not the one its rounding makes of ours."""
    above = (sbs_deg - frame_deg + 180.0) % 360.0 - 180.0
    if frame_deg > 180.0:
        return not 0.5 - 1e-9 <= above < 1.5 + 1e-9
    return not abs(above) <= 0.5 + 1e-9


def differences(
    got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]], tol: dict[str, float]
) -> list[str]:
    """Each (id, field) where ``got`` is further from ``want`` than ``tol`` allows."""
    out = []
    for icao, w in want.items():
        for key, eps in tol.items():
            diff = abs(got[icao][key] - w[key])
            if key == "track_deg":
                diff = min(diff, 360.0 - diff)
            if diff > eps:
                out.append(f"{icao} {key}: {got[icao][key]} vs {w[key]}")
    return out


def test_dump1090_outputs_agree_with_our_decoding_of_its_frames(
    line: tuple[Server, dict[str, str]], last_rows: Rows, tmp_path: Path
) -> None:
    server, tokens = line
    frames = [
        frame
        for icao, (_, (lat, lon, alt_m, gs, trk, vs)) in sorted(last_rows.items())
        for frame in (
            df17_velocity(icao, gs / KT_MPS, trk, vs / FPM_MPS),
            df17_position(icao, lat, lon, alt_m / FT_M, odd=False),
            df17_position(icao, lat, lon, alt_m / FT_M, odd=True),
        )
    ]
    avr = tmp_path / "frames.avr"
    avr.write_text("".join(f"*{f};\n" for f in frames))
    direct = feed(str(avr), server, tokens["direct"], "--speed", "0")
    assert direct["bad"] == 0 and direct["rejected"] == 0 and direct["unsent"] == 0

    with Dump1090(tmp_path / "dump1090.log") as decoder:
        via_sbs = live_feed(f"sbs://127.0.0.1:{decoder.sbs}", server, tokens["viasbs"])
        via_beast = live_feed(f"beast://127.0.0.1:{decoder.beast}", server, tokens["viabeast"])
        decoder.wait_for_clients(decoder.sbs, 1)
        decoder.wait_for_clients(decoder.beast, 1)
        decoder.send(frames)
        sbs_stats, beast_stats = finished(via_sbs), finished(via_beast)
    for stats in (sbs_stats, beast_stats):
        assert stats["bad"] == 0 and stats["rejected"] == 0 and stats["unsent"] == 0
        assert stats["source_connects"] == 1

    ours = tracks_of(server, tokens["direct"], "direct")
    assert ours.keys() == last_rows.keys() and len(ours) == 47
    by_beast = tracks_of(server, tokens["viabeast"], "viabeast")
    by_sbs = tracks_of(server, tokens["viasbs"], "viasbs")
    assert by_beast.keys() == by_sbs.keys() == ours.keys()
    assert differences(by_beast, ours, BEAST_VS_FRAMES) == []
    assert differences(by_sbs, ours, SBS_VS_FRAMES) == []
    tracks = {i: (by_sbs[i]["track_deg"], t["track_deg"]) for i, t in ours.items()}
    assert all(float(sbs).is_integer() for sbs, _ in tracks.values())
    assert [i for i, (sbs, frame) in tracks.items() if sbs_track_off(sbs, frame)] == []
    # both kinds occur in the recording: tracks rounded, and tracks pushed up
    assert {frame > 180.0 for _, frame in tracks.values()} == {False, True}
