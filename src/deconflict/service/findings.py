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
    """What one detection run looked at: every track or only some, and the declarations.

    ``owned`` is set where detection is shared by area (cluster detectors): the tracks
    (qualified ids) whose findings this run reports, by the home rule of
    :mod:`~deconflict.detect.partition` (a separation pair's lower id, the track of a
    per-track finding). A run then covers only the findings whose home track it owns,
    so that a detector never closes an alert another detector reports.
    """

    all_tracks: bool
    tracks: set[str] = field(default_factory=set)
    features: bool = False
    owned: frozenset[str] | None = None
    version: int | None = None
    """The version of the recorder's picture the run saw (:attr:`LivePicture.version`):
    a run made on an older picture than the one an alert was last found on does not
    close it (a detector lagging behind another)."""
    parts: tuple[Coverage, ...] = ()
    """The runs this coverage is the union of (see ``DetectionStep``), or none."""

    def looked(self, kind: str, refs: frozenset[str] | set[str]) -> bool:
        """Whether this run would have found a finding of ``kind`` over the tracks
        ``refs`` (qualified ids) again if it still held."""
        if kind not in TRACK_KINDS:
            return self.features
        if self.owned is not None:
            return bool(refs) and min(refs) in self.owned
        return self.all_tracks or bool(refs & self.tracks)

    def covers(self, alert: Any, gone: set[str]) -> bool:
        """Whether this run would have found ``alert`` (a LiveAlert) again if it still held."""
        refs = set(alert.details.get("tracks", ()))
        if refs & gone:
            return True
        return self.looked(alert.kind, refs)
