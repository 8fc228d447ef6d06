"""CSV tables with a header, read into columns; every error names file, line and column.

The reader under :meth:`deconflict.model.Tracks.from_csv` and :mod:`deconflict.trackio`.
It knows nothing of tracks: it returns the text and numeric columns asked for. Files may
be gzip-compressed (``.gz``). Line numbers count the header as line 1.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidInput

__all__ = ["Table", "column_index", "parse_float", "read_rows", "read_table"]


def _open_text(path: str | os.PathLike[str]) -> IO[str]:
    p = os.fspath(path)
    try:
        if p.endswith(".gz"):
            return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", newline="")
        return open(p, encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidInput(f"{p}: cannot open ({exc.strerror or exc})") from exc


def read_rows(path: str | os.PathLike[str]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (stripped names) and an iterator of (line number, fields); blank lines skipped."""
    name = os.fspath(path)
    fh = _open_text(path)
    try:
        text = fh.read()
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        fh.close()
        raise InvalidInput(f"{name}: cannot read ({exc})") from exc
    fh.close()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{name}: empty file (no header line)") from None
    header = [h.strip() for h in header]

    def numbered() -> Iterator[tuple[int, list[str]]]:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            yield reader.line_num, fields

    return header, numbered()


def column_index(name: str, header: list[str], wanted: tuple[str, ...]) -> dict[str, int]:
    """Position of each wanted column in ``header``; a missing one is invalid input."""
    missing = [c for c in wanted if c not in header]
    if missing:
        raise InvalidInput(
            f"{name}: line 1: missing column(s) {', '.join(missing)} (need {','.join(wanted)})"
        )
    return {c: header.index(c) for c in wanted}


def parse_float(name: str, line: int, column: str, text: str) -> float:
    """A finite number, or invalid input naming file ``name``, ``line`` and ``column``."""
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(
            f"{name}: line {line}, column {column!r}: not a number: {text!r}"
        ) from None
    if not math.isfinite(value):
        raise InvalidInput(f"{name}: line {line}, column {column!r}: {text!r} is not finite")
    return value


@dataclass(frozen=True)
class Table:
    """Columns read from a CSV file, one entry per data row.

    ``text``: stripped strings per text column; ``numbers``: float64 arrays of shape
    (rows,) per numeric column; ``labels``: ``"<file>: line <n>"`` per row.
    """

    text: dict[str, list[str]]
    numbers: dict[str, NDArray[np.float64]]
    labels: tuple[str, ...]


def read_table(
    path: str | os.PathLike[str], text_columns: tuple[str, ...], number_columns: tuple[str, ...]
) -> Table:
    """Read the named columns of every row (others are ignored).

    Raises :class:`InvalidInput` for a missing column, a short row, or a number that is
    not a finite float, naming the file, the line and the column.
    """
    name = os.fspath(path)
    header, rows = read_rows(path)
    cols = column_index(name, header, (*text_columns, *number_columns))
    width = max(cols.values()) + 1
    text: dict[str, list[str]] = {c: [] for c in text_columns}
    values: list[list[float]] = []
    labels: list[str] = []
    for line, fields in rows:
        if len(fields) < width:
            missing = [c for c, i in cols.items() if i >= len(fields)]
            raise InvalidInput(f"{name}: line {line}, column {missing[0]!r}: missing value")
        for c in text_columns:
            text[c].append(fields[cols[c]].strip())
        values.append([parse_float(name, line, c, fields[cols[c]]) for c in number_columns])
        labels.append(f"{name}: line {line}")
    arr = np.asarray(values, dtype=np.float64).reshape(-1, len(number_columns))
    numbers = {c: arr[:, k] for k, c in enumerate(number_columns)}
    return Table(text, numbers, tuple(labels))
