"""Benchmark: feed messages decoded per second (SBS, raw Mode S) and forwarded to a service.

Input: the recorded traffic of tests/data/adsb/switzerland_1345.csv.gz (ten minutes over
Switzerland, 47 aircraft), turned into the messages a receiver would send (an SBS
position and velocity line per recorded state; a velocity and an even and odd position
ADS-B frame) and repeated with other ICAO addresses up to ``--copies`` times as many
aircraft. Measures, each the best of ``--repeat`` runs:

- decoding into the aircraft table: SBS lines, AVR lines, Beast bytes;
- the peer: pyModeS's own streaming decoder (``PipeDecoder``, the same library's CPR
  pairing) on the same frames, for a ratio measured in the same run;
- forwarding end to end: ``run_feed`` replaying a recorded file flat out (``--speed 0``)
  into a local stand-in of ``POST /v1/tracks`` (a ``http.server`` thread that reads and
  parses every batch), messages/s and tracks posted;
- Cursor-on-Target: one CoT event per recorded state (as a TAK server relays an
  aircraft), decoded from an XML stream (defusedxml) and a TAK protocol v1 stream into the
  aircraft table, against takproto's own decode of the same events (``xml2message``, the
  stdlib parser without the entity guard, and ``parse_proto``), and forwarded end to end
  from a ``cot://`` TCP stand-in through ``run_feed`` to the sink;
- ASTERIX CAT021 and CAT062: one record per recorded state, decoded into the aircraft
  table against libasterix's own parse loop over the same blocks, and forwarded from a
  ``.ast`` recording (bench/feeds_asterix.py).

    .venv/bin/python bench/feeds.py [--copies 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib.metadata
import json
import os
import platform
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyModeS
import takproto

import feeds_asterix
from deconflict.feeds.cotout import iso
from deconflict.feeds.encode import history_frames, history_sbs
from deconflict.feeds.framing import MLAT_HZ, beast_frame
from deconflict.feeds.modes import ModeSDecoder
from deconflict.feeds.run import FeedOptions, run_feed
from deconflict.feeds.sbs import SbsDecoder
from deconflict.feeds.sources import Intake
from deconflict.feeds.state import AircraftTable
from deconflict.trackio import read_history

EXCERPT = Path(__file__).parents[1] / "tests" / "data" / "adsb" / "switzerland_1345.csv.gz"


def _retag(icao: str, copy: int) -> str:
    return f"{int(icao, 16) ^ (copy << 16):06x}"


def make_inputs(copies: int) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """(time, SBS line) and (time, frame hex) lists, in time order, ``copies`` fleets."""
    from pyModeS.util import crc

    h = read_history(EXCERPT)
    sbs0 = list(history_sbs(h))
    frames0 = list(history_frames(h))
    sbs: list[tuple[float, str]] = []
    frames: list[tuple[float, str]] = []
    for c in range(copies):
        for t, line in sbs0:
            f = line.split(",")
            f[4] = _retag(f[4], c).upper()
            sbs.append((t, ",".join(f)))
        for t, frame in frames0:
            body = frame[:2] + _retag(frame[2:8], c).upper() + frame[8:22]
            frames.append((t, body + f"{crc(body + '000000'):06X}"))
    sbs.sort(key=lambda x: x[0])
    frames.sort(key=lambda x: x[0])
    return sbs, frames


def best_rate(n: int, run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return n / best


class _Sink(BaseHTTPRequestHandler):
    tracks = 0
    posts = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        try:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        except ValueError:  # a post cut off when the feed stops: retried with its key
            self.send_error(400)
            return
        with _Sink.lock:
            _Sink.tracks += len(body)
            _Sink.posts += 1
        data = json.dumps({"accepted": len(body), "receipt": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def forward(path: str, n: int, repeat: int) -> tuple[float, int, int]:
    """Messages/s of a flat-out file replay posted to a local sink; tracks and posts."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    options = FeedOptions(speed=0, original_time=True, batch_interval_s=1.0)
    best = float("inf")
    try:
        for _ in range(repeat):
            _Sink.tracks = _Sink.posts = 0
            t0 = time.perf_counter()
            stats = asyncio.run(run_feed(path, url, "bench", options))
            best = min(best, time.perf_counter() - t0)
            assert stats.messages == n and stats.unsent == 0, stats
    finally:
        server.shutdown()
        server.server_close()
    return n / best, _Sink.tracks, _Sink.posts


