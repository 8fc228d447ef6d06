"""What the service holds survives a restart exactly: the channel's history (every
suspension and resumption, in order, with its action), the alerts and the messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def opened(path: Path, signer: Signer, clock: SimClock) -> Iterator[Service]:
    with open_database(str(path), create=True) as db:
        if db.ledger.get_meta(PUBLIC_KEY_META) is None:
            db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
        service = Service(db, log, clock=clock)
        try:
            yield service
        finally:
            service.store.close()


def test_the_channel_history_survives_a_restart_exactly(tmp_path: Path) -> None:
    clock = SimClock(1_700_000_000.0)
    signer = Signer(Ed25519PrivateKey.generate())
    path = tmp_path / "service.db"
    with opened(path, signer, clock) as service:
        for name in ("blue", "red", "green"):
            service.add_party(name)
        service.set_channel("blue", True, "radio check")
        clock.advance(5)
        service.set_channel("red", True, "shift change")
        clock.advance(5)
        service.set_channel("blue", False)
        clock.advance(5)
        service.set_channel("blue", True, "again")
        before = service.channel_state()
    assert [(r["party"], r["action"]) for r in before["history"]] == [
        ("blue", "suspend"),
        ("red", "suspend"),
        ("blue", "resume"),
        ("blue", "suspend"),
    ]
    with opened(path, signer, clock) as again:
        after = again.channel_state()
    assert after == before


def test_alerts_and_messages_survive_a_restart(tmp_path: Path) -> None:
    clock = SimClock(1_700_000_000.0)
    signer = Signer(Ed25519PrivateKey.generate())
    path = tmp_path / "service.db"
    with opened(path, signer, clock) as service:
        service.add_party("blue")
        service.add_party("red")
        service.declare("blue", SITE, expect="positions")
        (alert,) = service.alerts_for("red")
        clock.advance(3)
        service.answer("red", alert["id"], "standby", "looking")
        service.send_message("red", ["blue"], "seen")
        before = [service.alerts_for("red"), service.alerts_for("blue")]
        before.append(service.messages_for("blue"))
    with opened(path, signer, clock) as again:
        after = [again.alerts_for("red"), again.alerts_for("blue"), again.messages_for("blue")]
    assert after == before


def test_a_channel_kept_without_its_history_gets_it_back_from_the_ledger(tmp_path: Path) -> None:
    clock = SimClock(1_700_000_000.0)
    signer = Signer(Ed25519PrivateKey.generate())
    path = tmp_path / "service.db"
    with opened(path, signer, clock) as service:
        service.add_party("blue")
        service.add_party("red")
        service.set_channel("red", True, "maintenance")
        clock.advance(7)
        service.set_channel("red", False)
        clock.advance(7)
        service.set_channel("blue", True, "shift change")
        before = service.channel_state()
        for party, body in service.store.channel().items():  # as older versions kept it
            with service.db.write():
                service.store.set_channel(party, {k: body[k] for k in ("state", "since", "reason")})
    with opened(path, signer, clock) as again:
        assert again.channel_state() == before
