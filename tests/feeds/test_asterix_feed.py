"""ASTERIX feeds end to end: recorded traffic as CAT021 and CAT062 (encoded with libasterix),
replayed from ``.ast`` files and sent over UDP (unicast and multicast) by libasterix's own
command-line tool ``ast-tool-py``; a capture shipped by a decoder package; every decoded
value cross-checked with a second decoder (asterix4py); and the real service."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asterix4py
import pytest

from deconflict.feeds.asterix import AsterixDecoder
from deconflict.feeds.asterix_encode import cat021_block, cat021_record, history_blocks
from deconflict.feeds.run import FeedOptions
from deconflict.feeds.state import AircraftTable
from deconflict.model import TrackReport
from deconflict.trackio import History

from .standins import StandInService, feed_until
from .test_live import FAST, matches

Rows = dict[str, tuple[float, list[float]]]
AST_TOOL = str(Path(sys.executable).with_name("ast-tool-py"))
SHIPPED = Path(__file__).parents[1] / "data" / "asterix" / "shipped" / "cat062cat065.raw"

# The resolution of each item (half its LSB) and 6-decimal / 0.01 rounding of a posted track:
# CAT021 I021/131 1.7e-7 deg, I021/145 0.25 FL, I021/160 2^-14 NM/s and 0.0055 deg,
# I021/155 6.25 ft/min; CAT062 I062/105 5.4e-6 deg, I062/185 0.25 m/s per axis (at over
# 200 m/s a track within 0.05 deg), I062/136 0.25 FL, I062/220 6.25 ft/min.
CAT021_TOL = (1e-6, 1e-6, 3.9, 0.07, 0.01, 0.025)
CAT062_TOL = (3.5e-6, 3.5e-6, 3.9, 0.19, 0.06, 0.025)
FLAT_OUT = FeedOptions(batch_interval_s=0.2, speed=0, drain_s=5.0)


def ast_file(tmp_path: Path, history: History, category: int, **kw: Any) -> Path:
    path = tmp_path / f"cat{category:03d}.ast"
    path.write_bytes(b"".join(block for _, block in history_blocks(history, category, **kw)))
    return path


def by_track_number(history: History, sac: int = 0, sic: int = 1) -> dict[str, str]:
    """SAC-SIC-TRACKNUMBER of each aircraft as :func:`history_blocks` numbers them."""
    ids = sorted({str(i) for i in history.id})
    return {f"{sac}-{sic}-{k}": icao for k, icao in enumerate(ids)}


def replay(path: Path) -> tuple[StandInService, Any]:
    with StandInService() as service:
        stats = feed_until(str(path), service, FLAT_OUT, lambda: False, timeout_s=120.0)
    assert stats.source == "done" and stats.unsent == 0
    return service, stats


@pytest.mark.parametrize("category", [21, 62])
def test_ast_file_replayed_as_the_party_s_tracks(
    tmp_path: Path, history: History, last_rows: Rows, category: int
) -> None:
    path = ast_file(tmp_path, history, category)
    service, stats = replay(path)
    assert stats.bad == 0 and stats.messages == history.id.size
    tol = CAT021_TOL if category == 21 else CAT062_TOL
    assert matches(service.latest(), last_rows, tol)


def test_cat062_without_addresses_keeps_sac_sic_track_number(
    tmp_path: Path, history: History, last_rows: Rows
) -> None:
    path = ast_file(tmp_path, history, 62, sac=25, sic=100, address=False)
    service, _ = replay(path)
    names = by_track_number(history, 25, 100)
    got = service.latest()
    assert set(got) == set(names)
    assert matches({names[k]: v for k, v in got.items()}, last_rows, CAT062_TOL)


def test_ast_file_with_hostile_blocks_between_good_ones(
    tmp_path: Path, history: History, last_rows: Rows
) -> None:
    blocks = [block for _, block in history_blocks(history, 21)]
    junk = [
        b"\x30\x00\x06\x01\x02\x03",  # an unknown category (CAT048)
        b"\x15\x00\x05\xff\xff",  # CAT021 records that do not parse
        b"\x00\x00\x00",  # a length below the header's: skipped to the next block
    ]
    data = b"".join(b + junk[k % 3] for k, b in enumerate(blocks))
    path = tmp_path / "hostile.ast"
    path.write_bytes(data + b"\x15\x04")  # and a cut-off block at the end
    service, stats = replay(path)
    assert matches(service.latest(), last_rows, CAT021_TOL)
    assert stats.bad >= len(blocks)


def test_out_of_bounds_reports_are_counted_and_left_out(tmp_path: Path) -> None:
    good = cat021_record(TrackReport("4ca001", 100.0, 47.0, 8.0, 10_000.0, 200.0, 90.0, 0.0))
    # 2,000 m/s: beyond the service's track bounds (> 1,500 m/s)
    fast = cat021_record(TrackReport("4ca002", 100.0, 47.0, 8.1, 10_000.0, 2_000.0, 90.0, 0.0))
    path = tmp_path / "bounds.ast"
    path.write_bytes(cat021_block([good, fast]))
    service, stats = replay(path)
    assert set(service.latest()) == {"4ca001"} and stats.out_of_bounds == 1


# -- live UDP, sent by ast-tool-py ----------------------------------------------------------
def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_bound(host: str, port: int, timeout_s: float = 30.0) -> None:
    """Until someone has bound ``host:port`` (a bind of our own is refused)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                return
        time.sleep(0.02)
    raise AssertionError(f"nothing bound {host}:{port} within {timeout_s} s")


