"""The zone, intent, strike and border detectors and the GeoJSON reader are pure core."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "deconflict.features",
    "deconflict.detect.frames",
    "deconflict.detect.zones",
    "deconflict.detect.intents",
    "deconflict.detect.strikes",
    "deconflict.detect.borders",
]
FORBIDDEN = ("deconflict.store", "deconflict.api", "deconflict.web", "deconflict.cli",
             "deconflict.commands")  # fmt: skip


def test_core_loads_no_adapter() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + f"bad = sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
