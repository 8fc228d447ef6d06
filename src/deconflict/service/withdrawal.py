"""Withdrawing a declaration: ``DELETE /v1/positions/{id}``, ``/v1/intents/{id}`` and
``/v1/zones/{id}``.

A party withdraws only its own: another party's id, an id of another endpoint's kinds and
an id nobody holds get the same :class:`NotFound`, so that a party cannot probe what
others hold. One transaction takes the declaration out of the store, appends a
``withdrawal`` entry (with the officer, ``None`` for the party's token), closes the
declaration's own live ``declaration`` alerts and raises a new one to every other party,
``"action": "withdrawn"`` in its details, to be answered like any declaration. Alerts
detection raised about it close on the next detection run, as they would once it expired.
The alert is :func:`declaration_alert`, the one a declaration raises too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import NotFound
from .declared import KINDS_BY_ENDPOINT, Declared
from .hotline import LiveAlert, alert_id
from .idempotency import digest
from .raising import RaisingService

__all__ = ["WITHDRAWAL_KIND", "declaration_alert", "withdraw"]

WITHDRAWAL_KIND = "withdrawal"
"""The ledger entry kind of a withdrawal (public, as declarations are)."""

_KINDS = {
    "positions": frozenset({"position"}),
    "intents": frozenset({"strike", "volume", "movement"}),
    "zones": frozenset({"zone"}),
}
"""The :attr:`~deconflict.service.declared.Declared.kind` each endpoint withdraws."""
assert set(_KINDS) == set(KINDS_BY_ENDPOINT)

Effect = Callable[[], None]


class Service(RaisingService, Protocol):
    """What a declaration alert and a withdrawal need of the service
    (:class:`~deconflict.service.core.Service`)."""

    changed: Any
    store: Any

    def active_parties(self) -> list[str]: ...

    def publish(self, party: str, event: dict[str, Any]) -> None: ...

    def _idempotent(
        self,
        party: str,
        key: str | None,
        request: Any,
        do: Callable[[], tuple[dict[str, Any], Effect | None]],
    ) -> dict[str, Any]: ...


def declaration_alert(
    svc: Service, party: str, d: Declared, now: float, *, others: list[str], action: str
) -> LiveAlert | None:
    """The ``declaration`` alert of ``party``'s ``d`` to the ``others`` (``action``:
    ``declared``, ``amended`` or ``withdrawn``), or ``None`` if the same one is live:
    :meth:`~.alertbook.AlertBook.declaration_alert` with the service's alert ids,
    deadline and channel."""
    return svc.book.declaration_alert(
        party,
        d,
        now,
        others=others,
        alert_id=lambda: alert_id(svc.entropy),
        deadline_s=svc.config.deadline_s("declaration", None),
        suspended=svc.channel.suspended,
        digest=digest,
        action=action,
    )


def withdraw(
    svc: Service,
    party: str,
    endpoint: str,
    decl_id: str,
    *,
    idempotency_key: str | None = None,
    officer: str | None = None,
) -> dict[str, Any]:
    """Withdraw ``party``'s declaration ``decl_id`` of ``endpoint`` (``positions``,
    ``intents`` or ``zones``); returns ``{"withdrawn": id, "alerts": [id], "receipt"}``.
    A retry with the same Idempotency-Key gets the first answer; a 404 is not kept (it
    is raised inside the transaction that would keep it)."""
    kinds = _KINDS[endpoint]

    def held() -> Any:
        d = svc.picture.declared.get((party, decl_id))
        if d is None or d.kind not in kinds:
            raise NotFound(f"no {endpoint[:-1]} {decl_id!r} of yours")
        return d

    def do() -> tuple[dict[str, Any], Effect | None]:
        with svc.lock:
            d = held()
            now = svc.clock.now()
            others = [p for p in svc.active_parties() if p != party]
            about = svc.book.of_declaration(party, decl_id)
            closed = []
            for a in about:
                if a.kind == "declaration":
                    c = svc.book.copy(a)
                    c.close(now)
                    closed.append(c)
            raised = declaration_alert(svc, party, d, now, others=others, action="withdrawn")
            entries: list[dict[str, Any]] = [
                {
                    "kind": WITHDRAWAL_KIND,
                    "party": party,
                    "officer": officer,
                    "id": decl_id,
                    "feature_kind": d.feature_kind,
                }
            ]
            for c in closed:
                entries.extend(svc.book.change_entries(c, c.state))
            if raised is not None:
                raised.details["officer"] = officer
                entries.extend(svc.book.raise_entries(raised))
            changed = [*closed, *([raised] if raised is not None else [])]

            def effect() -> None:
                svc.store.delete_feature(party, decl_id)
                for a in changed:
                    svc.book.save(a, now)

            (index, *_), signed = svc.write(entries, effect)
            tracks = [str(q) for a in about for q in a.details.get("tracks", ())]
            svc.picture.remove_feature(party, decl_id, tracks)
            for a in changed:
                svc.book.keep(a)
            svc.changed.set()
        response = {
            "withdrawn": decl_id,
            "alerts": [raised.id] if raised is not None else [],
            "receipt": svc.record.receipt(index, signed),
        }
        event = {"type": "withdrawn", "party": party, "id": decl_id, "kind": d.kind}

        def after() -> None:
            for a in changed:
                svc.push_alert(a)
            for p in {party, *svc.active_parties()}:
                svc.publish(p, event)

        return response, after

    request = {"withdraw": endpoint, "id": decl_id}
    return svc._idempotent(party, idempotency_key, request, do)