def datagrams(history: History, category: int) -> list[bytes]:
    """The history's blocks, two to a datagram (blocks back to back), moved in time so
    the recording ends 10 s ago: a live feed dates a report's time of day by the day
    nearest its reception, and refuses one more than 30 s ahead of it, so the recording's
    own times of day (13:45 UTC) would be read as hours ahead for half of every day."""
    shift = time.time() - 10.0 - float(history.time_s.max())
    moved = dataclasses.replace(history, time_s=history.time_s + shift)
    blocks = [block for _, block in history_blocks(moved, category)]
    return [b"".join(blocks[k : k + 2]) for k in range(0, len(blocks), 2)]


class AstToolSender:
    """``ast-tool-py to-udp`` in a thread, started once the feed is bound, fed datagrams
    as hex lines on its standard input: one run per round of ``payload``, ``pause_s``
    apart (UDP drops what overflows the receiver's buffer: later rounds repeat)."""

    def __init__(
        self,
        args: list[str],
        payload: list[bytes] | list[list[bytes]],
        bound: tuple[str, int],
        pause_s: float = 1.0,
    ) -> None:
        self.args = args
        self.rounds = payload if payload and isinstance(payload[0], list) else [payload]
        self.bound = bound
        self.pause_s = pause_s
        self.returncode: int | None = None
        self.stderr = ""
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        wait_bound(*self.bound)
        for k, datagrams_ in enumerate(self.rounds):
            if k:
                time.sleep(self.pause_s)
            out = subprocess.run(
                [AST_TOOL, *self.args],
                input="".join(d.hex() + "\n" for d in datagrams_),  # type: ignore[union-attr]
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            self.returncode, self.stderr = out.returncode, out.stderr
            if out.returncode:
                return

    def __enter__(self) -> AstToolSender:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(timeout=130)


@pytest.mark.parametrize("category", [21, 62])
def test_udp_datagrams_from_ast_tool(history: History, last_rows: Rows, category: int) -> None:
    port = free_udp_port()
    tol = CAT021_TOL if category == 21 else CAT062_TOL
    payload = datagrams(history, category)
    args = ["--simple-input", "to-udp", "--unicast", "*", "127.0.0.1", str(port)]
    with StandInService() as service, AstToolSender(args, payload, ("127.0.0.1", port)) as tx:
        stats = feed_until(
            f"asterix://127.0.0.1:{port}",
            service,
            FAST,
            lambda: matches(service.latest(), last_rows, tol),
            timeout_s=60.0,
        )
    assert tx.returncode == 0, tx.stderr
    assert matches(service.latest(), last_rows, tol)
    assert stats.bad == 0 and stats.source_connects == 1


def test_multicast_group_is_joined(history: History, last_rows: Rows) -> None:
    group, port = "239.255.77.21", free_udp_port()
    args = ["--simple-input", "--local-ip", "127.0.0.1", "to-udp"]
    args += ["--multicast", "*", group, str(port)]
    with StandInService() as service, AstToolSender(args, datagrams(history, 21), (group, port)):
        feed_until(
            f"asterix://{group}:{port}",
            service,
            FAST,
            lambda: matches(service.latest(), last_rows, CAT021_TOL),
            timeout_s=60.0,
        )
    assert matches(service.latest(), last_rows, CAT021_TOL)


def test_random_asterix_of_every_category_never_stops_the_feed(
    history: History, last_rows: Rows
) -> None:
    """ast-tool-py's random records of every category it knows, with bit flips, then real
    traffic: the feed counts the noise and still reports every aircraft."""
    # `random` runs until stopped: the first 400 datagrams it writes.
    with subprocess.Popen(
        [AST_TOOL, "--simple-output", "random", "--seed", "7", "--error-bit-flip", "50"],
        stdout=subprocess.PIPE,
        text=True,
    ) as gen:
        assert gen.stdout is not None
        lines = [gen.stdout.readline().strip() for _ in range(400)]
        gen.kill()
    assert all(lines)
    port = free_udp_port()
    noise = [bytes.fromhex(line) for line in lines]
    real = datagrams(history, 21)
    rounds = [noise, real, real, real]
    args = ["--simple-input", "to-udp", "--unicast", "*", "127.0.0.1", str(port)]
    with StandInService() as service, AstToolSender(args, rounds, ("127.0.0.1", port), 2.0):
        stats = feed_until(
            f"asterix://127.0.0.1:{port}",
            service,
            FAST,
            lambda: matches(service.latest(), last_rows, CAT021_TOL),
            timeout_s=60.0,
        )
    assert matches(service.latest(), last_rows, CAT021_TOL)
    assert stats.bad > 0 and stats.rejected == 0


def test_udp_socket_bound_again_once_the_port_is_free(history: History, last_rows: Rows) -> None:
    port = free_udp_port()
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", port))  # someone else has the port: the feed waits and retries

    def release_then_send() -> None:
        time.sleep(1.0)
        holder.close()
        wait_bound("127.0.0.1", port)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for d in datagrams(history, 21):
                tx.sendto(d, ("127.0.0.1", port))

    sender = threading.Thread(target=release_then_send, daemon=True)
    with StandInService() as service:
        sender.start()
        stats = feed_until(
            f"asterix://127.0.0.1:{port}",
            service,
            FAST,
            lambda: matches(service.latest(), last_rows, CAT021_TOL),
            timeout_s=60.0,
        )
    sender.join(timeout=10)
    assert matches(service.latest(), last_rows, CAT021_TOL)
    assert "source:" in stats.last_error and stats.source_connects == 1


# -- a shipped capture, and a second decoder -----------------------------------------------
def shipped() -> bytes:
    if not SHIPPED.is_file():
        raise AssertionError(
            f"{SHIPPED} is missing: run `make setup` (scripts/fetch-asterix-samples.sh)"
        )
    return SHIPPED.read_bytes()


def asterix4py_records(block: bytes) -> list[dict[str, Any]]:
    """asterix4py's records of one block (it reads every block of its input with the
    category of the first); its specifications load through a deprecated API."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = asterix4py.AsterixParser(block).get_result()
    return [result[k] for k in sorted(result, key=int)]


def cross_check(block: bytes, reports: Iterator[Any] | list[Any]) -> int:
    """Compare our reports of a block with asterix4py's reading of the same records."""
    checked = 0
    theirs = asterix4py_records(block)
    ours = list(reports)
    assert len(ours) == len(theirs)
    ft = 0.3048
    for rep, rec in zip(ours, theirs, strict=True):
        assert rec["cat"] == rep.category
        if rep.category == 21:
            assert f"{rec['080']['TAddr']:06x}" == rep.id
            assert rec["131"]["Lat"] == pytest.approx(rep.lat_deg, abs=1e-9)
            assert rec["131"]["Lon"] == pytest.approx(rep.lon_deg, abs=1e-9)
            assert rec["145"]["FL"] * 100 * ft == pytest.approx(rep.baro_m)
            assert rec["160"]["GS"] * 1852.0 == pytest.approx(rep.gs_mps)
            assert rec["160"]["TA"] % 360.0 == pytest.approx(rep.track_deg)
            assert rec["155"]["BVR"] * ft / 60 == pytest.approx(rep.vs_mps)
            assert rec["071"]["time_applicability_position"] == rep.tod_s
        else:
            ident = (
                f"{rec['380']['ADR']:06x}"
                if "380" in rec and "ADR" in rec["380"]
                else f"{rec['010']['SAC']}-{rec['010']['SIC']}-{rec['040']['TrkN']}"
            )
            assert ident == rep.id
            assert rec["105"]["Lat"] == pytest.approx(rep.lat_deg, abs=1e-9)
            assert rec["105"]["Lon"] == pytest.approx(rep.lon_deg, abs=1e-9)
            vx, vy = rec["185"]["Vx"], rec["185"]["Vy"]
            assert (vx * vx + vy * vy) ** 0.5 == pytest.approx(rep.gs_mps)
            assert rec["136"]["MFL"] * ft == pytest.approx(rep.baro_m)
            assert rec["220"]["RoC"] * ft / 60 == pytest.approx(rep.vs_mps, abs=1e-9)
            assert rec["070"]["ToT"] == rep.tod_s
        checked += 1
    return checked


@pytest.mark.parametrize("category", [21, 62])
def test_every_record_agrees_with_asterix4py(history: History, category: int) -> None:
    dec = AsterixDecoder(AircraftTable())
    checked = 0
    for _, block in history_blocks(history, category, address=False):
        checked += cross_check(block, dec.block_reports(block))
    assert checked == history.id.size


def test_shipped_capture_read_and_cross_checked(tmp_path: Path) -> None:
    """asterix_decoder's recorded CAT062 (and CAT065) traffic, as a ``.ast`` file."""
    data = shipped()
    dec = AsterixDecoder(AircraftTable())
    cat062 = data[: int.from_bytes(data[1:3], "big")]
    reports = dec.block_reports(cat062)
    assert cross_check(cat062, reports) == 2
    assert {r.id for r in reports} == {"25-100-4980", "3c0a55"}
    path = tmp_path / "capture.ast"
    path.write_bytes(data)
    service, stats = replay(path)
    got = service.latest()
    assert set(got) == {"25-100-4980", "3c0a55"}
    by_id = {r.id: r for r in reports}
    for ident, track in got.items():
        rep = by_id[ident]
        assert track["lat"] == pytest.approx(rep.lat_deg, abs=1e-6)
        assert track["alt_m"] == pytest.approx(rep.baro_m, abs=0.05)
        assert track["gs_mps"] == pytest.approx(rep.gs_mps, abs=0.005)
    assert stats.bad == 1  # the CAT065 block: a category the feed does not read


# -- the real service -----------------------------------------------------------------------
def test_ast_file_becomes_the_party_s_tracks_in_the_service(
    tmp_path: Path, history: History, last_rows: Rows
) -> None:
    """``deconflict feed FILE.ast`` into ``deconflict serve``, read back as the party."""
    from servicekit import Server, StoreTarget, add_party

    from .test_service import feed, own_tracks

    store = StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")
    token = add_party(store, "ansp")
    server = Server(store, tmp_path / "serve.log").start()
    try:
        path = ast_file(tmp_path, history, 62, sac=25, sic=100)
        stats = feed(str(path), server, token, "--speed", "0")
        assert stats["rejected"] == 0 and stats["unsent"] == 0 and stats["bad"] == 0
        tracks = own_tracks(server, token)
    finally:
        server.stop()
    assert {t["party"] for t in tracks.values()} == {"ansp"}
    assert matches(tracks, last_rows, CAT062_TOL)
