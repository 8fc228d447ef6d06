"""The array types of the detectors' records, and what their column records share.

A detector set or result is a frozen dataclass of columns, one row per record or pair:
:class:`Rows` gives it its length, :func:`columns` builds its columns from records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["F32", "F64", "I8", "I64", "B", "Geoms", "Rows", "Strs", "columns"]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I8 = NDArray[np.int8]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]
Strs = NDArray[np.str_]
Geoms = NDArray[np.object_]


class Rows:
    """A dataclass of columns of one length; its length is that of its first field."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def __len__(self) -> int:
        return int(getattr(self, next(iter(self.__dataclass_fields__))).shape[0])


def columns(records: Sequence[Any], dtype: DTypeLike, *names: str) -> dict[str, Any]:
    """The attributes ``names`` of ``records`` as arrays of ``dtype``, shape (r,), by name.

    >>> from types import SimpleNamespace as R
    >>> columns([R(id="a", x=1), R(id="b", x=2)], np.float64, "x")
    {'x': array([1., 2.])}
    """
    return {name: np.array([getattr(r, name) for r in records], dtype=dtype) for name in names}
