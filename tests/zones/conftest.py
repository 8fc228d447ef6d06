"""The zone tests import their builders from ``zonekit`` (next to this file)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
