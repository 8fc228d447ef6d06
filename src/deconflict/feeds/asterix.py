"""EUROCONTROL ASTERIX: CAT021 (ADS-B target reports) and CAT062 (system tracks), decoded
with libasterix into an aircraft table.

A data block is ``CAT`` (1 byte), ``LEN`` (2 bytes, big-endian, the whole block) and
records; a UDP datagram or a ``.ast`` file holds blocks back to back. Records are parsed
by libasterix with the UAP of CAT021 edition 2.7 and CAT062 edition 1.21 (the layouts of
CAT021 2.1 on and CAT062 1.16 on).

What is used, converted to SI here (FL × 100 ft, ft → m, NM/s and ft/min → m/s):

- CAT021: I021/080 target address (the id, 6 lower-case hex digits); I021/131 position
  (high resolution; else I021/130); I021/145 flight level (barometric) and I021/140
  geometric height (GNSS); I021/160 airborne ground vector (ground speed, true track);
  I021/155 barometric vertical rate (else I021/157 geometric); I021/170 callsign; the time
  of applicability of the position I021/071 (else I021/073 reception of the position,
  else I021/077 transmission); I021/010 SAC/SIC and I021/161 track number are kept.
  Not used: air-referenced velocity (I021/150, I021/151, I021/152: a heading is not a
  track).
- CAT062: I062/105 position; I062/185 velocity (Cartesian, east and north, m/s); I062/136
  measured flight level (else I062/135 calculated barometric altitude) and I062/130
  geometric altitude; I062/220 rate of climb or descent; I062/070 time of track
  information; the id is I062/380 target address when present, else
  ``SAC-SIC-TRACKNUMBER`` from I062/010 and I062/040; I062/380 callsign.

Values flagged as out of range (the ``RE`` bit of I021/155, I021/157, I021/160) are not
used. A report flagged as a simulated or test target (I021/040 ``SIM``/``TST``, I062/080
``SIM``) is counted as ``ignored``, as is a report without an id or a position.

Times are times of day (UTC seconds since midnight); each is dated to the UTC day nearest
to the time it was received (a 23:59:59 report received at 00:00:01 is of the day
before). A report dated more than :data:`MAX_AHEAD_S` after its reception, or with a time
of day of 24 h or more, is bad: it would move the table's clock and age out every other
aircraft.

Blocks that cannot be read (shorter than their header, a length beyond the data, an
unknown category, records libasterix refuses) are counted as ``bad``, never raised.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from .state import AircraftTable, TableDecoder
from .units import FPM_MPS, FT_M

if TYPE_CHECKING:
    import asterix.generated as gen

__all__ = [
    "CATEGORIES",
    "MAX_AHEAD_S",
    "AsterixDecoder",
    "AsterixReport",
    "BlockStream",
    "date_time_of_day",
    "split_blocks",
]

CATEGORIES = frozenset((21, 62))
"""The categories read; blocks of any other are counted as bad."""
DAY_S = 86_400.0
MAX_AHEAD_S = 30.0
"""A report dated later than this after its reception (s) is refused."""
NM_M = 1852.0
FL_M = 100.0 * FT_M
HEADER = 3
MAX_BLOCK = 0xFFFF


def date_time_of_day(tod_s: float, received_s: float) -> float:
    """Epoch seconds of a UTC time of day, dated to the day nearest to ``received_s``.

    >>> date_time_of_day(86399.0, 86400.0 * 3 + 1.0) - 86400.0 * 3  # received 00:00:01
    -1.0
    >>> date_time_of_day(0.5, 86400.0 * 3 - 1.0) - 86400.0 * 3  # received 23:59:59
    0.5
    """
    t = math.floor(received_s / DAY_S) * DAY_S + tod_s
    if t - received_s > DAY_S / 2:
        t -= DAY_S
    elif received_s - t > DAY_S / 2:
        t += DAY_S
    return t


def split_blocks(data: bytes) -> tuple[list[bytes], int]:
    """The data blocks of one datagram, and how many bad pieces it held.

    A header whose length is below 3 or beyond the datagram ends the datagram (what
    follows cannot be framed): one bad piece.

    >>> split_blocks(bytes.fromhex("150004ff" "3e0003" "3e00ff00"))
    ([b'\\x15\\x00\\x04\\xff', b'>\\x00\\x03'], 1)
    """
    blocks: list[bytes] = []
    i, n = 0, len(data)
    while i < n:
        if n - i < HEADER:
            return blocks, 1
        length = int.from_bytes(data[i + 1 : i + 3], "big")
        if length < HEADER or i + length > n:
            return blocks, 1
        blocks.append(data[i : i + length])
        i += length
    return blocks, 0


class BlockStream:
    """Data blocks from a byte stream (a file read in pieces), across reads.

    A header with a length below 3 cannot start a block: the bytes up to the next one that
    could be a category read (21 or 62) are skipped, each counted in ``bad``. A block of
    another category is framed by its length (and counted bad by the decoder). At most
    one partial block (64 KiB) is held.
    """

    def __init__(self) -> None:
        self._buf = b""
        self.bad = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._buf + chunk if self._buf else chunk
        out: list[bytes] = []
        i, n = 0, len(data)
        while n - i >= HEADER:
            length = int.from_bytes(data[i + 1 : i + 3], "big")
            if length < HEADER:
                j = min((k for c in CATEGORIES if (k := data.find(c, i + 1)) >= 0), default=n)
                self.bad += j - i
                i = j
                continue
            if i + length > n:
                break
            out.append(data[i : i + length])
            i += length
        self._buf = data[i:]
        return out

    def end(self) -> int:
        """At the end of the stream: count a partial block left over as bad."""
        left = 1 if self._buf else 0
        self.bad += left
        self._buf = b""
        return left


class AsterixReport(NamedTuple):
    """One target report or system track, in SI units; NaN where an item is absent.

    ``tod_s``: time of applicability of the position, UTC seconds of day (NaN: none).
    ``baro_m`` pressure altitude, ``gnss_m`` geometric; speeds m/s; ``track_deg`` true.
    """

    id: str
    category: int
    sac: int
    sic: int
    track_number: int
    tod_s: float
    lat_deg: float
    lon_deg: float
    baro_m: float
    gnss_m: float
    gs_mps: float
    track_deg: float
    vs_mps: float
    callsign: str


NAN = math.nan


class AsterixDecoder(TableDecoder):
    """Decodes ASTERIX data blocks into an :class:`AircraftTable`.

    Counters: ``messages`` (records, and blocks that could not be read), ``bad`` (blocks
    that could not be read, records with an impossible time), ``ignored`` (records
    carrying nothing for a track), ``reports`` (records merged).
    """

    def __init__(self, table: AircraftTable) -> None:
        # libasterix's generated specifications take a second or two to import: only a
        # feed that reads ASTERIX pays for it.
        import asterix.base as base
        import asterix.generated as gen

        self._base = base
        self._cat021 = gen.Cat_021_2_7
        self._cat062 = gen.Cat_062_1_21
        super().__init__(table)
        self.ignored = 0
        self.reports = 0

    # -- parsing ----------------------------------------------------------------
    def block_reports(self, block: bytes) -> list[AsterixReport]:
        """The usable reports of one data block; counts the rest."""
        cat = block[0] if block else -1
        if cat not in CATEGORIES or len(block) < HEADER:
            self.messages += 1
            self.bad += 1
            return []
        base = self._base
        parsed = base.RawDatablock.parse_single(base.Bits.from_bytes(block))
        if isinstance(parsed, ValueError):
            self.messages += 1
            self.bad += 1
            return []
        records_bits = parsed[0].get_raw_records()
        spec: Any = self._cat021 if cat == 21 else self._cat062
        report: Callable[[Any], AsterixReport | None] = (
            _cat021_report if cat == 21 else _cat062_report
        )
        records = spec.cv_uap.parse(records_bits)
        if isinstance(records, ValueError):
            self.messages += 1
            self.bad += 1
            return []
        self.messages += len(records)
        out: list[AsterixReport] = []
        for record in records:
            rep = report(record)
            if rep is None:
                self.ignored += 1
            else:
                out.append(rep)
        return out

    # -- merging ----------------------------------------------------------------
    def report_time(self, rep: AsterixReport, received_s: float) -> float | None:
        """The report's time dated by its reception (epoch s); None when impossible."""
        if math.isnan(rep.tod_s):
            return received_s
        if not 0.0 <= rep.tod_s < DAY_S:
            return None
        t = date_time_of_day(rep.tod_s, received_s)
        return None if t - received_s > MAX_AHEAD_S else t

    def merge(self, rep: AsterixReport, t: float) -> None:
        """Merge one report as of feed time ``t`` (epoch s)."""
        table = self.table
        table.heard(rep.id, t)
        if rep.callsign:
            table.callsign(rep.id, t, rep.callsign)
        table.position(rep.id, t, rep.lat_deg, rep.lon_deg)
        if not math.isnan(rep.baro_m):
            table.altitude(rep.id, t, rep.baro_m)
        if not math.isnan(rep.gnss_m):
            table.altitude(rep.id, t, rep.gnss_m, gnss=True)
        vs = None if math.isnan(rep.vs_mps) else rep.vs_mps
        if not math.isnan(rep.gs_mps):
            table.velocity(rep.id, t, rep.gs_mps, rep.track_deg, vs)
        elif vs is not None:
            table.vertical_rate(rep.id, t, vs)
        self.reports += 1

    def datagram(self, data: bytes, received_s: float) -> None:
        """Every block of one live datagram, received at ``received_s`` (epoch s)."""
        blocks, bad = split_blocks(data)
        self.messages += bad
        self.bad += bad
        for block in blocks:
            self.blocks([block], received_s)

    def blocks(self, blocks: list[bytes], received_s: float) -> None:
        """Blocks received at ``received_s``: each report dated by its time of day."""
        for block in blocks:
            for rep in self.block_reports(block):
                t = self.report_time(rep, received_s)
                if t is None:
                    self.bad += 1
                    continue
                self.merge(rep, t)


