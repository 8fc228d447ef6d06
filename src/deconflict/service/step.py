"""One round of the detection loop: stale tracks out, detection on what changed, the
alert book brought up to date, late answers escalated, the ladder climbed — all written
as one transaction.

The detectors run without the service's lock (reports keep coming in meanwhile); what
they read is taken under it, and what they found is written under it. Where detection
runs elsewhere (a cluster's detectors) a :class:`FindingsSource` gives the runs' findings
instead, and the rest of the round is the same. Where the alerts' clocks are watched
elsewhere (a cluster's hotlines) a :class:`DueSource` names the alerts due, and only they
are looked at for late answers and the ladder; what is written is decided here either way.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any, Protocol

from ..kinds import detected
from ..ledger.rotation import SERVICE_PARTY
from .admission import Backlog
from .detection import run_detectors
from .findings import Coverage, Found
from .hotline import LiveAlert, alert_id, material_change

__all__ = ["DetectionStep", "DueSource", "FindingsSource"]


class FindingsSource(Protocol):
    """Detection done elsewhere: its runs, each (findings, what it covered)."""

    def active(self) -> bool:
        """Whether detection is done there now (otherwise the step detects itself)."""
        ...

    def take(self) -> list[tuple[list[Found], Coverage]]:
        """The runs completed since the last call."""
        ...

    def stats(self) -> dict[str, Any]:
        """What ``status`` shows of it."""
        ...


class DueSource(Protocol):
    """The alerts' deadlines and ladder watched elsewhere: which alerts are due."""

    def active(self) -> bool:
        """Whether they are watched there now (otherwise the step looks at every alert)."""
        ...

    def take(self, now: float) -> set[str]:
        """The alerts (ids) said to be due by ``now`` (POSIX s) since the last call."""
        ...

    def stats(self) -> dict[str, Any]:
        """What ``status`` shows of it."""
        ...


