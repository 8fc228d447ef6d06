"""Raw Mode S framings: AVR text lines and the Beast binary protocol.

AVR (dump1090/readsb port 30002): one frame per line, ``*<hex>;``, or ``@<12 hex digit
MLAT timestamp><hex>;``. In a recorded file a line may start with the time it was heard,
epoch seconds, then a space or a comma: ``1457996402.5 *8D40621D58C382D690C8AC2863A7;``.

Beast (port 30005): ``0x1a``, a type byte (``'1'`` Mode A/C, ``'2'`` Mode S short,
``'3'`` Mode S long, ``'4'`` status), a 6-byte 12 MHz MLAT counter, one signal byte,
then 2, 7 or 14 bytes of frame; a ``0x1a`` byte inside a frame is sent twice.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["BeastDeframer", "BeastFrame", "avr_record", "beast_frame"]

ESC = 0x1A
MLAT_HZ = 12_000_000
_PAYLOAD_LEN = {0x31: 2, 0x32: 7, 0x33: 14, 0x34: 14}
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def avr_record(line: str) -> tuple[float | None, int | None, str] | None:
    """(recorded epoch time or None, MLAT ticks or None, frame hex) of one AVR line.

    None when the line is not an AVR frame of 14 or 28 hex digits.

    >>> avr_record("*8D4840D6202CC371C32CE0576098;")
    (None, None, '8D4840D6202CC371C32CE0576098')
    >>> avr_record("1457996402.5 *20001838CA3E51;")
    (1457996402.5, None, '20001838CA3E51')
    """
    text = line.strip()
    t: float | None = None
    if text[:1] not in ("*", "@"):
        head, sep, rest = text.replace(",", " ", 1).partition(" ")
        if not sep:
            return None
        try:
            t = float(head)
        except ValueError:
            return None
        text = rest.strip()
    if not text.endswith(";") or text[:1] not in ("*", "@"):
        return None
    body = text[1:-1]
    ticks: int | None = None
    if text[0] == "@":
        if len(body) < 12 or not _HEXDIGITS.issuperset(body[:12]):
            return None
        ticks = int(body[:12], 16)
        body = body[12:]
    if len(body) not in (14, 28) or not _HEXDIGITS.issuperset(body):
        return None
    return t, ticks, body.upper()


class BeastFrame(NamedTuple):
    """One Beast frame: its type byte, the 12 MHz MLAT counter, signal level, frame bytes."""

    kind: int
    ticks: int
    signal: int
    data: bytes


def beast_frame(kind: int, data: bytes, ticks: int = 0, signal: int = 0) -> bytes:
    """Encode one frame in the Beast protocol (with 0x1a escaping).

    >>> beast_frame(0x32, bytes.fromhex("1a001838ca3e51"), ticks=26).hex()
    '1a3200000000001a1a001a1a001838ca3e51'
    """
    body = ticks.to_bytes(6, "big") + bytes((signal,)) + data
    return bytes((ESC, kind)) + body.replace(b"\x1a", b"\x1a\x1a")


class BeastDeframer:
    """Splits a Beast byte stream into frames, across reads; never raises on bad input.

    ``bad`` counts bytes skipped to find the next frame start and frames cut by a stray
    ``0x1a`` (resynchronised at the next frame start).
    """

    def __init__(self) -> None:
        self._buf = b""
        self.bad = 0

    def feed(self, chunk: bytes) -> list[BeastFrame]:
        """The complete frames in what has been received so far, in order."""
        data = self._buf + chunk if self._buf else chunk
        n = len(data)
        out: list[BeastFrame] = []
        i = 0
        while True:
            start = data.find(b"\x1a", i)
            if start < 0:
                self.bad += n - i
                i = n
                break
            if start > i:
                self.bad += start - i
            i = start
            if i + 1 >= n:
                break
            kind = data[i + 1]
            plen = _PAYLOAD_LEN.get(kind)
            if plen is None:
                # Not a frame start (e.g. the second byte of an escape pair): skip it.
                self.bad += 1
                i += 1
                continue
            need = 7 + plen
            j = i + 2
            chunk_ = data[j : j + need]
            if len(chunk_) == need and ESC not in chunk_:
                body = chunk_
                j += need
            else:
                body_arr = bytearray()
                ok = True
                while len(body_arr) < need and j < n:
                    b = data[j]
                    if b == ESC:
                        if j + 1 >= n:
                            break
                        if data[j + 1] != ESC:
                            ok = False
                            break
                        j += 2
                    else:
                        j += 1
                    body_arr.append(b)
                if not ok:
                    self.bad += 1
                    i = j
                    continue
                if len(body_arr) < need:
                    break  # incomplete: wait for more bytes
                body = bytes(body_arr)
            i = j
            out.append(BeastFrame(kind, int.from_bytes(body[:6], "big"), body[6], bytes(body[7:])))
        self._buf = data[i:]
        if len(self._buf) > 64:  # never hold more than one partial frame
            self.bad += len(self._buf) - 64
            self._buf = self._buf[-64:]
        return out
