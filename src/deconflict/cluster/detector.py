"""The ``detector`` role: detection for a share of the area, any number of them.

A detector follows the picture stream (:data:`~deconflict.cluster.bus.PICTURE_SUBJECT`)
from the moment it starts, takes the whole picture once from the active recorder, and
then runs detection as a single node does — on the tracks changed since the last run,
a slice of the standing ones, and a full pass when the detectors alive change — keeping
the findings whose home it owns (:func:`~deconflict.cluster.share.detect_share`). Each
run goes to the recorder, which turns findings into alerts (one per stable key), closes
those the run covered and did not find, and writes the record: detection moves no
alert and writes nothing itself.

It starts over from the recorder's picture when the recorder changes (a takeover: a
change may have been lost with the old one), every :data:`RESYNC_S` as a safety net,
and when a run could not be delivered its tracks are looked at again on the next run.
It says it is alive (:class:`~deconflict.cluster.members.Members`) only once it has
sent its first full run, so that the recorder stops detecting itself only then.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from typing import Any

from ..detect.partition import Partition
from ..errors import DeconflictError
from ..service.picture import LivePicture
from .bus import FINDINGS_SUBJECT, PICTURE_SUBJECT, NatsBus
from .following import Followed, Worker
from .share import (
    Share,
    apply_change,
    coverage_json,
    detect_share,
    found_json,
    load_snapshot,
    settings_of,
)

__all__ = ["RESYNC_S", "Detector"]

log = logging.getLogger("deconflict.cluster")

RESYNC_S = 300.0
"""A detector takes the whole picture again this often (seconds)."""
WORKING_S = 5.0
"""A detector whose last run ended longer ago than this stops saying it is alive (its
cells go to the others, or back to the recorder, until it runs again)."""
PIECE_BYTES = 256 * 1024
"""About how much of a run one message carries."""


class Detector(Worker):
    """Detector ``name`` on ``bus``. Its detection settings and borders are the
    recorder's (:func:`~deconflict.cluster.share.detection_settings`), taken with the
    picture."""

    role = "detector"

    def __init__(self, bus: NatsBus, name: str, *, idle_s: float = 0.25) -> None:
        super().__init__(bus, name, idle_s=idle_s, subject=FINDINGS_SUBJECT)
        self.runs = 0
        self.found = 0
        self._last_run = -float("inf")

    def _session(self, stop: threading.Event) -> None:
        """One picture taken from the recorder, and detection on it until it must be
        taken again."""
        with Followed(self.bus, PICTURE_SUBJECT) as changes:
            snapshot = self.recorder.call("picture")
            recorder = snapshot["recorder"]
            config, countries = settings_of(snapshot["settings"])
            picture = LivePicture(config)
            picture.countries = countries
            load_snapshot(picture, snapshot)
            version = int(snapshot["version"])  # of the recorder's picture this copy is
            log.warning(
                "detector %s: picture of %d tracks from recorder %s",
                self.name,
                len(picture.reports),
                recorder,
            )
            started = time.monotonic()
            names: tuple[str, ...] = ()
            partition = Partition([self.name])
            share = Share(partition, self.name)
            full = True
            while not stop.is_set():
                for change in changes.take():
                    if change.get("recorder") != recorder:
                        log.warning("detector %s: the recorder changed", self.name)
                        return
                    apply_change(picture, change)
                    version = max(version, int(change["v"]))
                alive = tuple(sorted(set(self.members.alive()) | {self.name}))
                if alive != names:
                    names, partition, full = alive, Partition(alive), True
                    share = Share(partition, self.name)
                    log.warning("detector %s: detectors %s", self.name, ", ".join(names))
                found, covered = detect_share(
                    picture,
                    time.time(),
                    full=full,
                    partition=partition,
                    name=self.name,
                    share=share,
                )
                covered.version = version
                if not self._send(found, covered, recorder, picture):
                    return
                self.runs += 1
                self.found += len(found)
                self._last_run = time.monotonic()
                if full:
                    self.members.beat(self.name, self._working)
                full = False
                if time.monotonic() - started > RESYNC_S:
                    return
                changes.wait(self.idle_s)

    def _working(self) -> bool:
        return time.monotonic() - self._last_run < WORKING_S

    def _send(self, found: list[Any], covered: Any, recorder: str, picture: LivePicture) -> bool:
        """Send one run to the recorder; False when it must start over (another
        recorder answers). A run not delivered is looked at again next time."""
        docs = [found_json(f) for f in found]
        pieces: list[list[Any]] = [[]]
        size = 0
        for doc in docs:
            n = len(json.dumps(doc))
            if size + n > PIECE_BYTES and pieces[-1]:
                pieces.append([])
                size = 0
            pieces[-1].append(doc)
            size += n
        run = secrets.token_hex(6)
        try:
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                cov = coverage_json(covered) if last else None
                answered = self.recorder.call(
                    "found", self.name, run, i, len(pieces), piece, cov, recorder
                )
                if answered != recorder:
                    log.warning("detector %s: the recorder changed", self.name)
                    return False
        except DeconflictError as exc:
            log.warning("detector %s: a run was not delivered (%s)", self.name, exc)
            with picture.lock:
                picture.changed.update(covered.tracks)
                picture.features_dirty = True
            return False
        return True
