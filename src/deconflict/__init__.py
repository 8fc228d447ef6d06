"""deconflict: predict where parties sharing an airspace will collide; keep the record.

The names users call, loaded on first use (``import deconflict`` imports nothing
heavy, so the command line does not pay for numpy, shapely or numba until it needs them):

* records (:mod:`deconflict.model`): :class:`Tracks`, :class:`Geometry`, :class:`Zone`,
  :class:`Rule`, :class:`Position`, :class:`Strike`, :class:`Volume`, :class:`Country`,
  :class:`Party`, :class:`Alert` (:data:`ALERT_KINDS`), :class:`Picture`;
* prediction: :func:`detect_separation` (:func:`deconflict.detect.separation.detect`),
  :func:`evaluate` (every other alert of a :class:`Picture`, :mod:`deconflict.alerts`),
  :func:`dead_reckon` (:mod:`deconflict.geo`);
* reading: :func:`read_features`, :func:`read_borders` (GeoJSON), :func:`read_history`
  (recorded traffic; ``Tracks.from_csv`` reads a snapshot);
* the record: :class:`Log`, :func:`verify_export` (:mod:`deconflict.ledger`);
* errors: :class:`DeconflictError`, :class:`InvalidInput`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOME = {
    "ALERT_KINDS": "model",
    "Alert": "model",
    "Country": "model",
    "Geometry": "model",
    "Party": "model",
    "Picture": "model",
    "Position": "model",
    "Rule": "model",
    "Strike": "model",
    "Tracks": "model",
    "Volume": "model",
    "Zone": "model",
    "dead_reckon": "geo",
    "detect_separation": "detect.separation:detect",
    "evaluate": "alerts",
    "read_features": "features",
    "read_borders": "features",
    "read_history": "trackio",
    "Log": "ledger",
    "verify_export": "ledger",
    "DeconflictError": "errors",
    "InvalidInput": "errors",
}
"""Where each public name lives: ``module`` or ``module:attribute``."""

__all__ = [
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

if TYPE_CHECKING:
    from .alerts import evaluate
    from .detect.separation import detect as detect_separation
    from .errors import DeconflictError, InvalidInput
    from .features import read_borders, read_features
    from .geo import dead_reckon
    from .ledger import Log, verify_export
    from .model import (
        ALERT_KINDS,
        Alert,
        Country,
        Geometry,
        Party,
        Picture,
        Position,
        Rule,
        Strike,
        Tracks,
        Volume,
        Zone,
    )
    from .trackio import read_history


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'deconflict' has no attribute {name!r}")
    module, _, attr = home.partition(":")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attr or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