def make_cot(copies: int) -> list[bytes]:
    """One CoT XML event per recorded state of ``copies`` fleets, in time order; the
    last one is the aircraft ``end`` (the forward measure stops when it is posted)."""
    h = read_history(EXCERPT)
    rows = []
    for c in range(copies):
        for k in range(h.id.size):
            rows.append((float(h.time_s[k]), _retag(str(h.id[k]), c), h.values[k]))
    rows.sort(key=lambda r: r[0])
    now = time.time()
    t_end = rows[-1][0]
    out = []
    for t, icao, (lat, lon, alt, gs, trk, _vs) in [*rows, (t_end, "end", rows[-1][2])]:
        stamp = iso(now - (t_end - t))
        stale = iso(now + 3600)
        out.append(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<event version="2.0" uid="{icao}" '
            f'type="a-n-A-C-F" how="m-g" time="{stamp}" start="{stamp}" stale="{stale}">'
            f'<point lat="{lat:.6f}" lon="{lon:.6f}" hae="{alt:.1f}" ce="9999999.0" '
            f'le="9999999.0"/><detail><track speed="{gs:.2f}" course="{trk:.2f}"/>'
            f'<contact callsign="{icao}"/></detail></event>'.encode()
        )
    return out


class _EndSink(_Sink):
    ended = threading.Event()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        if b'"id": "end"' in body or b'"id":"end"' in body:
            _EndSink.ended.set()
        data = json.dumps({"accepted": 1, "receipt": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def forward_cot(stream: bytes, n: int, repeat: int) -> float:
    """Messages/s of CoT events from a ``cot://`` TCP stand-in forwarded to a local sink
    (until the last event's aircraft is posted)."""
    import socket

    server = ThreadingHTTPServer(("127.0.0.1", 0), _EndSink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    options = FeedOptions(batch_interval_s=0.05, batch_updates=5000, drain_s=5.0)
    best = float("inf")
    try:
        for _ in range(repeat):
            _EndSink.ended.clear()
            lsock = socket.create_server(("127.0.0.1", 0))
            port = lsock.getsockname()[1]

            def serve(lsock: socket.socket = lsock) -> None:
                conn, _ = lsock.accept()
                conn.sendall(stream)
                _EndSink.ended.wait(600)
                conn.close()
                lsock.close()

            threading.Thread(target=serve, daemon=True).start()

            async def run(port: int = port) -> None:
                stop = asyncio.Event()

                async def watch() -> None:
                    while not _EndSink.ended.is_set():
                        await asyncio.sleep(0.01)
                    stop.set()

                watcher = asyncio.create_task(watch())
                stats = await run_feed(f"cot://127.0.0.1:{port}", url, "bench", options, stop=stop)
                watcher.cancel()
                assert stats.messages == n and stats.bad == 0, stats

            t0 = time.perf_counter()
            asyncio.run(run())
            best = min(best, time.perf_counter() - t0)
    finally:
        server.shutdown()
        server.server_close()
    return n / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=20, help="fleets of the recording (default 20)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measure (default 3)")
    args = ap.parse_args()
    if not 1 <= args.copies <= 255:
        ap.error("--copies must be 1..255")

    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpu, {platform.system()} "
        f"{platform.release()}, CPython {platform.python_version()}, "
        f"pyModeS {pyModeS.__version__}, takproto {takproto.__version__}, "
        f"libasterix {importlib.metadata.version('libasterix')}"
    )
    sbs, frames = make_inputs(args.copies)
    aircraft = 47 * args.copies
    print(f"input: {len(sbs):,} SBS lines, {len(frames):,} Mode S frames, {aircraft} aircraft")

    def run_sbs() -> None:
        dec = SbsDecoder(AircraftTable())
        for t, line in sbs:
            dec.feed(line, t)

    def run_modes() -> None:
        dec = ModeSDecoder(AircraftTable())
        for t, f in frames:
            dec.feed(f, t)
        assert dec.bad == 0 and dec.positions > 0

    avr = "".join(f"*{f};\n" for _, f in frames).encode()
    t0 = frames[0][0]
    beast = b"".join(
        beast_frame(0x33, bytes.fromhex(f), ticks=round((t - t0) * MLAT_HZ)) for t, f in frames
    )

    def run_avr() -> None:
        intake = Intake(AircraftTable())
        for k in range(0, len(avr), 65536):
            intake.live_chunk("avr", avr[k : k + 65536], 0.0)

    def run_beast() -> None:
        intake = Intake(AircraftTable())
        for k in range(0, len(beast), 65536):
            intake.live_chunk("beast", beast[k : k + 65536], 0.0)
        assert intake.bad == 0

    def run_pipe() -> None:
        pipe = pyModeS.PipeDecoder()
        for t, f in frames:
            pipe.decode(f, timestamp=t)

    r_sbs = best_rate(len(sbs), run_sbs, args.repeat)
    r_modes = best_rate(len(frames), run_modes, args.repeat)
    r_avr = best_rate(len(frames), run_avr, args.repeat)
    r_beast = best_rate(len(frames), run_beast, args.repeat)
    r_pipe = best_rate(len(frames), run_pipe, args.repeat)
    print(f"decode SBS lines:              {r_sbs:>10,.0f} msg/s")
    print(f"decode Mode S frames (hex):    {r_modes:>10,.0f} msg/s")
    print(f"decode AVR text stream:        {r_avr:>10,.0f} msg/s")
    print(f"decode Beast binary stream:    {r_beast:>10,.0f} msg/s")
    print(f"peer: pyModeS PipeDecoder:     {r_pipe:>10,.0f} msg/s")
    print(f"ratio Mode S decode / pyModeS PipeDecoder: {r_modes / r_pipe:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        sbs_path = os.path.join(tmp, "rx.sbs.gz")
        with gzip.open(sbs_path, "wt") as fh:
            fh.writelines(line + "\r\n" for _, line in sbs)
        avr_path = os.path.join(tmp, "rx.avr")
        with open(avr_path, "w") as fh:
            fh.writelines(f"{t:.3f} *{f};\n" for t, f in frames)
        f_sbs, tr_sbs, p_sbs = forward(sbs_path, len(sbs), args.repeat)
        f_avr, tr_avr, p_avr = forward(avr_path, len(frames), args.repeat)
    for name, rate, tracks, posts in (("SBS", f_sbs, tr_sbs, p_sbs), ("AVR", f_avr, tr_avr, p_avr)):
        print(
            f"forward {name} file → service:    {rate:>10,.0f} msg/s "
            f"({tracks:,} tracks in {posts} posts)"
        )

    cot = make_cot(args.copies)
    cot_xml = b"".join(cot)
    cot_frames = [bytes(takproto.xml2proto(e, takproto.TAKProtoVer.STREAM)) for e in cot]
    cot_proto = b"".join(cot_frames)
    print(f"CoT input: {len(cot):,} events, {len(cot_xml) / len(cot):.0f} bytes each as XML")

    def run_cot(data: bytes) -> Callable[[], None]:
        def run() -> None:
            intake = Intake(AircraftTable())
            for k in range(0, len(data), 65536):
                intake.live_chunk("cot", data[k : k + 65536], 0.0)
            assert intake.bad == 0 and intake.messages == len(cot)

        return run

    def run_takproto_xml() -> None:
        for e in cot:
            takproto.functions.xml2message(e)

    def run_takproto_proto() -> None:
        for f in cot_frames:
            takproto.parse_proto(f)

    r_cx = best_rate(len(cot), run_cot(cot_xml), args.repeat)
    r_cp = best_rate(len(cot), run_cot(cot_proto), args.repeat)
    r_tx = best_rate(len(cot), run_takproto_xml, args.repeat)
    r_tp = best_rate(len(cot), run_takproto_proto, args.repeat)
    r_cf = forward_cot(cot_xml, len(cot), args.repeat)
    print(f"decode CoT XML stream:         {r_cx:>10,.0f} msg/s")
    print(f"decode TAK protocol stream:    {r_cp:>10,.0f} msg/s")
    print(f"peer: takproto xml2message:    {r_tx:>10,.0f} msg/s")
    print(f"peer: takproto parse_proto:    {r_tp:>10,.0f} msg/s")
    print(f"ratio CoT XML decode / takproto xml2message: {r_cx / r_tx:.2f}")
    print(f"ratio TAK protocol decode / takproto parse_proto: {r_cp / r_tp:.2f}")
    print(f"forward CoT stream → service:  {r_cf:>10,.0f} msg/s")

    for category in (21, 62):
        blocks, records = feeds_asterix.make_blocks(EXCERPT, category, args.copies)
        size = sum(map(len, blocks)) / records
        print(
            f"CAT{category:03d} input: {records:,} records in {len(blocks):,} blocks, "
            f"{size:.0f} bytes each"
        )
        r_ad = best_rate(records, feeds_asterix.decode(blocks, records), args.repeat)
        r_ap = best_rate(records, feeds_asterix.peer(blocks, category), args.repeat)
        with tempfile.TemporaryDirectory() as tmp:
            ast_path = os.path.join(tmp, "rx.ast")
            Path(ast_path).write_bytes(b"".join(blocks))
            r_af, tr_af, p_af = forward(ast_path, records, args.repeat)
        print(f"decode CAT{category:03d} blocks:          {r_ad:>10,.0f} msg/s")
        print(f"peer: libasterix parse loop:   {r_ap:>10,.0f} msg/s")
        print(f"ratio CAT{category:03d} decode / libasterix parse: {r_ad / r_ap:.2f}")
        print(
            f"forward CAT{category:03d} file → service: {r_af:>10,.0f} msg/s "
            f"({tr_af:,} tracks in {p_af} posts)"
        )


if __name__ == "__main__":
    main()
