"""Where a feed reads from: the SOURCE argument and the decoders behind it.

``sbs://HOST:PORT``, ``avr://HOST:PORT``, ``beast://HOST:PORT`` (TCP, live),
``cot://HOST:PORT`` (a TAK server's CoT stream, TCP) and ``cotudp://GROUP:PORT`` (a TAK
mesh, UDP multicast or unicast), ``asterix://HOST:PORT`` (ASTERIX CAT021/CAT062 over UDP,
unicast or multicast), ``http(s)://...`` (state vectors in the OpenSky
``/states/all`` layout, polled), or a file: ``.sbs``, ``.avr``, ``.beast`` recordings,
``.json`` state-vector documents (one document, or one per line), ``.ast`` ASTERIX data
blocks, or a ``.csv`` track
history (the format ``deconflict detect --at`` reads); any of them optionally
gzip-compressed (``.gz``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ..errors import InvalidInput
from .asterix import AsterixDecoder, BlockStream
from .cot import CotDecoder
from .framing import MLAT_HZ, BeastDeframer, avr_record
from .hostport import host_port
from .modes import ModeSDecoder
from .sbs import SbsDecoder
from .state import AircraftTable
from .statevectors import StateVectorDecoder

__all__ = ["Intake", "Kind", "SourceSpec", "parse_source"]

Kind = Literal["sbs", "avr", "beast", "states", "history", "cot", "cotudp", "asterix"]
_SCHEMES: dict[str, Kind] = {
    "sbs": "sbs",
    "avr": "avr",
    "beast": "beast",
    "cot": "cot",
    "cotudp": "cotudp",
    "asterix": "asterix",
}
_SUFFIXES: dict[str, Kind] = {
    ".sbs": "sbs",
    ".avr": "avr",
    ".beast": "beast",
    ".json": "states",
    ".csv": "history",
    ".ast": "asterix",
}


@dataclass(frozen=True)
class SourceSpec:
    """A parsed SOURCE: a TCP receiver (host, port), a polled URL, or a file path."""

    kind: Kind
    host: str | None = None
    port: int | None = None
    url: str | None = None
    path: str | None = None

    @property
    def live(self) -> bool:
        """True for a receiver or a URL (times are when a message arrives)."""
        return self.path is None

    def __str__(self) -> str:
        if self.host is not None:
            return f"{self.kind}://{self.host}:{self.port}"
        return self.url or self.path or self.kind


def parse_source(text: str) -> SourceSpec:
    """Parse SOURCE; raises :class:`InvalidInput` naming what is wrong.

    >>> parse_source("sbs://127.0.0.1:30003")
    SourceSpec(kind='sbs', host='127.0.0.1', port=30003, url=None, path=None)
    >>> parse_source("http://127.0.0.1:8000/states/all").kind
    'states'
    """
    if "://" in text:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            return SourceSpec("states", url=text)
        kind = _SCHEMES.get(scheme)
        if kind is None:
            raise InvalidInput(
                f"source {text!r}: unknown scheme {scheme!r} "
                "(sbs, avr, beast, cot, cotudp, asterix, http, https)"
            )
        host, port = host_port(parts, f"source {text!r}", f", e.g. {scheme}://127.0.0.1")
        return SourceSpec(kind, host=host, port=port)
    base = text[:-3] if text.endswith(".gz") else text
    kind_ = _SUFFIXES.get(os.path.splitext(base)[1].lower())
    if kind_ is None:
        raise InvalidInput(
            f"source {text!r}: not a receiver URL (sbs://, avr://, beast://, cot://, "
            "cotudp://, asterix://, http://) nor a "
            "file ending in .sbs, .avr, .beast, .json, .ast or .csv (optionally .gz)"
        )
    if not os.path.isfile(text):
        raise InvalidInput(f"source {text!r}: no such file")
    return SourceSpec(kind_, path=text)


class Intake:
    """The decoders of every kind of source, all merging into one aircraft table."""

    def __init__(self, table: AircraftTable, receiver: tuple[float, float] | None = None):
        self.table = table
        self.sbs = SbsDecoder(table)
        self.modes = ModeSDecoder(table, receiver)
        self.beast = BeastDeframer()
        self.states = StateVectorDecoder(table)
        self.cot = CotDecoder(table)
        self.asterix_stream = BlockStream()
        self._asterix: AsterixDecoder | None = None
        self.avr_bad = 0
        self.rows = 0
        self._partial = b""

    @property
    def messages(self) -> int:
        """Messages read from the source so far (lines, frames, state or history rows)."""
        return (
            self.sbs.messages
            + self.modes.messages
            + self.states.messages
            + self.cot.messages
            + (self._asterix.messages if self._asterix else 0)
            + self.asterix_stream.bad
            + self.avr_bad
            + self.rows
        )

    @property
    def bad(self) -> int:
        """Messages that could not be read (never fatal); Beast counts skipped bytes."""
        return (
            self.sbs.bad
            + self.modes.bad
            + self.states.bad
            + self.cot.bad
            + (self._asterix.bad if self._asterix else 0)
            + self.asterix_stream.bad
            + self.avr_bad
            + self.beast.bad
        )

    @property
    def skipped(self) -> int:
        """Messages read but not about aircraft (a CoT event that is no aircraft atom, an
        ASTERIX record without an id or position, or of a simulated or test target)."""
        return self.cot.skipped + (self._asterix.ignored if self._asterix else 0)

    @property
    def asterix(self) -> AsterixDecoder:
        """The ASTERIX decoder, made on first use (libasterix loads in a second or two)."""
        if self._asterix is None:
            self._asterix = AsterixDecoder(self.table)
        return self._asterix

    def avr_line(self, line: str, t: float, src_t: float | None = None) -> None:
        """One AVR line heard at feed time ``t`` (source time ``src_t``)."""
        rec = avr_record(line)
        if rec is None:
            if line.strip():
                self.avr_bad += 1
            return
        self.modes.feed(rec[2], t, src_t)

    def beast_frames(self, chunk: bytes, t: float) -> None:
        """Bytes of a live Beast stream received at ``t``."""
        for frame in self.beast.feed(chunk):
            if frame.kind in (0x32, 0x33):
                self.modes.feed(frame.data.hex(), t)

    def lines(self, kind: Kind, chunk: bytes, t: float) -> None:
        """Bytes of a live line stream (SBS or AVR) received at ``t``; keeps a partial line."""
        data = self._partial + chunk if self._partial else chunk
        parts = data.split(b"\n")
        self._partial = parts.pop()
        if len(self._partial) > 4096:  # no line is that long: garbage without line ends
            self._partial = b""
            if kind == "sbs":
                self.sbs.messages += 1
                self.sbs.bad += 1
            else:
                self.avr_bad += 1
        for raw in parts:
            line = raw.decode("ascii", "replace").strip()
            if not line:
                continue
            if kind == "sbs":
                self.sbs.feed(line, t)
            else:
                self.avr_line(line, t)

    def live_chunk(self, kind: Kind, chunk: bytes, t: float) -> None:
        """Bytes from a live receiver connection."""
        if kind == "beast":
            self.beast_frames(chunk, t)
        elif kind == "cot":
            self.cot.feed_stream(chunk, t)
        else:
            self.lines(kind, chunk, t)

    def reset_stream(self) -> None:
        """Forget a partial line or frame (a connection was lost)."""
        self._partial = b""
        self.beast = _carry_bad(self.beast)
        self.cot.stream.reset()


def _carry_bad(old: BeastDeframer) -> BeastDeframer:
    new = BeastDeframer()
    new.bad = old.bad
    return new


def beast_seconds(ticks: int) -> float:
    """Seconds of a 12 MHz Beast MLAT counter."""
    return ticks / MLAT_HZ
