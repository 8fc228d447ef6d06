"""``import deconflict``: a pinned list of public names, each loaded on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import deconflict

PUBLIC = [
    "ALERT_KINDS",
    "Alert",
    "Country",
    "DeconflictError",
    "Geometry",
    "InvalidInput",
    "Log",
    "Party",
    "Picture",
    "Position",
    "Rule",
    "Strike",
    "Tracks",
    "Volume",
    "Zone",
    "dead_reckon",
    "detect_separation",
    "evaluate",
    "read_borders",
    "read_features",
    "read_history",
    "verify_export",
]


def test_all_is_pinned() -> None:
    assert deconflict.__all__ == PUBLIC


def test_every_name_is_its_home_object() -> None:
    from deconflict import alerts, errors, features, geo, ledger, model, trackio
    from deconflict.detect import separation

    homes = {
        "dead_reckon": geo.dead_reckon,
        "detect_separation": separation.detect,
        "evaluate": alerts.evaluate,
        "read_features": features.read_features,
        "read_borders": features.read_borders,
        "read_history": trackio.read_history,
        "Log": ledger.Log,
        "verify_export": ledger.verify_export,
        "DeconflictError": errors.DeconflictError,
        "InvalidInput": errors.InvalidInput,
    }
    for name in PUBLIC:
        expected = homes.get(name, getattr(model, name, None))
        assert expected is not None, name
        assert getattr(deconflict, name) is expected, name
    assert set(dir(deconflict)) >= set(PUBLIC)


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        deconflict.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_import_is_light() -> None:
    """The command line starts without numpy, shapely or numba; they load on first use."""
    code = (
        "import json, sys, deconflict\n"
        "heavy = ('numpy', 'shapely', 'numba', 'cryptography')\n"
        "before = sorted(m for m in heavy if m in sys.modules)\n"
        "deconflict.Tracks\n"
        "print(json.dumps([before, 'numpy' in sys.modules, 'numba' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [[], True, False]
