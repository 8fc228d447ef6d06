"""Group commit for track reports: many requests, one transaction, one signed head.

Track reports are the service's volume. Each request waits on a future while one thread
writes every report queued meanwhile in one transaction — their rows, one ledger entry
per request, their idempotency records and one signed tree head — computes each
request's receipt inside it, commits (one fsync), and only then updates the picture and
answers. A failed transaction fails every request of the batch and writes nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..errors import Conflict, DeconflictError
from ..ledger.entry import float_records
from .clock import iso
from .reports import TrackReport

__all__ = ["PendingReport", "TrackCommitter"]


@dataclass
class PendingReport:
    """One accepted request waiting for its transaction."""

    party: str
    reports: list[TrackReport]
    idempotency: tuple[str, str] | None
    """``(key, request digest)`` when the request carried an ``Idempotency-Key``."""
    future: Future[dict[str, Any]] = field(default_factory=Future)


class TrackCommitter:
    """One thread committing queued track reports of ``service`` in batches."""

    def __init__(self, service: Any, *, max_requests: int = 256) -> None:
        """``service``: the :class:`~deconflict.service.core.Service` whose reports it
        commits."""
        self.service = service
        self.max_requests = max_requests
        self._queue: queue.SimpleQueue[PendingReport | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0

    def submit(self, pending: PendingReport) -> Future[dict[str, Any]]:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="deconflict-commit", daemon=True
                )
                self._thread.start()
        self._queue.put(pending)
        return pending.future

    def stop(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                self._queue.put(None)
                self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_requests:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[PendingReport]) -> None:
        # one request per idempotency key in a transaction; a repeat waits for the next
        seen: set[tuple[str, str]] = set()
        now_batch, later = [], []
        for p in batch:
            key = (p.party, p.idempotency[0]) if p.idempotency else None
            if key is not None and key in seen:
                later.append(p)
                continue
            if key is not None:
                seen.add(key)
            now_batch.append(p)
        try:
            results, apply = self._write(now_batch)
        except BaseException as exc:
            for p in now_batch:
                p.future.set_exception(exc)
        else:
            apply()
            for p, result in zip(now_batch, results, strict=True):
                if isinstance(result, BaseException):
                    p.future.set_exception(result)
                else:
                    p.future.set_result(result)
        self.batches += 1
        for p in later:
            self._queue.put(p)

    def _write(
        self, batch: list[PendingReport]
    ) -> tuple[list[dict[str, Any] | BaseException], Callable[[], None]]:
        svc = self.service
        stamp = iso(svc.clock.now())
        results: list[dict[str, Any] | BaseException | None] = [None] * len(batch)
        fresh: list[int] = []
        adding: dict[str, set[str]] = {}  # per party: ids the requests taken so far add
        cap = svc.config.max_tracks_per_party
        with svc.db.write():
            for k, p in enumerate(batch):
                if p.idempotency is not None:
                    try:
                        found = svc.idempotency.answer(p.party, *p.idempotency)
                    except DeconflictError as exc:
                        results[k] = exc
                        continue
                    if found is not None:
                        results[k] = found
                        continue
                # the per-party cap, counted here: only this thread adds live tracks
                more = adding.setdefault(p.party, set())
                new = svc.picture.unheld(p.party, (r.id for r in p.reports)) - more
                live = svc.picture.held_count(p.party) + len(more)
                if live + len(new) > cap:
                    results[k] = Conflict(
                        f"tracks: {len(new)} new track(s) would give {p.party!r} "
                        f"{live + len(new)} live tracks; at most {cap} per party (a track "
                        f"leaves the picture {svc.config.track_max_age_s:g} s after its "
                        "last report)"
                    )
                    continue
                more |= new
                fresh.append(k)
            # one statement for every row of the batch; of two reports of a track, the
            # newer one is kept (as the picture does)
            rows: dict[tuple[str, str], tuple[Any, ...]] = {}
            for k in fresh:
                for r in batch[k].reports:
                    key = (batch[k].party, r.id)
                    held = rows.get(key)
                    if held is None or r.time_s >= held[2]:
                        rows[key] = (batch[k].party, *r.row())
            if rows:
                svc.store.upsert_tracks(list(rows.values()))
            entries = [
                {
                    "kind": "tracks",
                    "party": batch[k].party,
                    "time": stamp,
                    "tracks": float_records([r.to_json() for r in batch[k].reports]),
                }
                for k in fresh
            ]
            if entries:
                appended = svc.log.append(entries)
                signed = svc.log.sign_head()
                for k, a in zip(fresh, appended, strict=True):
                    p = batch[k]
                    response = {
                        "accepted": len(p.reports),
                        "receipt": svc.log.receipt(a.index, signed).to_dict(),
                    }
                    if p.idempotency is not None:
                        svc.idempotency.save(p.party, *p.idempotency, response, svc.clock.now())
                    results[k] = response

        def apply() -> None:
            # the picture has its own lock: reports never wait for alert writes
            for k in fresh:
                svc.picture.upsert_tracks(batch[k].party, batch[k].reports)
            if fresh:
                svc.changed.set()

        return [r for r in results if r is not None], apply
