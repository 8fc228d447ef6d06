"""Unit conversions at the edge of the feeds: aviation units in, SI out."""

from __future__ import annotations

__all__ = ["FPM_MPS", "FT_M", "KT_MPS"]

FT_M = 0.3048
"""Metres per foot (exact)."""
KT_MPS = 1852.0 / 3600.0
"""Metres per second per knot (exact: 1 NM = 1,852 m)."""
FPM_MPS = FT_M / 60.0
"""Metres per second per foot per minute."""
