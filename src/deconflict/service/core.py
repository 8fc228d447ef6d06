"""The service: what parties report goes in, alerts and answers come out, all logged.

:class:`Service` wires the parts, each holding one thing — the parties
(:class:`~deconflict.service.roster.Roster`), the picture
(:class:`~deconflict.service.picture.LivePicture`), the alert book
(:class:`~deconflict.service.alertbook.AlertBook`), the channel
(:class:`~deconflict.service.channel.Channel`), the messages
(:class:`~deconflict.service.messages.Messages`), idempotent answers
(:class:`~deconflict.service.idempotency.Idempotency`) and the record
(:class:`~deconflict.service.record.Record`) — and keeps the write path: every write is
one store transaction that also appends its ledger entries and signs a tree head, and
the caller gets the receipt of its submission. Writes are serialised by one lock, taken
before the database's write transaction on every path (one writer per database); reads
take the same lock briefly. Events for subscribers go to ``publish(party, event)``.

Replay and the HTTP API drive the same methods; only the clock and the input differ.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..entropy import Entropy
from ..errors import Conflict, NotFound
from ..ledger.log import Log
from ..ledger.rotation import SERVICE_PARTY
from ..ledger.signing import SignedTreeHead
from ..model import Party
from ..store.base import Database
from ..store.records import ServiceStore
from .alertbook import AlertBook
from .alertshape import view_json
from .channel import Channel
from .clock import Clock, WallClock, iso, rate_of
from .committer import PendingReport, TrackCommitter
from .config import ServiceConfig
from .declared import with_consent
from .heads import HeadCadence
from .hotline import LiveAlert
from .idempotency import Idempotency, check_key, digest, stored_answer
from .ladder import Ladder, ladder_view, steps_of
from .messages import Messages, check_message
from .officers import Officers, Principal
from .parties import PartyAdmin, salted
from .picture import LivePicture, warm_up
from .ratelimit import RateLimiter
from .readback import answer_readback, mismatch_event
from .record import RECENT_HEADS, Record
from .reports import TrackReport, parse_track_reports
from .roster import Roster
from .step import DetectionStep
from .stops import request_stop
from .trackbatch import TrackBatch
from .withdrawal import declaration_alert, withdraw

__all__ = ["SERVICE_PARTY", "Party", "Service"]

Publish = Callable[[str, dict[str, Any]], None]
Effect = Callable[[], None]


class Service:
    """The live deconfliction service over ``db`` and its ``log``.

    ``countries`` (core :class:`~deconflict.model.Country` records) turn on border
    crossing alerts. ``entropy`` gives the salts of its ledger entries and the ids it
    assigns (default: the OS CSPRNG; a replay passes a seeded one).
    """

    RECENT_HEADS = RECENT_HEADS

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
        self.lock = threading.RLock()
        self.changed = threading.Event()
        self.admin = PartyAdmin(db, log, self.store, self.clock, self.entropy)
        self.heads = HeadCadence(log, self.clock, self.config.head_interval_s)
        self.committer = TrackCommitter(self)
        self.roster = Roster(self.store)
        self.officers = Officers(self.admin.officer_store, self.roster, self.clock)
        self.limiter = RateLimiter(self.config.rate_per_s, self.config.burst)
        self.ladder = Ladder(self.config.ladder_steps)
        self.picture = LivePicture(self.config)
        self.picture.countries = tuple(countries)
        self.book = AlertBook(self.store)
        self.channel = Channel(self.store)
        self.mail = Messages(self.store)
        self.idempotency = Idempotency(self.store)
        self.record = Record(
            db,
            self.log,
            self.heads,
            self.store,
            lock=self.lock,
            clock=self.clock,
            involved=self.book.involves,
        )
        self.detection = DetectionStep(self)
        self._load()

    # -- what the parts hold, by their former names --------------------------------------

    @property
    def parties(self) -> dict[str, Party]:
        return self.roster.parties

    @property
    def alerts(self) -> dict[str, LiveAlert]:
        return self.book.alerts

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.mail.items

    @property
    def stats(self) -> dict[str, Any]:
        """The detection rounds' figures (count, last and longest time in ms)."""
        return self.detection.stats

    # -- start-up --------------------------------------------------------------------

    def _load(self) -> None:
        self.roster.load()
        self.officers.load()
        by_party: dict[str, list[TrackReport]] = {}
        for party, id, time_s, lat, lon, alt, gs, trk, vs in self.store.tracks():
            by_party.setdefault(party, []).append(
                TrackReport(id, time_s, lat, lon, alt, gs, trk, vs)
            )
        for party, reports in by_party.items():
            self.picture.upsert_tracks(party, reports)
        for party, id, kind, feature, consents, created in self.store.features():
            self.picture.set_feature(party, id, kind, feature, consents, created)
        self.book.load()
        self.mail.load()
        self.channel.load(lambda: self.log.entries(0, self.log.size))

    def warm_up(self) -> None:
        """Load and compile the detectors (:func:`~.picture.warm_up`)."""
        warm_up(self.config, self.clock.now())

    # -- parties ---------------------------------------------------------------------

    def add_party(self, name: str, language: str = "en") -> str:
        """Create a party; returns its token (shown once, stored only hashed)."""
        with self.lock:
            token = self.admin.add(name, language)
            self.roster.added(name, language)
        return token

    def revoke_party(self, name: str) -> None:
        """Revoke a party's token at once (its open streams end within the API's check
        of their tokens)."""
        with self.lock:
            self.admin.revoke(name)
            self.roster.revoked(name)

    def authenticate(self, token: str | None) -> str:
        """The party a bearer token acts for (its own, or one of its officers')."""
        return self.officers.authenticate(token).party

    def principal(self, token: str | None) -> Principal:
        """Who a bearer token names: a party, or one of its officers with its role."""
        return self.officers.authenticate(token)

    def admit(self, party: str) -> float:
        """Spend one of ``party``'s requests: 0 within its rate, else seconds to wait."""
        return self.limiter.take(party)

    def principal_admitted(self, token: str | None) -> tuple[Principal, float]:
        """:meth:`principal`, and one of its party's requests spent (:meth:`admit`)."""
        who = self.principal(token)
        return who, self.admit(who.party)

    def refresh_parties(self) -> list[str]:
        """Take in the parties added, revoked or given a new language by another process
        (``deconflict party ...`` while serving); returns the names that changed.

        A revoked party leaves the channel and is no longer awaited; a new one is
        reachable at once. The detection loop calls this every second."""
        changed = self.roster.refresh()
        if changed:
            view = self.channel_state()
            for p in self.active_parties():
                self.publish(p, {"type": "channel", "channel": view})
        officers = self.officers.refresh()
        if changed or officers or self.officers.lapsed():
            self.push_roster()
        return changed

    def roster_for(self, party: str) -> list[dict[str, Any]]:
        """The duty roster per party as ``party`` may read it (:meth:`Officers.roster_for`)."""
        return self.officers.roster_for(party, self.active_parties())

    def push_roster(self) -> None:
        """Publish the duty roster to every active party, as each may read it."""
        for p in self.active_parties():
            self.publish(p, {"type": "roster", "roster": self.roster_for(p)})

    def language_of(self, party: str) -> str:
        return self.roster.language_of(party)

    def active_parties(self) -> list[str]:
        return self.roster.active()

    # -- the write path --------------------------------------------------------------

    def write(
        self, entries: Sequence[Mapping[str, Any]], effect: Effect | None = None
    ) -> tuple[list[int], SignedTreeHead]:
        """Run ``effect`` (store writes) and append ``entries`` in one transaction, then
        sign a tree head in it; returns the entries' indices and the head. The log adds
        each entry's random ``salt`` (see ``__init__``). Callers hold :attr:`lock`."""
        stamp = iso(self.clock.now())
        stamped = [e if "time" in e else {**e, "time": stamp} for e in entries]
        with self.db.write():
            if effect is not None:
                effect()
            appended = self.log.append(stamped)
            signed = self.log.sign_head()
        return [a.index for a in appended], signed

    def _receipt(self, index: int, signed: SignedTreeHead) -> dict[str, Any]:
        return self.record.receipt(index, signed)

    @staticmethod
    def idempotent_answer(found: tuple[str, dict[str, Any]], digest: str) -> dict[str, Any]:
        """The stored answer to a repeated request; :class:`Conflict` if the key was used
        for another request."""
        return stored_answer(found, digest)

    def _idempotent(
        self,
        party: str,
        key: str | None,
        request: Any,
        do: Callable[[], tuple[dict[str, Any], Effect | None]],
    ) -> dict[str, Any]:
        """Run ``do`` once per (party, Idempotency-Key): a retry with the same key and the
        same request gets the first answer; the same key with another request is refused."""
        if key is None:
            response, after = do()
            if after is not None:
                after()
            return response
        request_digest, found = self.idempotency.lookup(party, key, request)
        if found is not None:
            return found
        # the service's lock before the database's, as on every other write path
        with self.lock, self.db.write():
            response, after = do()
            self.idempotency.save(party, key, request_digest, response, self.clock.now())
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
            check_key(idempotency_key)
            request_digest = digest(items.to_json() if isinstance(items, TrackBatch) else items)
            found = self.idempotency.answer(party, idempotency_key, request_digest)
            if found is not None:
                return found
            idem = (idempotency_key, request_digest)
        return self.committer.submit(PendingReport(party, reports, idem)).result()

    def tracks_of(self, party: str) -> list[dict[str, Any]]:
        """The caller's own current tracks as last reported."""
        with self.lock:
            return self.picture.tracks_of(party)

    # -- declarations and zones ------------------------------------------------------

    def declare(
        self,
        party: str,
        doc: Any,
        *,
        expect: str,
        idempotency_key: str | None = None,
        officer: str | None = None,
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

        def do() -> tuple[dict[str, Any], Effect | None]:
            with self.lock:
                # the per-party cap, under the lock that orders declarations
                self.picture.check_room(party, (d.id for d in declared))
                entries: list[dict[str, Any]] = [
                    {
                        "kind": "declaration",
                        "party": party,
                        "officer": officer,
                        "feature": d.feature,
                    }
                    for d in declared
                ]
                others = [p for p in self.active_parties() if p != party]
                maybe = [
                    declaration_alert(
                        self,
                        party,
                        d,
                        now,
                        others=others,
                        action="amended" if (party, d.id) in self.picture.declared else "declared",
                    )
                    for d in declared
                ]
                raised = [a for a in maybe if a is not None]
                for a in raised:
                    a.details["officer"] = officer
                    entries.extend(self.book.raise_entries(a))

                def effect() -> None:
                    for d in declared:
                        self.store.upsert_feature(party, d.id, d.kind, d.feature, d.consents, now)
                    for a in raised:
                        self.book.save(a, now)

                indices, signed = self.write(entries, effect)
                for d in declared:
                    self.picture.set_feature(party, d.id, d.kind, d.feature, d.consents, now)
                for a in raised:
                    self.book.keep(a)
            self.changed.set()
            response = {
                "accepted": [d.id for d in declared],
                "alerts": [a.id for a in raised],
                "receipt": self._receipt(indices[0], signed),
            }
            short = {d.id: d.short_notice for d in declared if d.short_notice}
            if short:
                response["short_notice"] = short

            def after() -> None:
                for a in raised:
                    self.push_alert(a)
                for d in declared:
                    if d.kind == "zone":
                        self._push_zone(d.id)

            return response, after

        return self._idempotent(party, idempotency_key, {"expect": expect, "doc": doc}, do)

    def own_declarations(self, party: str, kinds: Iterable[str]) -> list[dict[str, Any]]:
        """The caller's own positions or intents, as the GeoJSON it sent."""
        with self.lock:
            return self.picture.features_of(party, set(kinds))

    def zones(self) -> list[dict[str, Any]]:
        """Every zone with its status, consents and who has not consented."""
        with self.lock:
            return self.picture.zone_features()

    def consent(self, party: str, zone_id: str, officer: str | None = None) -> dict[str, Any]:
        """The caller consents to a zone naming it; the zone is agreed once all have."""
        with self.lock:
            owner = self.picture.zone_owner(zone_id)
            if owner is None:
                raise NotFound(f"no zone {zone_id!r}")
            zone = self.picture.declared[(owner, zone_id)]
            feature, consents, status = with_consent(zone, party)
            entry = {"kind": "consent", "party": party, "zone": zone_id, "status": status,
                     "officer": officer}  # fmt: skip
            (index,), signed = self.write(
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

    def alert_view(self, alert: LiveAlert, party: str) -> dict[str, Any]:
        """The alert as ``party`` sees it: DESIGN's alert object plus its ``summary``, and
        the ladder's ``reach`` and ``unanswered`` (:func:`~.ladder.ladder_view`)."""
        steps = steps_of(alert, self.config.ladder_steps(alert.kind))
        ladder = ladder_view(alert, party, steps, self.clock.now())
        return {**view_json(alert, self.language_of(party)), **ladder}

    def alerts_for(self, party: str, role: str | None = None) -> list[dict[str, Any]]:
        """Alerts involving ``party``: live ones first, most urgent first; then closed.
        For an officer's ``role``, those the ladder has reached it with."""
        with self.lock:
            views = [self.alert_view(a, party) for a in self.book.of(party)]
        return [v for v in views if role is None or role in v["reach"]]

    def alert_for(self, party: str, alert_id_: str) -> dict[str, Any]:
        with self.lock:
            return self.alert_view(self.book.get(party, alert_id_), party)

    def answer(
        self,
        party: str,
        alert_id_: str,
        response: Any,
        text: Any = None,
        officer: str | None = None,
        understood: Any = None,
    ) -> dict[str, Any]:
        """Record ``party``'s answer to an alert involving it (given by ``officer``);
        ``understood`` is read back (:mod:`~deconflict.service.readback`), a mismatch
        told to every party of the alert at once (a ``readback`` event)."""
        with self.lock:
            now = self.clock.now()
            readback = None
            if understood is not None:  # NotFound unless party is involved
                alert = self.book.get(party, alert_id_)
                readback = answer_readback(alert, response, understood, self.picture, self.config)
            updated, entries = self.book.answered(
                party, alert_id_, response, text, now, officer=officer, readback=readback
            )
            (index, *_), signed = self.write(entries, lambda: self.book.save(updated, now))
            self.book.keep(updated)
        if readback is not None and readback["readback"]["mismatch"]:
            for p in updated.parties:
                self.publish(p, mismatch_event(updated, party, officer, readback))
        self.push_alert(updated)
        return {"alert": self.alert_view(updated, party), "receipt": self._receipt(index, signed)}

    def push_alert(self, alert: LiveAlert) -> None:
        """Publish ``alert`` to each party it involves, as that party sees it."""
        for p in alert.parties:
            self.publish(p, {"type": "alert", "alert": self.alert_view(alert, p)})

    def _push_zone(self, zone_id: str) -> None:
        feature = self.picture.zone_feature(zone_id)
        for p in self.active_parties():
            self.publish(p, {"type": "zone", "zone": feature})

    # -- detection, deadlines, expiry ------------------------------------------------

    def step(self, *, full: bool | None = None) -> list[LiveAlert]:
        """One round: drop stale tracks, detect (incrementally with a sweep of the
        standing tracks, or a full pass when asked), update the alerts, escalate late
        answers (:class:`~deconflict.service.step.DetectionStep`). Returns the alerts
        changed."""
        return self.detection.run(bool(full))

    # -- messages --------------------------------------------------------------------

    def send_message(
        self, party: str, to: Any, text: Any, officer: str | None = None
    ) -> dict[str, Any]:
        """A free-text message from ``party`` (written by ``officer``) to those in ``to``."""
        to, text = check_message(to, text)
        if any(p not in self.parties for p in to):
            self.refresh_parties()  # added by another process a moment ago
        with self.lock:
            now = self.clock.now()
            message = self.mail.compose(
                party,
                to,
                text,
                now,
                lambda: self.entropy.id("msg"),
                self.roster.is_active,
            )
            message["officer"] = officer
            entry = {"kind": "message", "party": party, "message": message}
            (index,), signed = self.write([entry], lambda: self.mail.save(message, now))
            self.mail.apply(message)
        for p in [party, *message["to"]]:
            self.publish(p, {"type": "message", "message": message})
        return {"message": message, "receipt": self._receipt(index, signed)}

    def messages_for(self, party: str) -> list[dict[str, Any]]:
        with self.lock:
            return self.mail.for_party(party)

    # -- the channel -----------------------------------------------------------------

    def clock_state(self) -> dict[str, Any]:
        """The service's clock as a client should count with it: ``now`` (ISO 8601) and
        ``rate`` (its seconds per real second: 1 live, the speed of a demo or replay, 0
        when it only moves in steps). Times in alerts are on this clock."""
        return {"now": iso(self.clock.now()), "rate": rate_of(self.clock)}

    def channel_state(self) -> dict[str, Any]:
        """The hotline's state: open unless a party has suspended its participation."""
        with self.lock:
            return self.channel.view(self.active_parties())

    def set_channel(
        self, party: str, suspend: bool, reason: Any = None, officer: str | None = None
    ) -> dict[str, Any]:
        """``party`` (its ``officer``) suspends (with a reason) or resumes its part."""
        with self.lock:
            entry, action, state = self.channel.change(party, suspend, reason, self.clock.now())
            entry["officer"] = state["officer"] = officer
            with self.db.write():
                (index,), signed = self.write([entry])
                self.channel.save(party, action, state, index)
            self.channel.apply(party, action, state, index)
            touched = self.book.remarked(party, self.channel.suspended)
        view = self.channel_state()
        for p in self.active_parties():
            self.publish(p, {"type": "channel", "channel": view})
        for alert in touched:
            self.push_alert(alert)
        return {"channel": view, "receipt": self._receipt(index, signed)}

    def status(self) -> dict[str, Any]:
        """Counts an operator watches: tracks, live alerts, detection runs and their time."""
        with self.lock:
            return {
                "tracks": len(self.picture.reports),
                "alerts_live": len(self.book.active),
                "alerts_total": len(self.book.alerts),
                "parties": len(self.active_parties()),
                "commit_batches": self.committer.batches,
                **self.stats,
            }

    # -- the record ------------------------------------------------------------------

    def inclusion(self, index: int, tree_size: int | None) -> dict[str, Any]:
        """Inclusion proof of entry ``index`` (:meth:`Record.inclusion`)."""
        return self.record.inclusion(index, tree_size)

    def consistency(self, first: int, second: int | None) -> dict[str, Any]:
        """Consistency proof between two trees (:meth:`Record.consistency`)."""
        return self.record.consistency(first, second)

    def withdraw(self, party: str, endpoint: str, decl_id: str, **kw: Any) -> dict[str, Any]:
        """Withdraw ``party``'s declaration (:func:`~.withdrawal.withdraw`)."""
        return withdraw(self, party, endpoint, decl_id, **kw)

    def request_stop(self, party: str, subject: Any, text: Any = None, **kw: Any) -> Any:
        """``party`` asks a subject's owner to stop it (:func:`~.stops.request_stop`)."""
        return request_stop(self, party, subject, text, **kw)

    def export_for(self, party: str) -> list[str]:
        """The export as ``party`` may read it (:meth:`Record.export_for`)."""
        return self.record.export_for(party)

    def head(self) -> dict[str, Any]:
        """The published signed tree head with its cosignatures (:meth:`Record.head`)."""
        return self.record.head(len(self.active_parties()))

    def cosign(self, party: str, sth: Any, public_key: Any, signature: Any) -> dict[str, Any]:
        """Keep ``party``'s cosignature of a tree head the service issued
        (:meth:`Record.cosign`)."""
        return self.record.cosign(party, sth, public_key, signature, write=self.write)
