"""What a detection run found and what it looked at (shared by the picture and the
detectors' runner)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["TRACK_KINDS", "Coverage", "Found"]

TRACK_KINDS = ("separation", "zone-entry", "border-crossing", "non-conforming")
"""Alert kinds whose subjects include tracks."""


@dataclass(frozen=True)
class Found:
    """An alert found by detection, in the service's terms.

    ``alert`` is the core :class:`~deconflict.model.Alert` (over qualified ids); ``key``
    its stable key; ``subjects`` the ids the parties know; ``tracks`` the qualified ids of
    its track subjects.
    """

    key: str
    alert: Any
    subjects: tuple[str, ...]
    details: dict[str, Any]
    tracks: frozenset[str] = frozenset()


@dataclass
class Coverage:
    """What one detection run looked at: every track or only some, and the declarations."""

    all_tracks: bool
    tracks: set[str] = field(default_factory=set)
    features: bool = False

    def covers(self, alert: Any, gone: set[str]) -> bool:
        """Whether this run would have found ``alert`` (a LiveAlert) again if it still held."""
        refs = set(alert.details.get("tracks", ()))
        if refs & gone:
            return True
        if alert.kind in TRACK_KINDS:
            return self.all_tracks or bool(refs & self.tracks)
        return self.features
