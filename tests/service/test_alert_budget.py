"""A party that floods the line with conflicts: each detection run makes at most the
budget of alert changes, a bystanders' conflict is raised in the first run all the same,
and every flooded conflict is raised in the runs that follow (none lost)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.ledger.log import PUBLIC_KEY_META, Log
from deconflict.ledger.signing import Signer, b64encode
from deconflict.service.clock import SimClock, iso, to_datetime
from deconflict.service.config import ServiceConfig
from deconflict.service.core import Service
from deconflict.store import open_database

T0 = 1_800_000_000.0
BUDGET = 50
SPOTS = [(35.0, 38.0), (35.3, 38.3), (35.6, 38.6)]


@contextmanager
def _service(tmp: Path) -> Iterator[tuple[Service, SimClock]]:
    clock = SimClock(T0)
    db = open_database(str(tmp / "service.db"), create=True)
    signer = Signer(Ed25519PrivateKey.generate())
    with db:
        db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
        config = ServiceConfig(rate_per_s=1e6, burst=1_000_000, max_alert_changes=BUDGET)
        yield Service(db, log, config=config, clock=clock), clock


def _state(tid: str, lat: float, lon: float, now: float, track_deg: float = 90.0) -> Any:
    return {"id": tid, "time": iso(now), "lat": lat, "lon": lon, "alt_m": 5000.0,
            "gs_mps": 200.0, "track_deg": track_deg, "vs_mps": 0.0}  # fmt: skip


def test_a_flood_is_raised_within_the_budget_and_a_bystander_first(tmp_path: Path) -> None:
    with _service(tmp_path) as (service, clock):
        for p in ("victim", "hostile", "third"):
            service.add_party(p)
        now = clock.now()
        service.report_tracks("victim", [_state(f"v{i}", *s, now) for i, s in enumerate(SPOTS)])
        service.step(full=True)

        def flood(now: float) -> None:
            hostile = [
                _state(f"h{j}", SPOTS[j % 3][0] + 1e-4 * (j // 3), SPOTS[j % 3][1], now)
                for j in range(300)
            ]
            service.report_tracks("hostile", hostile)

        flood(now)
        # far away, the victim and a third party on a head-on course
        service.report_tracks("victim", [_state("p1", -30.0, -60.0, now)])
        service.report_tracks("third", [_state("p2", -30.0, -59.95, now, 270.0)])
        first = service.step()
        assert len(first) == BUDGET
        assert any(a.kind == "separation" and "p2" in a.subjects for a in first)

        raised = {a.key for a in first}
        for k in range(1, 40):
            clock.set(T0 + k)
            flood(clock.now())
            new = {a.key for a in service.step()} - raised  # (the rest: closes, escalations)
            assert len(new) <= BUDGET
            raised |= new
        flooded = [a for a in service.book.live() if "hostile" in a.parties]
        assert len(flooded) == 300
        assert len(raised) == 301
