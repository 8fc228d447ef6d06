"""The service takes its locks in one order — the service's lock, then the database's
write transaction — in every write path, an idempotent one included: a retried
declaration running beside an answer or a detection run cannot deadlock them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.ledger.log import PUBLIC_KEY_META, Log
from deconflict.ledger.signing import Signer, b64encode
from deconflict.service.clock import SimClock, to_datetime
from deconflict.service.core import Service
from deconflict.store import open_database

SITE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.1, 35.1]},
    "properties": {"id": "camp", "kind": "protected", "radius_m": 300},
}


def test_an_idempotent_declaration_waits_for_the_service_lock_before_the_database(
    tmp_path: Path,
) -> None:
    clock = SimClock(1_700_000_000.0)
    signer = Signer(Ed25519PrivateKey.generate())
    with open_database(str(tmp_path / "service.db"), create=True) as db:
        db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
        service = Service(db, log, clock=clock)
        service.add_party("blue")
        service.add_party("red")
        declared = threading.Event()
        written = threading.Event()
        in_write, go = threading.Event(), threading.Event()
        real_write = db.write

        @contextmanager
        def pausing_write() -> Iterator[Any]:
            # the declaring thread pauses once inside its transaction
            with real_write() as conn:
                if threading.current_thread().name == "declare" and not in_write.is_set():
                    in_write.set()
                    go.wait(1.0)
                yield conn

        db.write = pausing_write  # type: ignore[method-assign]

        def declare() -> None:
            service.declare("blue", SITE, expect="positions", idempotency_key="k-1")
            declared.set()

        def write() -> None:
            with real_write():
                pass
            written.set()

        threading.Thread(target=declare, name="declare", daemon=True).start()
        assert in_write.wait(10)
        with service.lock:  # as an answer or a detection run takes it
            go.set()
            threading.Thread(target=write, daemon=True).start()
            # what holds the service lock next takes the database: it must not wait
            assert written.wait(10), "the declaration held the database while waiting"
        assert declared.wait(10)
        again = service.declare("blue", SITE, expect="positions", idempotency_key="k-1")
        assert again["accepted"] == ["camp"]
