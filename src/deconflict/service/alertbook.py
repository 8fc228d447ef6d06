"""The alert book: every alert the service raised, the live ones by stable key, and the
ledger entries that raise them and record each change.

An alert is changed on a copy (:func:`~deconflict.service.alertshape.copy_of`) that the
book takes in with :meth:`AlertBook.keep` once its entries are written; what the book
holds is always what the store and the ledger hold. The store keeps each alert's record
(:class:`AlertStore`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..disclosure import check_disclosure
from ..errors import Conflict, NotFound
from ..ledger.rotation import SERVICE_PARTY
from ..model import alert_key
from .alertshape import alert_from_json, alert_json, copy_of, state_json
from .declared import Declared
from .findings import Found
from .hotline import LiveAlert, check_response

__all__ = ["AlertBook", "AlertStore"]


class AlertStore(Protocol):
    """Where alert records are kept (:class:`~deconflict.store.records.ServiceStore`)."""

    def upsert_alert(self, id: str, key: str, state: str, body: dict[str, Any], at: float) -> None:
        """Keep an alert's record (inside the write's own transaction)."""
        ...

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert's record, by last change."""
        ...


class AlertBook:
    """The alerts of ``store`` (the service's lock guards the book)."""

    def __init__(self, store: AlertStore) -> None:
        self.store = store
        self.alerts: dict[str, LiveAlert] = {}
        self.active: dict[str, str] = {}
        """Live alerts' ids by stable key."""
        self.observer: Callable[[LiveAlert], None] | None = None
        """Called with each alert taken in after the book was loaded (a cluster's
        recorder tells its hotlines)."""

    def load(self) -> None:
        for rec in self.store.alerts():
            self.keep(alert_from_json(rec))

    # -- reading -----------------------------------------------------------------------

    def get(self, party: str, alert_id: str) -> LiveAlert:
        """The alert ``alert_id`` if it involves ``party``; :class:`NotFound` otherwise
        (the same answer whether it does not exist or is another's)."""
        alert = self.alerts.get(alert_id)
        if alert is None or party not in alert.parties:
            raise NotFound(f"no alert {alert_id!r}")
        return alert

    def of(self, party: str) -> list[LiveAlert]:
        """Alerts involving ``party``: live ones first, most urgent first; then closed."""
        mine = [a for a in self.alerts.values() if party in a.parties]
        mine.sort(key=lambda a: (not a.active, a.happens_at if a.active else -a.updated_at, a.id))
        return mine

    def live(self) -> list[LiveAlert]:
        return [self.alerts[aid] for aid in self.active.values()]

    @staticmethod
    def copy(alert: LiveAlert) -> LiveAlert:
        """A copy to change (:func:`~deconflict.service.alertshape.copy_of`)."""
        return copy_of(alert)

    def involves(self, party: str, alert_id: Any) -> bool:
        """Whether the alert ``alert_id`` exists and involves ``party``."""
        alert = self.alerts.get(str(alert_id))
        return alert is not None and party in alert.parties

    # -- writing -----------------------------------------------------------------------

    def keep(self, alert: LiveAlert) -> None:
        """Take in ``alert`` as written."""
        self.alerts[alert.id] = alert
        if alert.active:
            self.active[alert.key] = alert.id
        else:
            self.active.pop(alert.key, None)
        if self.observer is not None:
            self.observer(alert)

    def save(self, alert: LiveAlert, now: float) -> None:
        """Keep ``alert``'s record in the store (inside the write's transaction)."""
        self.store.upsert_alert(alert.id, alert.key, alert.state, alert_json(alert), now)

    @staticmethod
    def raise_entries(alert: LiveAlert) -> list[dict[str, Any]]:
        """The entries that raise ``alert``: its record, and who was told."""
        return [
            {
                "kind": "alert",
                "party": SERVICE_PARTY,
                "event": "raised",
                "alert": alert_json(alert),
            },
            {
                "kind": "notification",
                "party": SERVICE_PARTY,
                "alert": alert.id,
                "to": list(alert.parties),
                "suspended": list(alert.suspended),
            },
        ]

    @staticmethod
    def change_entries(alert: LiveAlert, event: str) -> list[dict[str, Any]]:
        """The entries of a change of ``alert`` (``event``: ``updated``, ``answered``,
        ``resolved``, ``expired``, ``escalated``; an escalation also notifies again)."""
        entries: list[dict[str, Any]] = [
            {"kind": "alert", "party": SERVICE_PARTY, "event": event, "alert": state_json(alert)}
        ]
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
        return entries

    def answered(
        self,
        party: str,
        alert_id: str,
        response: Any,
        text: Any,
        now: float,
        officer: str | None = None,
        readback: Mapping[str, Any] | None = None,
    ) -> tuple[LiveAlert, list[dict[str, Any]]]:
        """``party``'s answer (given by ``officer``, ``None`` for the party's own token)
        to an alert involving it: the alert as answered and the entries to write (the
        answer, with its ``readback`` when given: ``understood`` and ``readback``; the
        state, when it is the last one awaited)."""
        response, text = check_response(response, text)
        alert = self.get(party, alert_id)
        if not alert.active:
            raise Conflict(f"alert {alert_id} is {alert.state}; it takes no more answers")
        updated = copy_of(alert)
        updated.answer(party, response, text, now, officer=officer, readback=readback)
        entry: dict[str, Any] = {"kind": "ack", "party": party, "alert": alert.id}
        entry["response"] = response
        entry["officer"] = officer
        if text:
            entry["text"] = text
        if readback:
            entry.update(readback)
        entries = [entry]
        if updated.state == "answered" and alert.state != "answered":
            entries.extend(self.change_entries(updated, "answered"))
        return updated, entries

    def remarked(self, party: str, suspended: Callable[[str], bool]) -> list[LiveAlert]:
        """The live alerts involving ``party`` whose suspended marks change, marked anew
        (in place: the marks are not logged, the channel's entry is)."""
        touched = []
        for alert in self.live():
            if party in alert.parties:
                marks = [p for p in alert.parties if suspended(p)]
                if marks != alert.suspended:
                    alert.suspended = marks
                    touched.append(alert)
        return touched

    def of_declaration(self, party: str, id: str) -> list[LiveAlert]:
        """The live alerts about ``party``'s declaration ``id``: its ``declaration``
        alerts, and those detection raised with a subject of that id (whoever they went
        to: a zone's owner need not be told of an entry into it; another party's object
        of the same id is among them, which costs only a check of its tracks)."""
        out = []
        for alert in self.live():
            if alert.kind == "declaration":
                if alert.details.get("declared_by") == party and tuple(alert.subjects) == (id,):
                    out.append(alert)
            elif id in alert.subjects:
                out.append(alert)
        return out

    # -- new alerts ----------------------------------------------------------------------

    @staticmethod
    def found_alert(
        f: Found, now: float, *, alert_id: str, deadline_s: float, suspended: Callable[[str], bool]
    ) -> LiveAlert:
        """A new alert for what detection found (addressed as the disclosure rule says)."""
        a = f.alert
        check_disclosure(a.parties, a)
        alert = LiveAlert(
            id=alert_id,
            key=f.key,
            kind=a.kind,
            parties=tuple(a.parties),
            subjects=f.subjects,
            awaiting=tuple(a.parties),
            raised_at=now,
            updated_at=now,
            t_s=float(a.t_s),
            lat_deg=float(a.lat_deg),
            lon_deg=float(a.lon_deg),
            deadline=now + deadline_s,
            details=f.details,
            geometry=dict(a.geometry) if a.geometry is not None else None,
            state="notified",
        )
        alert.suspended = [p for p in alert.parties if suspended(p)]
        return alert

    @staticmethod
    def refreshed(
        alert: LiveAlert, f: Found, now: float, suspended: Callable[[str], bool]
    ) -> LiveAlert:
        """A copy of ``alert`` with what detection found of it now."""
        updated = copy_of(alert)
        a = f.alert
        updated.updated_at = now
        updated.t_s = float(a.t_s)
        updated.lat_deg = float(a.lat_deg)
        updated.lon_deg = float(a.lon_deg)
        updated.details = f.details
        updated.geometry = dict(a.geometry) if a.geometry is not None else None
        updated.suspended = [p for p in updated.parties if suspended(p)]
        return updated

    def declaration_alert(
        self,
        party: str,
        d: Declared,
        now: float,
        *,
        others: list[str],
        alert_id: Callable[[], str],
        deadline_s: float,
        suspended: Callable[[str], bool],
        digest: Callable[[Mapping[str, Any]], str],
        action: str = "declared",
    ) -> LiveAlert | None:
        """The ``declaration`` alert of ``party``'s declaration ``d`` to the ``others``,
        or ``None`` if the same declaration's alert is live. ``action`` (in its details)
        says what the party did: ``declared`` a new id, ``amended`` one it held (a new
        version replaces it), or ``withdrawn`` it (each withdrawal its own alert)."""
        parties = tuple(sorted({party, *others}))
        version = digest(d.feature)[:12]
        if action == "withdrawn":
            version = f"withdrawn@{now:.6f}"
        key = alert_key("declaration", [f"{party}/{d.id}"], version=version)
        if key in self.active:
            return None
        return LiveAlert(
            id=alert_id(),
            key=key,
            kind="declaration",
            parties=parties,
            subjects=(d.id,),
            awaiting=tuple(sorted(others)),
            raised_at=now,
            updated_at=now,
            t_s=max(0.0, d.starts_s - now) if d.starts_s is not None else 0.0,
            lat_deg=d.lat_deg,
            lon_deg=d.lon_deg,
            deadline=now + deadline_s,
            details={
                "declared_by": party,
                "action": action,
                "feature_kind": d.feature_kind,
                "feature": d.feature,
                **({"short_notice": d.short_notice} if d.short_notice else {}),
            },
            geometry=d.feature.get("geometry"),
            state="notified",
            suspended=[p for p in parties if suspended(p)],
        )
