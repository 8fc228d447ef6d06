"""The interpreter set for a live service: the lock handed over often, and what start-up
built kept out of the garbage collector's way.

Request handlers, the commit thread and the detection thread share one interpreter lock:
handed over every millisecond (not 5) no thread waits long for it. Start-up loads
hundreds of thousands of objects that live as long as the process (the compiled
detectors, the web framework, the loaded picture); a full collection walks every one of
them, which at 10,000 track updates/s stalled every thread for 80–140 ms every few
seconds. Frozen once start-up is done, they are never walked again, and a full collection
walks only what the service made since (the live picture and alerts), and runs more
rarely (:data:`FULL_COLLECTION_EVERY`).
"""

from __future__ import annotations

import gc
import sys

__all__ = ["settle"]

SWITCH_INTERVAL_S = 0.001
"""How long a thread may hold the interpreter lock before handing it over (seconds)."""

FULL_COLLECTION_EVERY = 100
"""Full collections wait for this many collections of the middle generation (Python's
default: 10). Each still walks every object made since start-up (about 20 ms at 10,000
live tracks), ten times more rarely; the service makes few reference cycles."""


def settle() -> int:
    """Set the lock's switch interval and freeze what exists now (call when start-up is
    done; again after a later load, such as a recorder's takeover). Returns how many
    objects are frozen in all."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
