"""Which of the service's methods the bus serves, and how big answers travel.

:data:`READS` change nothing and may be sent again after a lost answer (``admit`` and
``principal_admitted`` spend one of a party's requests: sent again, they spend one more,
which errs on the line's side); :data:`WRITES`
may be sent again only with an Idempotency-Key (the service answers a repeat with the
first answer). Presence (``officer_connected``/``officer_left``) is neither: it is
counted, so it is never sent twice; each gateway also sends what it holds
(``officers_resync``) every :data:`~deconflict.cluster.remote.RESYNC_PRESENCE_S` and
when another recorder takes over, which puts right any call lost meanwhile. An answer
over the bus's message limit is cut into parts fetched one by one (:data:`PART`).
"""

from __future__ import annotations

__all__ = ["METHODS", "PART", "PRESENCE", "READS", "WRITES"]

READS = frozenset(
    {
        "principal",
        "principal_admitted",
        "admit",
        "authenticate",
        "tracks_of",
        "own_declarations",
        "zones",
        "alerts_for",
        "alert_for",
        "messages_for",
        "channel_state",
        "status",
        "inclusion",
        "consistency",
        "export_for",
        "head",
        "roster_for",
        "language_of",
        "clock_state",
    }
)
WRITES = frozenset(
    {
        "report_tracks",
        "declare",
        "withdraw",
        "consent",
        "answer",
        "send_message",
        "set_channel",
        "request_stop",
        "cosign",
        "push_roster",
    }
)
PRESENCE = frozenset({"officer_connected", "officer_left", "officers_resync"})
PART = "__part__"
"""The call that fetches part ``i`` of a cut answer ``id``."""
METHODS = READS | WRITES | PRESENCE
