"""The hotline's channel: each party's participation (open, or suspended with a reason)
and the history of every suspension and resumption, visible to all.

The store keeps one body per party (:class:`ChannelStore`): its state and its own rows
of the history, each with the index of its ledger entry, so that the history read back
after a restart is the one written, in the ledger's order. A body written before the
history was kept there has its rows rebuilt from the ledger's ``channel`` entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..errors import Conflict, InvalidInput
from .clock import iso

__all__ = ["OPEN", "Channel", "ChannelStore"]

OPEN: dict[str, Any] = {"state": "open", "since": None, "reason": None}
"""The state of a party that has never suspended its participation."""
MAX_REASON = 2000
"""Longest reason, in characters."""


class ChannelStore(Protocol):
    """Where each party's channel body is kept (:class:`~deconflict.store.records.ServiceStore`)."""

    def set_channel(self, party: str, body: dict[str, Any]) -> None:
        """Keep ``party``'s body (inside the write's own transaction)."""
        ...

    def channel(self) -> dict[str, dict[str, Any]]:
        """Every party's body."""
        ...


def _row(party: str, action: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"party": party, "action": action, **state}


class Channel:
    """The channel's state and history over ``store`` (the service's lock guards it)."""

    def __init__(self, store: ChannelStore) -> None:
        self.store = store
        self.states: dict[str, dict[str, Any]] = {}
        self._rows: list[tuple[int, dict[str, Any]]] = []
        """The history as ``(ledger index, row)``, in the ledger's order."""

    @property
    def history(self) -> list[dict[str, Any]]:
        """Every suspension and resumption: ``{"party", "action", "state", "since",
        "reason"}``, oldest first."""
        return [row for _, row in self._rows]

    def load(self, entries: Callable[[], Iterable[tuple[int, bytes]]]) -> None:
        """Take the state and the history from the store; ``entries`` gives the ledger's
        ``(index, leaf)`` for the bodies kept without their history."""
        rows: list[tuple[int, dict[str, Any]]] = []
        legacy: set[str] = set()
        for party, body in self.store.channel().items():
            self.states[party] = _state(body)
            kept = body.get("history")
            if kept is None:
                legacy.add(party)
                continue
            for r in kept:
                state = _state(r)
                rows.append((int(r["index"]), _row(party, str(r["action"]), state)))
        if legacy:
            rows.extend(_from_ledger(entries(), legacy))
        rows.sort(key=lambda ir: ir[0])
        self._rows = rows

    def suspended(self, party: str) -> bool:
        return bool(self.states.get(party, OPEN)["state"] == "suspended")

    def view(self, parties: Iterable[str]) -> dict[str, Any]:
        """The channel as every party sees it, over the active ``parties``: open unless
        one of them has suspended its participation."""
        states = {p: self.states.get(p, dict(OPEN)) for p in parties}
        suspended = sorted(p for p, c in states.items() if c["state"] == "suspended")
        return {
            "state": "suspended" if suspended else "open",
            "suspended": suspended,
            "parties": states,
            "history": self.history,
        }

    def change(
        self, party: str, suspend: bool, reason: Any, now: float
    ) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """Validate ``party``'s suspension (with a reason) or resumption; returns its
        ledger entry, the action and the party's new state."""
        if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
            raise InvalidInput(f"reason: a string of at most {MAX_REASON} characters")
        if suspend and (not reason or not reason.strip()):
            raise InvalidInput("reason: say why the channel is suspended")
        current = self.states.get(party, OPEN)["state"]
        if suspend and current == "suspended":
            raise Conflict(f"party {party!r} has already suspended its participation")
        if not suspend and current != "suspended":
            raise Conflict(f"party {party!r} has not suspended its participation")
        action = "suspend" if suspend else "resume"
        since = iso(now)
        state = {"state": "suspended" if suspend else "open", "since": since, "reason": reason}
        entry = {"kind": "channel", "party": party, "action": action, "reason": reason}
        return {**entry, "time": since}, action, state

    def save(self, party: str, action: str, state: dict[str, Any], index: int) -> None:
        """Keep ``party``'s new state and its history with the row of ledger entry
        ``index`` (inside the transaction that appends it)."""
        mine = [{"index": i, **_bare(r)} for i, r in self._rows if r["party"] == party]
        mine.append({"index": index, "action": action, **state})
        self.store.set_channel(party, {**state, "history": mine})

    def apply(self, party: str, action: str, state: dict[str, Any], index: int) -> None:
        """Take the change in, once written."""
        self.states[party] = state
        self._rows.append((index, _row(party, action, state)))


def _state(body: dict[str, Any]) -> dict[str, Any]:
    """A party's state as kept: :data:`OPEN`'s keys, and the officer who set it
    (``None``: the party's own token, or kept before officers)."""
    return {**{k: body.get(k) for k in OPEN}, "officer": body.get("officer")}


def _bare(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "party"}


def _from_ledger(
    leaves: Iterable[tuple[int, bytes]], parties: set[str]
) -> list[tuple[int, dict[str, Any]]]:
    """The history rows of ``parties`` as the ledger's ``channel`` entries record them."""
    out = []
    for index, leaf in leaves:
        if b'"channel"' not in leaf:
            continue
        try:
            entry = json.loads(leaf)
        except ValueError:
            continue
        if entry.get("kind") != "channel" or entry.get("party") not in parties:
            continue
        action = str(entry.get("action"))
        state = {
            "state": "suspended" if action == "suspend" else "open",
            "since": entry.get("time"),
            "reason": entry.get("reason"),
        }
        state["officer"] = entry.get("officer")  # who did it (None before officers)
        out.append((index, _row(str(entry["party"]), action, state)))
    return out
