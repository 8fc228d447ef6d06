"""The service: what parties report goes in, alerts and answers come out, all logged.

:class:`Service` holds the live state in memory (parties, the picture, alerts, messages,
the channel) and mirrors it to the store. Every write is one store transaction that also
appends its ledger entries and signs a tree head; the caller gets the receipt of its
submission. Writes are serialised by one lock (one writer per database); reads take the
same lock briefly. Events for subscribers go to ``publish(party, event)``.

Replay and the HTTP API drive the same methods; only the clock and the input differ.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..disclosure import check_disclosure
from ..entropy import Entropy
from ..errors import Conflict, Forbidden, InvalidInput, NotFound, VerificationError
from ..ledger.log import Log
from ..ledger.signing import SignedTreeHead, TreeHead, b64decode, b64encode
from ..ledger.witness import Cosignature
from ..store.base import Database
from ..store.records import ServiceStore
from .auth import Unauthenticated, hash_token, same_hash
from .clock import Clock, WallClock, iso
from .committer import PendingReport, TrackCommitter
from .config import ServiceConfig
from .detection import run_detectors
from .heads import HeadCadence
from .hotline import LiveAlert, alert_id, check_response, material_change
from .i18n import summary
from .parties import PartyAdmin, salted
from .picture import Found, Picture, TrackReport, parse_track_reports

__all__ = ["SERVICE_PARTY", "Party", "Service"]

SERVICE_PARTY = "deconflict"
"""The ``party`` of the ledger entries the service writes itself (alerts, notifications)."""

Publish = Callable[[str, dict[str, Any]], None]


@dataclass
class Party:
    """A connected organisation."""

    name: str
    language: str
    active: bool = True


def _digest(obj: Any) -> str:
    return hashlib.sha256(
        json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


class Service:
    """The live deconfliction service over ``db`` and its ``log``.

    ``countries`` (core :class:`~deconflict.model.Country` records) turn on border
    crossing alerts. ``entropy`` gives the salts of its ledger entries and the ids it
    assigns (default: the OS CSPRNG; a replay passes a seeded one).
    """

    def __init__(
        self,
        db: Database,
        log: Log,
        *,
        config: ServiceConfig | None = None,
        clock: Clock | None = None,
        publish: Publish | None = None,
        countries: Sequence[Any] = (),
        entropy: Entropy | None = None,
    ) -> None:
        self.db = db
        # every entry the service writes is salted by its log, and every id it assigns is
        # drawn from ``entropy`` (the OS CSPRNG; a replay gives a seeded one)
        self.entropy = entropy or Entropy()
        self.log = salted(log, self.entropy)
        self.config = config or ServiceConfig()
        self.clock: Clock = clock or WallClock()
        self.publish: Publish = publish or (lambda party, event: None)
        self.store = ServiceStore(db)
        self.admin = PartyAdmin(db, log, self.store, self.clock, self.entropy)
        self.heads = HeadCadence(log, self.clock, self.config.head_interval_s)
        self.committer = TrackCommitter(self)
        self.stats: dict[str, Any] = {"steps": 0, "last_step_ms": 0.0, "max_step_ms": 0.0}
        self.lock = threading.RLock()
        self._step_lock = threading.Lock()
        self.picture = Picture(self.config)
        self.picture.countries = tuple(countries)
        self.parties: dict[str, Party] = {}
        self.alerts: dict[str, LiveAlert] = {}
        self.active: dict[str, str] = {}
        self.messages: list[dict[str, Any]] = []
        self.channel: dict[str, dict[str, Any]] = {}
        self.channel_history: list[dict[str, Any]] = []
        self._last_full = -math.inf
        self.changed = threading.Event()
        self._load()

    # -- start-up --------------------------------------------------------------------

    def _load(self) -> None:
        for row in self.store.parties():
            self.parties[row.name] = Party(row.name, row.language, row.revoked_at is None)
        rows = self.store.tracks()
        by_party: dict[str, list[TrackReport]] = {}
        for party, id, time_s, lat, lon, alt, gs, trk, vs in rows:
            by_party.setdefault(party, []).append(
                TrackReport(id, time_s, lat, lon, alt, gs, trk, vs)
            )
        for party, reports in by_party.items():
            self.picture.upsert_tracks(party, reports)
        for party, id, kind, feature, consents, created in self.store.features():
            self.picture.set_feature(party, id, kind, feature, consents, created)
        for rec in self.store.alerts():
            alert = LiveAlert.from_record(rec)
            self.alerts[alert.id] = alert
            if alert.active:
                self.active[alert.key] = alert.id
        self.messages = self.store.messages()
        self.channel = self.store.channel()
        self.channel_history = [
            {"party": p, **{k: v for k, v in c.items() if k != "history"}}
            for p, c in self.channel.items()
        ]

    def warm_up(self) -> None:
        """Load and compile the detectors on a throwaway picture, so that the first real
        report is not slowed by it (the compiled code is cached on disk after one run)."""
        scratch = Picture(self.config)
        now = self.clock.now()
        reports = [
            TrackReport("a", now, 0.0, 0.0, 9000.0, 200.0, 90.0, 0.0),
            TrackReport("b", now, 0.0, 0.5, 9000.0, 200.0, 270.0, 0.0),
        ]
        scratch.upsert_tracks("warm-a", reports[:1])
        scratch.upsert_tracks("warm-b", reports[1:])
        scratch.evaluate(now, full=False)
        scratch.upsert_tracks("warm-a", reports[:1])
        scratch.evaluate(now, full=True)

    # -- parties ---------------------------------------------------------------------

    def add_party(self, name: str, language: str = "en") -> str:
        """Create a party; returns its token (shown once, stored only hashed)."""
        with self.lock:
            token = self.admin.add(name, language)
            self.parties[name] = Party(name, language)
        return token

    def revoke_party(self, name: str) -> None:
        """Revoke a party's token at once (its open streams are closed by the API)."""
        with self.lock:
            self.admin.revoke(name)
            if name in self.parties:
                self.parties[name].active = False

    def rotate_token(self, name: str) -> str:
        """Give a party a new token; the old one stops working at once."""
        with self.lock:
            token = self.admin.rotate(name)
            if name in self.parties:
                self.parties[name].active = True
        return token

    def authenticate(self, token: str | None) -> str:
        """The party a bearer token belongs to; :class:`Unauthenticated` otherwise.

        Looked up by hash (tokens are 256-bit random, so the hash is as secret as the
        token), confirmed with a constant-time comparison; a revoked or rotated token
        fails at once, also when the change came from another process.
        """
        if not token:
            raise Unauthenticated("missing bearer token")
        digest = hash_token(token)
        row = self.store.party_by_token_hash(digest)
        if row is None or row.revoked_at is not None or not same_hash(row.token_hash, digest):
            raise Unauthenticated("unknown or revoked token")
        if row.name not in self.parties:  # a party added by another process
            with self.lock:
                self.parties.setdefault(row.name, Party(row.name, row.language))
        return row.name

    def refresh_parties(self) -> list[str]:
        """Take in the parties added, revoked or given a new language by another process
        (``deconflict party ...`` while serving); returns the names that changed.

        A revoked party leaves the channel and is no longer awaited; a new one is
        reachable at once. The detection loop calls this every second."""
        rows = self.store.parties()
        changed: list[str] = []
        with self.lock:
            for row in rows:
                active = row.revoked_at is None
                known = self.parties.get(row.name)
                if known is None or (known.active, known.language) != (active, row.language):
                    self.parties[row.name] = Party(row.name, row.language, active)
                    changed.append(row.name)
        if changed:
            view = self.channel_state()
            for p in self.active_parties():
                self.publish(p, {"type": "channel", "channel": view})
        return changed

    def language_of(self, party: str) -> str:
        p = self.parties.get(party)
        return p.language if p is not None else "en"

    def active_parties(self) -> list[str]:
        return sorted(p.name for p in self.parties.values() if p.active)

    # -- the write path --------------------------------------------------------------

    def _write(
        self, entries: Sequence[Mapping[str, Any]], effect: Callable[[], None] | None = None
    ) -> tuple[list[int], SignedTreeHead]:
        """Run ``effect`` (store writes) and append ``entries`` in one transaction, then
        sign a tree head in it; returns the entries' indices and the head. The log adds
        each entry's random ``salt`` (see ``__init__``)."""
        stamp = iso(self.clock.now())
        stamped = [e if "time" in e else {**e, "time": stamp} for e in entries]
        with self.db.write():
            if effect is not None:
                effect()
            appended = self.log.append(stamped)
            signed = self.log.sign_head()
        return [a.index for a in appended], signed

    def _receipt(self, index: int, signed: SignedTreeHead) -> dict[str, Any]:
        return self.log.receipt(index, signed).to_dict()

    @staticmethod
    def _check_idempotency_key(key: Any) -> None:
        if not isinstance(key, str) or not 1 <= len(key) <= 200:
            raise InvalidInput("Idempotency-Key: 1 to 200 characters")

    @staticmethod
    def idempotent_answer(found: tuple[str, dict[str, Any]], digest: str) -> dict[str, Any]:
        """The stored answer to a repeated request; :class:`Conflict` if the key was used
        for another request."""
        if found[0] != digest:
            raise Conflict("Idempotency-Key was used with a different request")
        return found[1]

    def _idempotent(
        self,
        party: str,
        key: str | None,
        request: Any,
        do: Callable[[], tuple[dict[str, Any], Callable[[], None] | None]],
    ) -> dict[str, Any]:
        """Run ``do`` once per (party, Idempotency-Key): a retry with the same key and the
        same request gets the first answer; the same key with another request is refused."""
        if key is None:
            response, after = do()
            if after is not None:
                after()
            return response
        self._check_idempotency_key(key)
        digest = _digest(request)
        found = self.store.idempotent_response(party, key)
        if found is not None:
            return self.idempotent_answer(found, digest)
        # the service's lock before the database's, as on every other write path
        with self.lock, self.db.write():
            response, after = do()
            self.store.save_idempotent(party, key, digest, response, self.clock.now())
        if after is not None:
            after()
        return response

    # -- tracks ----------------------------------------------------------------------

    def report_tracks(
        self, party: str, items: Any, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Accept a batch of the caller's tracks (DESIGN's track objects); all or none."""
        now = self.clock.now()
        reports = parse_track_reports(
            items,
            party,
            now=now,
            max_future_s=self.config.max_future_s,
            max_age_s=self.config.track_max_age_s,
            max_batch=self.config.max_batch,
        )

        idem: tuple[str, str] | None = None
        if idempotency_key is not None:
            self._check_idempotency_key(idempotency_key)
            digest = _digest(items)
            found = self.store.idempotent_response(party, idempotency_key)
            if found is not None:
                return self.idempotent_answer(found, digest)
            idem = (idempotency_key, digest)
        return self.committer.submit(PendingReport(party, reports, idem)).result()

    def tracks_of(self, party: str) -> list[dict[str, Any]]:
        """The caller's own current tracks as last reported."""
        with self.lock:
            return self.picture.tracks_of(party)

    # -- declarations and zones ------------------------------------------------------

    def declare(
        self, party: str, doc: Any, *, expect: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Accept positions, intents or zones (``expect``: ``positions``, ``intents`` or
        ``zones``) as GeoJSON; each new or changed one raises a ``declaration`` alert to
        every other party. A request that would take the party past
        ``max_declarations_per_party`` is refused whole (409)."""
        now = self.clock.now()
        declared = self.picture.parse_declarations(doc, party, expect=expect, now=now)
        with self.lock:
            for d in declared:
                if d.kind == "zone":
                    owner = self.picture.zone_owner(d.id)
                    if owner is not None and owner != party:
                        raise Conflict(f"zone id {d.id!r} is taken")

        def do() -> tuple[dict[str, Any], Callable[[], None] | None]:
            with self.lock:
                # the per-party cap, under the lock that orders declarations
                self.picture.check_room(party, (d.id for d in declared))
                entries: list[dict[str, Any]] = [
                    {"kind": "declaration", "party": party, "feature": d.feature} for d in declared
                ]
                maybe = [self._declaration_alert(party, d, now) for d in declared]
                raised = [a for a in maybe if a is not None]
                for a in raised:
                    entries.extend(self._raise_entries(a))

                def effect() -> None:
                    for d in declared:
                        self.store.upsert_feature(party, d.id, d.kind, d.feature, d.consents, now)
                    for a in raised:
                        self.store.upsert_alert(a.id, a.key, a.state, a.record(), now)

                indices, signed = self._write(entries, effect)
                for d in declared:
                    self.picture.set_feature(party, d.id, d.kind, d.feature, d.consents, now)
                for a in raised:
                    self._keep(a)
            self.changed.set()
            response = {
                "accepted": [d.id for d in declared],
                "alerts": [a.id for a in raised],
                "receipt": self._receipt(indices[0], signed),
            }

            def after() -> None:
                for a in raised:
                    self._push_alert(a)
                for d in declared:
                    if d.kind == "zone":
                        self._push_zone(d.id)

            return response, after

        return self._idempotent(party, idempotency_key, {"expect": expect, "doc": doc}, do)

    def _declaration_alert(self, party: str, d: Any, now: float) -> LiveAlert | None:
        others = [p for p in self.active_parties() if p != party]
        parties = tuple(sorted({party, *others}))
        key = f"declaration|{party}/{d.id}|{_digest(d.feature)[:12]}"
        if key in self.active:
            return None
        lat, lon = d.lat, d.lon
        return LiveAlert(
            id=alert_id(self.entropy),
            key=key,
            kind="declaration",
            parties=parties,
            subjects=(d.id,),
            awaiting=tuple(sorted(others)),
            raised_at=now,
            updated_at=now,
            t_s=max(0.0, d.starts_s - now) if d.starts_s is not None else 0.0,
            lat=lat,
            lon=lon,
            deadline=now + self.config.deadline_s("declaration", None),
            details={
                "declared_by": party,
                "feature_kind": d.feature_kind,
                "feature": d.feature,
            },
            geometry=d.feature.get("geometry"),
            state="notified",
            suspended=[p for p in parties if self._suspended(p)],
        )

    def own_declarations(self, party: str, kinds: Iterable[str]) -> list[dict[str, Any]]:
        """The caller's own positions or intents, as the GeoJSON it sent."""
        with self.lock:
            return self.picture.features_of(party, set(kinds))

    def zones(self) -> list[dict[str, Any]]:
        """Every zone with its status, consents and who has not consented."""
        with self.lock:
            return self.picture.zone_features()

    def consent(self, party: str, zone_id: str) -> dict[str, Any]:
        """The caller consents to a zone naming it; the zone is agreed once all have."""
        with self.lock:
            owner = self.picture.zone_owner(zone_id)
            if owner is None:
                raise NotFound(f"no zone {zone_id!r}")
            zone = self.picture.declared[(owner, zone_id)]
            named = list(zone.feature["properties"].get("parties") or [])
            if party not in named:
                raise Forbidden(f"zone {zone_id!r} does not name party {party!r}")
            if party in zone.consents:
                raise Conflict(f"party {party!r} has already consented to zone {zone_id!r}")
            consents = sorted({*zone.consents, party})
            status = "agreed" if set(named) <= set(consents) else "claimed"
            feature = json.loads(json.dumps(zone.feature))
            feature["properties"]["consents"] = consents
            feature["properties"]["status"] = status
            entry = {"kind": "consent", "party": party, "zone": zone_id, "status": status}
            (index,), signed = self._write(
                [entry],
                lambda: self.store.upsert_feature(
                    owner, zone_id, "zone", feature, consents, zone.created_at
                ),
            )
            self.picture.set_feature(owner, zone_id, "zone", feature, consents, zone.created_at)
            self.changed.set()
        self._push_zone(zone_id)
        return {"zone": self.picture.zone_feature(zone_id), "receipt": self._receipt(index, signed)}

    # -- alerts and answers ----------------------------------------------------------

    def _suspended(self, party: str) -> bool:
        return self.channel.get(party, {}).get("state") == "suspended"

    def alert_view(self, alert: LiveAlert, party: str) -> dict[str, Any]:
        """The alert as ``party`` sees it: DESIGN's alert object plus its ``summary``."""
        rec = alert.record()
        rec.pop("key", None)
        view = {
            **rec,
            "summary": summary(rec, self.language_of(party), alert.updated_at),
            "language": self.language_of(party),
        }
        return view

    def alerts_for(self, party: str) -> list[dict[str, Any]]:
        """Alerts involving ``party``: live ones first, most urgent first; then closed."""
        with self.lock:
            mine = [a for a in self.alerts.values() if party in a.parties]
            mine.sort(
                key=lambda a: (not a.active, a.happens_at if a.active else -a.updated_at, a.id)
            )
            return [self.alert_view(a, party) for a in mine]

    def alert_for(self, party: str, alert_id_: str) -> dict[str, Any]:
        with self.lock:
            alert = self.alerts.get(alert_id_)
            if alert is None or party not in alert.parties:
                raise NotFound(f"no alert {alert_id_!r}")
            return self.alert_view(alert, party)

    def answer(self, party: str, alert_id_: str, response: Any, text: Any = None) -> dict[str, Any]:
        """Record ``party``'s answer to an alert involving it."""
        response, text = check_response(response, text)
        with self.lock:
            alert = self.alerts.get(alert_id_)
            if alert is None or party not in alert.parties:
                raise NotFound(f"no alert {alert_id_!r}")
            if not alert.active:
                raise Conflict(f"alert {alert_id_} is {alert.state}; it takes no more answers")
            now = self.clock.now()
            updated = LiveAlert.from_record(alert.record())
            updated.answer(party, response, text, now)
            entry: dict[str, Any] = {
                "kind": "ack",
                "party": party,
                "alert": alert.id,
                "response": response,
            }
            if text:
                entry["text"] = text
            entries = [entry]
            if updated.state == "answered" and alert.state != "answered":
                entries.append(self._state_entry(updated, "answered"))
            (index, *_), signed = self._write(
                entries,
                lambda: self.store.upsert_alert(
                    updated.id, updated.key, updated.state, updated.record(), now
                ),
            )
            self.alerts[updated.id] = updated
            if not updated.active:
                self.active.pop(updated.key, None)
        self._push_alert(updated)
        return {"alert": self.alert_view(updated, party), "receipt": self._receipt(index, signed)}

    def _keep(self, alert: LiveAlert) -> None:
        self.alerts[alert.id] = alert
        if alert.active:
            self.active[alert.key] = alert.id
        else:
            self.active.pop(alert.key, None)

    def _raise_entries(self, alert: LiveAlert) -> list[dict[str, Any]]:
        rec = alert.record()
        return [
            {"kind": "alert", "party": SERVICE_PARTY, "event": "raised", "alert": rec},
            {
                "kind": "notification",
                "party": SERVICE_PARTY,
                "alert": alert.id,
                "to": list(alert.parties),
                "suspended": list(alert.suspended),
            },
        ]

    def _state_entry(self, alert: LiveAlert, event: str) -> dict[str, Any]:
        return {
            "kind": "alert",
            "party": SERVICE_PARTY,
            "event": event,
            "alert": {
                "id": alert.id,
                "state": alert.state,
                "t": round(alert.t_s, 3),
                "lat": round(alert.lat, 6),
                "lon": round(alert.lon, 6),
                "deadline": iso(alert.deadline),
                "overdue": list(alert.overdue),
                "suspended": list(alert.suspended),
            },
        }

    def _push_alert(self, alert: LiveAlert) -> None:
        for p in alert.parties:
            self.publish(p, {"type": "alert", "alert": self.alert_view(alert, p)})

    def _push_zone(self, zone_id: str) -> None:
        feature = self.picture.zone_feature(zone_id)
        for p in self.active_parties():
            self.publish(p, {"type": "zone", "zone": feature})

    # -- detection, deadlines, expiry ------------------------------------------------

    def step(self, *, full: bool | None = None) -> list[LiveAlert]:
        """One round: drop stale tracks, detect (incrementally, or a full pass when due
        or asked), update the alerts, escalate late answers. Returns the alerts changed."""
        started = time.perf_counter()
        try:
            with self._step_lock:
                return self._step(full)
        finally:
            ms = (time.perf_counter() - started) * 1000.0
            self.stats["steps"] += 1
            self.stats["last_step_ms"] = round(ms, 3)
            self.stats["max_step_ms"] = round(max(self.stats["max_step_ms"], ms), 3)

    def _step(self, full: bool | None) -> list[LiveAlert]:
        with self.lock:
            now = self.clock.now()
            if full is None:
                # the safety net is a sweep: each run also re-checks a slice of the standing
                # tracks, so that every track is re-checked every full_pass_s (no long run)
                full = False
            if full:
                self._last_full = now
            self.changed.clear()
            stale = self.picture.drop_stale(now)
            stale_keys = self.picture.keys_of(stale)
            self.picture.forget(stale)
            view, covered = self.picture.begin(now, full=full)
        # the detectors run without the lock: reports keep coming in meanwhile
        found = run_detectors(view, now, covered)
        with self.lock:
            changes: list[tuple[LiveAlert, str]] = []
            seen: set[str] = set()
            for f in found:
                seen.add(f.key)
                existing_id = self.active.get(f.key)
                if existing_id is None:
                    changes.append((self._new_alert(f, now), "raised"))
                    continue
                alert = self.alerts[existing_id]
                if material_change(
                    alert,
                    f.alert.t_s,
                    f.alert.lat_deg,
                    f.alert.lon_deg,
                    now,
                    dt_s=self.config.material_t_s,
                    dm=self.config.material_m,
                ):
                    updated = LiveAlert.from_record(alert.record())
                    self._refresh(updated, f, now)
                    changes.append((updated, "updated"))
            stale_set = set(stale)
            for key, aid in list(self.active.items()):
                if key in seen:
                    continue
                alert = self.alerts[aid]
                if alert.kind == "declaration":
                    continue
                if covered.covers(alert, stale_set):
                    closed = LiveAlert.from_record(alert.record())
                    event = closed.close(now)
                    changes.append((closed, event))
            gone = {p.name for p in self.parties.values() if not p.active}
            for aid in list(self.active.values()):
                alert = self.alerts[aid]
                if any(c[0].id == aid for c in changes):
                    continue
                probe = LiveAlert.from_record(alert.record())
                late = probe.escalate(now, gone)
                if late:
                    changes.append((probe, "escalated"))
            if not changes and not stale:
                return []
            entries: list[dict[str, Any]] = []
            for alert, event in changes:
                if event == "raised":
                    entries.extend(self._raise_entries(alert))
                else:
                    entries.append(self._state_entry(alert, event))
                    if event == "escalated":
                        entries.append(
                            {
                                "kind": "notification",
                                "party": SERVICE_PARTY,
                                "alert": alert.id,
                                "to": list(alert.parties),
                                "overdue": list(alert.overdue),
                                "escalation": True,
                            }
                        )

            def effect() -> None:
                if stale_keys:
                    self.store.delete_tracks(stale_keys)
                for alert, _ in changes:
                    self.store.upsert_alert(alert.id, alert.key, alert.state, alert.record(), now)

            if entries:
                self._write(entries, effect)
            else:
                with self.db.write():
                    effect()
            for alert, _ in changes:
                self._keep(alert)
        for alert, _ in changes:
            self._push_alert(alert)
        return [a for a, _ in changes]

    def _new_alert(self, f: Found, now: float) -> LiveAlert:
        a = f.alert
        check_disclosure(a.parties, a)
        alert = LiveAlert(
            id=alert_id(self.entropy),
            key=f.key,
            kind=a.kind,
            parties=tuple(a.parties),
            subjects=f.subjects,
            awaiting=tuple(a.parties),
            raised_at=now,
            updated_at=now,
            t_s=float(a.t_s),
            lat=float(a.lat_deg),
            lon=float(a.lon_deg),
            deadline=now + self.config.deadline_s(a.kind, float(a.t_s)),
            details=f.details,
            geometry=dict(a.geometry) if a.geometry is not None else None,
            state="notified",
        )
        alert.suspended = [p for p in alert.parties if self._suspended(p)]
        return alert

    def _refresh(self, alert: LiveAlert, f: Found, now: float) -> None:
        a = f.alert
        alert.updated_at = now
        alert.t_s = float(a.t_s)
        alert.lat = float(a.lat_deg)
        alert.lon = float(a.lon_deg)
        alert.details = f.details
        alert.geometry = dict(a.geometry) if a.geometry is not None else None
        alert.suspended = [p for p in alert.parties if self._suspended(p)]

    # -- messages --------------------------------------------------------------------

    def send_message(self, party: str, to: Any, text: Any) -> dict[str, Any]:
        """A free-text message from ``party`` to the parties in ``to``."""
        if not isinstance(to, list) or not to or not all(isinstance(p, str) for p in to):
            raise InvalidInput("to: a non-empty list of party names")
        if not isinstance(text, str) or not text.strip() or len(text) > 4000:
            raise InvalidInput("text: a non-empty string of at most 4000 characters")
        if any(p not in self.parties for p in to):
            self.refresh_parties()  # added by another process a moment ago
        with self.lock:
            unknown = sorted(
                p
                for p in set(to)
                if p not in self.parties or not self.parties[p].active or p == party
            )
            if unknown:
                raise InvalidInput(f"to: not another known party: {', '.join(unknown)}")
            now = self.clock.now()
            recipients = sorted(set(to))
            message: dict[str, Any] = {
                "id": self.entropy.id("msg"),
                "from": party,
                "to": recipients,
                "text": text,
                "at": iso(now),
            }
            entry = {"kind": "message", "party": party, "message": message}
            (index,), signed = self._write(
                [entry], lambda: self.store.add_message(str(message["id"]), message, now)
            )
            self.messages.append(message)
        for p in [party, *recipients]:
            self.publish(p, {"type": "message", "message": message})
        return {"message": message, "receipt": self._receipt(index, signed)}

    def messages_for(self, party: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["from"] == party or party in m["to"]]

    # -- the channel -----------------------------------------------------------------

    def channel_state(self) -> dict[str, Any]:
        """The hotline's state: open unless a party has suspended its participation."""
        with self.lock:
            parties = {
                p: self.channel.get(p, {"state": "open", "since": None, "reason": None})
                for p in self.active_parties()
            }
            suspended = sorted(p for p, c in parties.items() if c["state"] == "suspended")
            return {
                "state": "suspended" if suspended else "open",
                "suspended": suspended,
                "parties": parties,
                "history": list(self.channel_history),
            }

    def set_channel(self, party: str, suspend: bool, reason: Any = None) -> dict[str, Any]:
        """``party`` suspends (with a reason) or resumes its participation."""
        if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
            raise InvalidInput("reason: a string of at most 2000 characters")
        if suspend and (not reason or not reason.strip()):
            raise InvalidInput("reason: say why the channel is suspended")
        with self.lock:
            current = self.channel.get(party, {}).get("state", "open")
            if suspend and current == "suspended":
                raise Conflict(f"party {party!r} has already suspended its participation")
            if not suspend and current != "suspended":
                raise Conflict(f"party {party!r} has not suspended its participation")
            now = self.clock.now()
            action = "suspend" if suspend else "resume"
            state = {
                "state": "suspended" if suspend else "open",
                "since": iso(now),
                "reason": reason,
            }
            entry = {"kind": "channel", "party": party, "action": action, "reason": reason}
            (index,), signed = self._write([entry], lambda: self.store.set_channel(party, state))
            self.channel[party] = state
            self.channel_history.append({"party": party, "action": action, **state})
            touched = []
            for aid in self.active.values():
                alert = self.alerts[aid]
                if party in alert.parties:
                    marks = [p for p in alert.parties if self._suspended(p)]
                    if marks != alert.suspended:
                        alert.suspended = marks
                        touched.append(alert)
        view = self.channel_state()
        for p in self.active_parties():
            self.publish(p, {"type": "channel", "channel": view})
        for alert in touched:
            self._push_alert(alert)
        return {"channel": view, "receipt": self._receipt(index, signed)}

    def status(self) -> dict[str, Any]:
        """Counts an operator watches: tracks, live alerts, detection runs and their time."""
        with self.lock:
            return {
                "tracks": len(self.picture.reports),
                "alerts_live": len(self.active),
                "alerts_total": len(self.alerts),
                "parties": len(self.active_parties()),
                "commit_batches": self.committer.batches,
                **self.stats,
            }

    # -- the record ------------------------------------------------------------------

    def inclusion(self, index: int, tree_size: int | None) -> dict[str, Any]:
        """Inclusion proof of entry ``index`` (hashes only: it reveals no entry), in a tree
        no larger than the published head's."""
        published = self.heads.size()
        with self.lock:
            size = published if tree_size is None else tree_size
            self._check_published(size, published)
            if not 0 <= index < size:
                raise NotFound(f"the tree of {size} entries has no entry {index}")
            proof = self.log.inclusion_proof(index, size)
        return {"index": index, "tree_size": size, "proof": [h.hex() for h in proof]}

    def consistency(self, first: int, second: int | None) -> dict[str, Any]:
        """Consistency proof between the trees of ``first`` and ``second`` entries (no
        larger than the published head's)."""
        published = self.heads.size()
        with self.lock:
            size = published if second is None else second
            self._check_published(size, published)
            if not 0 <= first <= size:
                raise InvalidInput(f"first: must be between 0 and {size}")
            proof = self.log.consistency_proof(first, size)
        return {"first": first, "second": size, "proof": [h.hex() for h in proof]}

    def _check_published(self, size: int, published: int) -> None:
        """With a head interval, proofs stop at the published head: one for a larger tree
        would tell how many entries were written since."""
        if self.heads.fixed and size > published:
            raise NotFound(f"no published tree head covers {size} entries (yet)")

    def visible(self, party: str, entry: Mapping[str, Any]) -> bool:
        """Whether ``party`` may read a ledger entry (need-to-know)."""
        kind = entry.get("kind")
        if entry.get("party") == party:
            return True
        if kind in ("channel", "consent", "party", "declaration", "key-rotation"):
            return True
        if kind == "message":
            return party in (entry.get("message") or {}).get("to", [])
        if kind in ("alert", "notification", "ack"):
            ref = entry.get("alert")
            aid = ref.get("id") if isinstance(ref, dict) else ref
            alert = self.alerts.get(str(aid))
            return alert is not None and party in alert.parties
        return False

    def export_for(self, party: str) -> list[str]:
        """The export as ``party`` may read it: entries it may not read are given as their
        leaf hash only (``{"index", "leaf_hash"}``), which still lets it check the tree."""
        from ..ledger.hashing import leaf_hash
        from ..ledger.verify import export_line

        signed = self.heads.current()  # (never under the lock: it may sign)
        with self.lock:
            size = json.loads(signed.sth)["tree_size"]
            lines = []
            for index, leaf in self.log.entries(0, size):
                try:
                    entry = json.loads(leaf)
                except ValueError:
                    entry = {}
                if self.visible(party, entry):
                    lines.append(export_line(index, leaf))
                else:
                    lines.append(json.dumps({"index": index, "leaf_hash": leaf_hash(leaf).hex()}))
            lines.append(signed.to_line())
        return lines

    def head(self) -> dict[str, Any]:
        """The latest signed tree head and the public key, with the cosignatures the
        parties' witnesses sent for it (``cosignatures``), the number of active parties
        (``parties``), and ``cosigned``: the latest head that has cosignatures (heads are
        signed at every write, or once per ``head_interval_s`` when set, so the newest
        one has often not been cosigned yet), or ``None``."""
        signed = self.heads.current()  # (never under the lock: it may sign)
        with self.lock:
            parties = len(self.active_parties())
        size = TreeHead.from_json(signed.sth).tree_size
        cosignatures = self.store.cosignatures(size, signed.sth)
        latest = self.store.latest_cosigned()
        cosigned: dict[str, Any] | None = None
        if latest is not None:
            c_size, c_sth, c_signature, c_key = latest
            cosigned = {
                **json.loads(c_sth),
                "sth": c_sth,
                "signature": c_signature,
                "public_key": c_key,
                "cosignatures": (
                    cosignatures if c_sth == signed.sth else self.store.cosignatures(c_size, c_sth)
                ),
            }
        return {
            **json.loads(signed.sth),
            **signed.to_dict(),
            "cosignatures": cosignatures,
            "parties": parties,
            "cosigned": cosigned,
        }

    # -- witnesses -------------------------------------------------------------------

    RECENT_HEADS = 10_000
    """A cosignature is taken for one of the last this many heads the service signed."""

    def cosign(self, party: str, sth: Any, public_key: Any, signature: Any) -> dict[str, Any]:
        """Keep ``party``'s cosignature of a tree head the service issued.

        ``signature`` must verify over the UTF-8 bytes of ``sth`` with ``public_key``
        (base64, Ed25519), and ``sth`` must be, byte for byte, one of the last
        :attr:`RECENT_HEADS` heads the service signed (409 otherwise). A party's first
        cosignature registers its witness key with a ledger entry every party reads
        (``{"kind": "party", "action": "witness-key", "public_key"}``). A key is one
        party's only; a party cosigns with another key only after its token was rotated
        (``deconflict party rotate-token``), which records the new key the same way.
        """
        if not isinstance(sth, str) or not 0 < len(sth) <= 1000:
            raise InvalidInput("sth: the tree head's JSON text, as GET /v1/log/head gives it")
        try:
            cos = Cosignature(
                party, b64decode(public_key, "public_key"), b64decode(signature, "signature")
            )
            cos.verify(sth)
            size = TreeHead.from_json(sth).tree_size
        except VerificationError as exc:
            raise InvalidInput(str(exc)) from exc
        issued = self.store.issued_head(size, sth, self.RECENT_HEADS)
        if issued is None:
            raise Conflict(
                "sth: not one of the tree heads this service signed lately; cosign the head "
                "GET /v1/log/head gives"
            )
        key = b64encode(cos.public_key)
        head_of_sth = (b64encode(issued[0]), b64encode(issued[1]))
        receipt: dict[str, Any] | None = None
        with self.lock:
            holder = self.store.witness_key_of(key)
            if holder is not None and holder.party != party:
                raise Conflict("public_key: the witness key of another party")
            current = self.store.witness_key(party)
            token_hash = self.store.party(party).token_hash
            if (
                current is not None
                and current.public_key != key
                and current.token_hash == token_hash
            ):
                raise Conflict(
                    f"public_key: party {party!r} cosigns with the witness key "
                    f"{current.public_key} (entry {current.entry}); another key is taken "
                    "only after the party's token is rotated"
                )
            now = self.clock.now()
            with self.db.write():
                entry_index = current.entry if current is not None else -1
                if current is None or current.public_key != key:
                    entry: dict[str, Any] = {
                        "kind": "party",
                        "party": party,
                        "action": "witness-key",
                        "public_key": key,
                    }
                    if current is not None:
                        entry["replaces"] = current.public_key
                    (entry_index,), signed = self._write([entry])
                    self.store.set_witness_key(party, key, token_hash, entry_index, now)
                    receipt = self._receipt(entry_index, signed)
                self.store.add_cosignature(
                    size, sth, party, key, b64encode(cos.signature), head_of_sth, now
                )
        out: dict[str, Any] = {
            "tree_size": size,
            "sth": sth,
            "cosignatures": self.store.cosignatures(size, sth),
            "witness_key": {"public_key": key, "index": entry_index},
        }
        if receipt is not None:
            out["receipt"] = receipt
        return out
