"""Stop requests: a party asks the owner of a track, strike or movement to stop it now
(``POST /v1/stop``), raised as a ``stop-request`` alert to both.

The requester may name only a subject it was already shown: one of an alert it is part
of, or another party's strike or movement declared to it; any other id gets the same
:class:`NotFound` as an id that does not exist, so that ids cannot be probed. The owner
learns who asked; the requester learns nothing of the subject it did not see. One open
stop request per (requester, subject): while the owner still owes it an answer, a repeat
gets the same alert.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..errors import Conflict, InvalidInput, NotFound
from ..kinds import KINDS
from ..model import alert_key
from .hotline import LiveAlert, alert_id
from .raising import RaisingService


class Service(RaisingService, Protocol):
    """What a stop request needs of the service (:class:`~deconflict.service.core.Service`)."""

    def alert_view(self, alert: LiveAlert, party: str) -> dict[str, Any]: ...


__all__ = ["MAX_TEXT", "STOP_KIND", "request_stop"]

STOP_KIND = "stop-request"
MAX_TEXT = 2000
"""Longest stop request text, characters."""
_MAX_ID = 200
_STOPPABLE = frozenset({"strike", "movement"})
"""Kinds of declaration a stop request may name (with tracks)."""
_ROLES = frozenset({"track", "strike", "movement"})
"""Roles of an alert's subjects a stop request may name."""


def _check(subject: Any, text: Any) -> tuple[str, str | None]:
    if not isinstance(subject, str) or not subject or len(subject) > _MAX_ID:
        raise InvalidInput(
            f"subject: must be a track, strike or movement id of 1 to {_MAX_ID} characters"
        )
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        raise InvalidInput(f"text: must be a string of at most {MAX_TEXT} characters")
    return subject, text or None


def _stoppable_role(alert: LiveAlert, subject: str) -> bool:
    """Whether ``subject`` is, in ``alert``, a track, strike or movement (by the role the
    registry gives each subject of its kind), not a zone or a site of the same id."""
    entry = KINDS.get(alert.kind)
    roles = entry.subjects if entry is not None else ()
    at = alert.subjects.index(subject)
    return at < len(roles) and roles[at] in _ROLES


def _owner(svc: Service, party: str, subject: str, owner: str | None) -> tuple[str, float, float]:
    """The party that owns ``subject`` as ``party`` was shown it, and the place it was
    shown at (degrees: the alert's, or the declaration's).

    Ids are each party's own, so two parties may hold the same one (a party may even
    declare a strike under another's id to catch its stop requests): when ``subject``
    names objects of more than one party the request must say which (``owner``), else
    :class:`Conflict` naming them (each was shown to ``party`` already). Nothing to stop:
    :class:`NotFound`."""
    picture = svc.picture
    found: dict[str, tuple[float, float]] = {}
    for alert in svc.book.of(party):
        if subject not in alert.subjects or not _stoppable_role(alert, subject):
            continue
        for p in alert.parties:
            if p == party or p in found:
                continue
            d = picture.declared.get((p, subject))
            held = not picture.unheld(p, [subject])  # p holds a live track of that id
            if held or (d is not None and d.feature_kind in _STOPPABLE):
                found[p] = (alert.lat_deg, alert.lon_deg)
    for (p, did), d in picture.declared.items():  # each (party, id) once: no order needed
        if did == subject and p != party and p not in found and d.feature_kind in _STOPPABLE:
            found[p] = (d.lat_deg, d.lon_deg)  # a declaration is declared to every party
    if owner is not None:
        found = {p: at for p, at in found.items() if p == owner}
    if not found:
        raise NotFound(f"no track, strike or movement {subject!r}")
    if len(found) > 1:
        raise Conflict(
            f"subject: {subject!r} names objects of {', '.join(sorted(found))}; "
            "say whose with 'owner'"
        )
    ((p, (lat, lon)),) = found.items()
    return p, lat, lon


def _open(svc: Service, party: str, owner: str, subject: str) -> LiveAlert | None:
    for alert in svc.book.live():
        d = alert.details
        if (
            alert.kind == STOP_KIND
            and d.get("requester") == party
            and d.get("owner") == owner
            and alert.subjects == (subject,)
            and owner in alert.unanswered()
        ):
            return alert
    return None


def request_stop(
    svc: Service,
    party: str,
    subject: Any,
    text: Any = None,
    officer: str | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """``party`` asks the owner of ``subject`` (``owner``, needed only when several
    parties hold that id) to stop it: ``{"alert", "receipt"?, "repeat"}`` (the alert as
    ``party`` sees it; ``repeat`` when it was already open)."""
    subject, text = _check(subject, text)
    kind = KINDS[STOP_KIND]
    with svc.lock:
        owner, lat, lon = _owner(svc, party, subject, owner)
        existing = _open(svc, party, owner, subject)
        if existing is not None:
            return {"alert": svc.alert_view(existing, party), "repeat": True}
        now = svc.clock.now()
        parties = tuple(sorted({party, owner}))
        alert = LiveAlert(
            id=alert_id(svc.entropy),
            key=alert_key(STOP_KIND, [party, f"{owner}/{subject}"], version=f"{now:.6f}"),
            kind=STOP_KIND,
            parties=parties,
            subjects=(subject,),
            awaiting=(owner,),
            raised_at=now,
            updated_at=now,
            t_s=0.0,
            lat_deg=lat,
            lon_deg=lon,
            deadline=now + min(60.0, svc.config.deadline_s(STOP_KIND, None), kind.deadline_s),
            details={
                "requester": party,
                "owner": owner,
                "officer": officer,
                **({"text": text} if text else {}),
            },
            state="notified",
            suspended=[p for p in parties if svc.channel.suspended(p)],
        )
        (index, *_), signed = svc.write(
            svc.book.raise_entries(alert), lambda: svc.book.save(alert, now)
        )
        svc.book.keep(alert)
    svc.push_alert(alert)
    return {
        "alert": svc.alert_view(alert, party),
        "receipt": svc.record.receipt(index, signed),
        "repeat": False,
    }