# -- record contents (libasterix items to SI) ---------------------------------------------
def _report(
    ident: str,
    category: int,
    track: tuple[int, int, int],
    tod: float,
    kinematics: tuple[float, float, float, float, float, float, float],
    callsign: str,
) -> AsterixReport:
    """An :class:`AsterixReport` with every measured value as a float.

    ``track``: (SAC, SIC, track number); ``kinematics``: (lat °, lon °, baro m, gnss m,
    ground speed m/s, track °, vertical speed m/s).
    """
    lat, lon, baro, gnss, gs, trk, vs = (float(v) for v in kinematics)
    sac, sic, tn = track
    return AsterixReport(
        ident, category, sac, sic, tn, float(tod), lat, lon, baro, gnss, gs, trk, vs, callsign
    )


def _cat021_report(r: gen.Record_7) -> AsterixReport | None:
    adr = r.get_item("080")
    i131 = r.get_item("131")
    if adr is None:
        return None
    if i131 is not None:
        v131 = i131.variation
        lat = v131.get_item("LAT").variation.content.as_quantity("°")
        lon = v131.get_item("LON").variation.content.as_quantity("°")
    else:
        i130 = r.get_item("130")
        if i130 is None:
            return None
        v130 = i130.variation
        lat = v130.get_item("LAT").variation.content.as_quantity("°")
        lon = v130.get_item("LON").variation.content.as_quantity("°")
    i040 = r.get_item("040")
    if i040 is not None:
        sim, tst = i040.variation.get_item("SIM"), i040.variation.get_item("TST")
        if (sim is not None and sim.as_uint()) or (tst is not None and tst.as_uint()):
            return None
    i071, i073, i077 = r.get_item("071"), r.get_item("073"), r.get_item("077")
    tod = NAN
    if i071 is not None:
        tod = i071.variation.content.as_quantity("s")
    elif i073 is not None:
        tod = i073.variation.content.as_quantity("s")
    elif i077 is not None:
        tod = i077.variation.content.as_quantity("s")
    i145, i140 = r.get_item("145"), r.get_item("140")
    baro = NAN if i145 is None else i145.variation.content.as_quantity("FL") * FL_M
    gnss = NAN if i140 is None else i140.variation.content.as_quantity("ft") * FT_M
    gs = trk = NAN
    i160 = r.get_item("160")
    if i160 is not None:
        v160 = i160.variation
        if v160.get_item("RE").as_uint() == 0:
            gs = v160.get_item("GS").variation.content.as_quantity("NM/s") * NM_M
            trk = v160.get_item("TA").variation.content.as_quantity("°") % 360.0
    vs = NAN
    i155 = r.get_item("155")
    i157 = r.get_item("157")
    if i155 is not None and i155.variation.get_item("RE").as_uint() == 0:
        vs = i155.variation.get_item("BVR").variation.content.as_quantity("ft/min") * FPM_MPS
    elif i157 is not None and i157.variation.get_item("RE").as_uint() == 0:
        vs = i157.variation.get_item("GVR").variation.content.as_quantity("ft/min") * FPM_MPS
    sac = sic = tn = -1
    i010 = r.get_item("010")
    if i010 is not None:
        sac = i010.variation.get_item("SAC").as_uint()
        sic = i010.variation.get_item("SIC").as_uint()
    i161 = r.get_item("161")
    if i161 is not None:
        tn = i161.variation.get_item("TRNUM").as_uint()
    i170 = r.get_item("170")
    callsign = "" if i170 is None else i170.variation.content.as_string().strip()
    ident = f"{adr.as_uint():06x}"
    return _report(ident, 21, (sac, sic, tn), tod, (lat, lon, baro, gnss, gs, trk, vs), callsign)