class DetectionStep:
    """Runs detection rounds for ``service`` (a :class:`~deconflict.service.core.Service`)
    one at a time, and keeps their figures in ``stats``."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.stats: dict[str, Any] = {"steps": 0, "last_step_ms": 0.0, "max_step_ms": 0.0}
        self._lock = threading.Lock()
        self.backlog = Backlog(max(1, service.config.max_alert_changes))
        self.evidence: dict[str, int] = {}
        """Per stable key, the newest picture version a run found it on."""
        self.source: FindingsSource | None = None
        """Where findings come from when detection runs elsewhere (None: here)."""
        self.due: DueSource | None = None
        """Which alerts are due when their clocks are watched elsewhere (None: here)."""

    def run(self, full: bool = False) -> list[LiveAlert]:
        """One round (a full pass over every track when ``full``; otherwise the tracks
        changed since the last round and a slice of the standing ones, so that every
        track is re-checked every ``full_pass_s``). Returns the alerts changed."""
        started = time.perf_counter()
        try:
            with self._lock:
                return self._run(full)
        finally:
            ms = (time.perf_counter() - started) * 1000.0
            self.stats["steps"] += 1
            self.stats["last_step_ms"] = round(ms, 3)
            self.stats["max_step_ms"] = round(max(self.stats["max_step_ms"], ms), 3)

    def _found_at(self, versions: dict[str, int | None]) -> None:
        """Remember the newest picture version each finding was found at."""
        for key, v in versions.items():
            if v is not None and v > self.evidence.get(key, -1):
                self.evidence[key] = v
        if len(self.evidence) > 2 * len(self.service.book.active) + 1024:
            active = self.service.book.active
            self.evidence = {k: v for k, v in self.evidence.items() if k in active}

    def _closes(self, covered: Coverage, alert: LiveAlert, key: str, gone: set[str]) -> bool:
        """Whether a run of this step would have found ``alert`` (stable key ``key``)
        again, on a picture at least as new as the one it was last found on: a detector
        lagging behind the one that raised an alert does not close it."""
        if set(alert.details.get("tracks", ())) & gone:
            return True  # its track left the picture
        at = self.evidence.get(key, -1)
        return any(
            c.covers(alert, gone) and (c.version is None or c.version >= at)
            for c in covered.parts or (covered,)
        )

    def _due(self, now: float) -> list[LiveAlert]:
        """The live alerts the hotlines say are due (the service's lock held)."""
        assert self.due is not None
        book = self.service.book
        alerts = [book.alerts[i] for i in self.due.take(now) if i in book.alerts]
        if len(self.service.ladder) > 2 * len(book.active) + 1024:
            self.service.ladder.prune(book.active.values())
        return [a for a in alerts if a.active]

    def _run(self, full: bool) -> list[LiveAlert]:
        svc = self.service
        book = svc.book
        with svc.lock:
            now = svc.clock.now()
            svc.changed.clear()
            stale = svc.picture.drop_stale(now)
            stale_keys = svc.picture.keys_of(stale)
            svc.picture.forget(stale)
            elsewhere = self.source is not None and self.source.active()
            svc.picture.set_detects(not elsewhere)
            if not elsewhere:
                view, covered = svc.picture.begin(now, full=full)
                covered.version = svc.picture.version
        for source in (self.source, self.due):
            if source is not None:
                self.stats.update(source.stats())
        if elsewhere:
            assert self.source is not None
            runs = self.source.take()
            found, covered = _merged(runs, now)
            versions = {f.key: c.version for run, c in runs for f in run}
        else:
            found = run_detectors(view, now, covered)
            versions = {f.key: covered.version for f in found}
        with svc.lock:
            suspended = svc.channel.suspended

            def changes_alert(f: Any) -> bool:
                existing_id = book.active.get(f.key)
                if existing_id is None:
                    return True
                return material_change(
                    book.alerts[existing_id],
                    f.alert.t_s,
                    f.alert.lat_deg,
                    f.alert.lon_deg,
                    now,
                    dt_s=svc.config.material_t_s,
                    dm=svc.config.material_m,
                )

            stale_set = set(stale)
            taken, waiting = self.backlog.take(
                found,
                covered,
                stale_set,
                changes_alert,
                now,
                new=lambda f: f.key not in book.active,
            )
            self.stats["waiting"] = len(waiting)
            changes: list[tuple[LiveAlert, str]] = []
            # found this run or waiting its turn: such an alert still holds, whether or not
            # its change was taken now
            seen: set[str] = set(waiting) | {f.key for f in found}
            self._found_at(versions)
            for f in taken:
                seen.add(f.key)
                existing_id = book.active.get(f.key)
                if existing_id is None:
                    deadline_s = svc.config.deadline_s(f.alert.kind, float(f.alert.t_s))
                    new = book.found_alert(
                        f,
                        now,
                        alert_id=alert_id(svc.entropy),
                        deadline_s=deadline_s,
                        suspended=suspended,
                    )
                    svc.ladder.seen(new, now)  # on its first rung: each climb is pushed
                    changes.append((new, "raised"))
                    continue
                if changes_alert(f):
                    alert = book.alerts[existing_id]
                    changes.append((book.refreshed(alert, f, now, suspended), "updated"))
            for key, aid in list(book.active.items()):
                if key in seen:
                    continue
                alert = book.alerts[aid]
                if detected(alert.kind) and self._closes(covered, alert, key, stale_set):
                    closed = book.copy(alert)
                    changes.append((closed, closed.close(now)))
            gone = svc.roster.gone()
            changed_ids = {a.id for a, _ in changes}
            every = self.due is None or not self.due.active()
            due = book.live() if every else self._due(now)
            for alert in due:
                if alert.id in changed_ids or not alert.late(now, gone):
                    continue  # most alerts are not due: no copy made
                probe = book.copy(alert)
                if probe.escalate(now, gone):
                    changes.append((probe, "escalated"))
            climbed = svc.ladder.climbed(due, now, every=every)
            if not changes and not stale and not climbed:
                return []
            entries: list[dict[str, Any]] = [
                svc.ladder.entry(alert, rung, SERVICE_PARTY) for alert, rung in climbed
            ]
            for alert, event in changes:
                if event == "raised":
                    entries.extend(book.raise_entries(alert))
                else:
                    entries.extend(book.change_entries(alert, event))

            def effect() -> None:
                if stale_keys:
                    svc.store.delete_tracks(stale_keys)
                for alert, _ in changes:
                    book.save(alert, now)

            if entries:
                svc.write(entries, effect)
            else:
                with svc.db.write():
                    effect()
            for alert, _ in changes:
                book.keep(alert)
        pushed = {a.id for a, _ in changes}
        for alert in [a for a, _ in changes] + [a for a, _ in climbed if a.id not in pushed]:
            svc.push_alert(alert)
        return [a for a, _ in changes]


def _merged(runs: list[tuple[list[Found], Coverage]], now: float) -> tuple[list[Found], Coverage]:
    """Several runs as one: every finding (the later of two with one key), its time to
    the conflict counted from ``now`` (a run was made a moment before, elsewhere), and
    what any of them covered (each covers only the findings it reports: see
    :class:`~deconflict.service.findings.Coverage`)."""
    found: dict[str, Found] = {}
    covered = Coverage(all_tracks=False, owned=frozenset())
    owned: set[str] = set()
    for run, coverage in runs:
        found.update((f.key, _from(f, now)) for f in run)
        covered.tracks |= coverage.tracks
        covered.features = covered.features or coverage.features
        owned |= coverage.owned or set()
    covered.owned = frozenset(owned)
    covered.parts = tuple(c for _, c in runs)
    return list(found.values()), covered


def _from(f: Found, now: float) -> Found:
    """``f`` as seen at ``now`` (POSIX s): the same conflict, its time ``t_s`` counted from
    ``now`` rather than from the run's time (never below 0)."""
    a = f.alert
    if a.now_s == now:
        return f
    t_s = max(0.0, a.t_s - (now - a.now_s))
    return replace(f, alert=replace(a, now_s=now, t_s=t_s))
