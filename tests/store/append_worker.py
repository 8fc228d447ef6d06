"""Run in a separate process by the concurrency tests: open a database, append, report.

Lives in its own module so that ``multiprocessing`` (spawn) can import it in the child.
"""

from __future__ import annotations

from deconflict.ledger import Log
from deconflict.store import open_database


def append_entries(target: str, schema: str | None, party: str, count: int) -> list[int]:
    """Open ``target`` (its own connection), append ``count`` entries one at a time.

    Returns the indices the log gave them.
    """
    with open_database(target, schema=schema) as db:
        log = Log(db.ledger)
        return [
            log.append([{"kind": "note", "party": party, "n": i}])[0].index for i in range(count)
        ]