def _cat062_report(r: gen.Record_48) -> AsterixReport | None:
    i105 = r.get_item("105")
    i010 = r.get_item("010")
    i040 = r.get_item("040")
    if i105 is None or i010 is None or i040 is None:
        return None
    i080 = r.get_item("080")
    if i080 is not None:
        sim = i080.variation.get_item("SIM")
        if sim is not None and sim.as_uint():
            return None
    sac = i010.variation.get_item("SAC").as_uint()
    sic = i010.variation.get_item("SIC").as_uint()
    tn = i040.as_uint()
    ident = f"{sac}-{sic}-{tn}"
    callsign = ""
    i380 = r.get_item("380")
    if i380 is not None:
        adr = i380.variation.get_item("ADR")
        if adr is not None:
            ident = f"{adr.as_uint():06x}"
        acid = i380.variation.get_item("ID")
        if acid is not None:
            callsign = acid.variation.content.as_string().strip()
    lat = i105.variation.get_item("LAT").variation.content.as_quantity("°")
    lon = i105.variation.get_item("LON").variation.content.as_quantity("°")
    i070 = r.get_item("070")
    tod = NAN if i070 is None else float(i070.variation.content.as_quantity("s"))
    gs = trk = NAN
    i185 = r.get_item("185")
    if i185 is not None:
        vx = i185.variation.get_item("VX").variation.content.as_quantity("m/s")
        vy = i185.variation.get_item("VY").variation.content.as_quantity("m/s")
        gs = math.hypot(vx, vy)
        trk = math.degrees(math.atan2(vx, vy)) % 360.0
    baro = NAN
    i136 = r.get_item("136")
    i135 = r.get_item("135")
    if i136 is not None:
        baro = i136.variation.content.as_quantity("FL") * FL_M
    elif i135 is not None:
        baro = i135.variation.get_item("CTB").variation.content.as_quantity("FL") * FL_M
    i130 = r.get_item("130")
    gnss = NAN if i130 is None else i130.variation.content.as_quantity("ft") * FT_M
    i220 = r.get_item("220")
    vs = NAN if i220 is None else i220.variation.content.as_quantity("ft/min") * FPM_MPS
    return _report(ident, 62, (sac, sic, tn), tod, (lat, lon, baro, gnss, gs, trk, vs), callsign)
