"""The interpreter settled for a live service: what start-up made is frozen, full
collections are rarer, the lock is handed over every millisecond."""

import gc
import sys

from deconflict.service import interpreter


def test_settle_freezes_what_exists_and_spaces_full_collections():
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    try:
        made = [[i] for i in range(1000)]  # objects the collector tracks
        frozen = interpreter.settle()
        assert frozen >= len(made) and gc.get_freeze_count() == frozen
        walked = {id(o) for o in gc.get_objects()}
        assert not any(id(o) in walked for o in made)  # no longer walked
        assert gc.get_threshold()[2] == interpreter.FULL_COLLECTION_EVERY
        assert sys.getswitchinterval() == interpreter.SWITCH_INTERVAL_S
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        sys.setswitchinterval(interval)
