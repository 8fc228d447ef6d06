"""The disclosure rule: what of one party's data may reach another (pure). Each kind's
audience is the registry's (:mod:`~deconflict.kinds`).

Every party is treated as an adversary of every other. An alert carries the data of the
parties whose assets it is about (a track's state at the alert, a declared plan or
site); :func:`audience` decides who receives it, and every alert, stream event and
export line of the service is delivered by that answer alone:

- party B receives party A's track state (one state, at the alert, never a history) only
  in an alert between that track and one of B's own assets (separation), or in a
  ``zone-entry`` alert of a zone B is named in that A has consented to (the zone is
  ``agreed`` and A is among its ``consents``);
- a zone A has not consented to warns A when A's track is about to enter it, and tells
  its owner and the other named parties nothing of A's track;
- an alert about plans or sites (``intent-overlap``, ``strike-proximity``) goes to the
  two parties whose declarations meet; ``border-crossing`` and ``non-conforming`` go to
  the track's party alone;
- every alert that discloses A's data is delivered to A too (:func:`check_disclosure`),
  so that A always knows what of its own was shown to whom.

Declarations themselves (zones, positions, plans, ground movements) are meant for every
other party: a ``declaration`` alert goes to all of them. So a ``zone-entry`` alert of a
movement's route through a zone goes to the movement's party and the zone's parties.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from .kinds import KINDS
from .model import Alert, Zone

__all__ = ["audience", "check_disclosure", "disclosed_by", "restrict"]


def _audience_of(kind: str) -> str:
    """The registry's audience of ``kind`` (``involved`` for a kind it does not know)."""
    entry = KINDS.get(kind)
    return entry.audience if entry is not None else "involved"


def disclosed_by(alert: Alert) -> frozenset[str]:
    """The parties whose data ``alert`` shows (who must receive it, too)."""
    if _audience_of(alert.kind) == "zone" and "movement_party" in alert.details:
        return frozenset({str(alert.details["movement_party"])})
    if _audience_of(alert.kind) == "zone":
        return frozenset({str(alert.details.get("track_party") or alert.parties[0])})
    entry = KINDS.get(alert.kind)
    if entry is not None and entry.discloses:
        return frozenset(str(alert.details[k]) for k in entry.discloses)
    return frozenset(alert.parties)


def audience(alert: Alert, zones: Mapping[str, Zone]) -> tuple[str, ...]:
    """Who may receive ``alert`` (sorted party names), by the rule of the module.

    ``zones`` maps zone id to the zone as it stands (its status and consents); a
    ``zone-entry`` alert of a zone not in it goes to the track's party alone.
    """
    audience_ = _audience_of(alert.kind)
    if audience_ == "zone" and "movement_party" in alert.details:
        return tuple(sorted(set(alert.parties)))  # a movement is declared to every party
    if audience_ == "zone":
        (track_party,) = disclosed_by(alert)
        zone = zones.get(str(alert.subjects[1]))
        if zone is not None and zone.status == "agreed" and track_party in zone.consents:
            return tuple(sorted({track_party, *zone.parties}))
        return (track_party,)
    if audience_ == "own":
        return tuple(sorted(disclosed_by(alert)))
    return tuple(sorted(set(alert.parties)))


def restrict(alert: Alert, zones: Mapping[str, Zone]) -> Alert:
    """``alert`` addressed to its :func:`audience` only (the same alert when it already is)."""
    parties = audience(alert, zones)
    if parties == alert.parties:
        return alert
    return replace(alert, parties=parties)


def check_disclosure(parties: Collection[str], alert: Alert) -> None:
    """Refuse to deliver ``alert`` to ``parties`` unless every party whose data it shows
    is among them (:class:`ValueError`: a fault of the service, never of its input)."""
    missing = sorted(disclosed_by(alert) - set(parties))
    if missing:
        raise ValueError(
            f"{alert.kind} alert {alert.key!r} shows data of {', '.join(missing)} "
            "without being delivered to them"
        )
