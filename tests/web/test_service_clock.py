"""The page counts times on the service's clock, which the stream's hello gives (its time
and rate), not on the browser's: a demo at 10x shows "in 4 min" as the service means it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from web.screens import WebServer

SCRIPT = """async () => {
  const { State } = await import('/static/js/state.js');
  const s = new State();
  const before = s.now() - Date.now();
  s.setClock({ now: '2017-06-18T16:00:00Z', rate: 10 });
  const t0 = s.now();
  await new Promise((r) => setTimeout(r, 400));
  const ran = s.now() - t0;
  s.setClock({ now: 'not a time', rate: 10 });
  const fallback = Math.abs(s.now() - Date.now());
  return { before, t0, ran, fallback };
}"""


def test_the_page_counts_on_the_clock_the_hello_gives(browser: Any, server: WebServer) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        got = page.evaluate(SCRIPT)
    finally:
        context.close()
    assert abs(got["before"]) < 1000  # no hello yet: the browser's clock
    assert abs(got["t0"] - 1497801600000) < 1000  # the service's time, 2017-06-18T16:00Z
    assert 3500 <= got["ran"] <= 8000  # 0.4 s of real time at 10x (a busy machine: more)
    assert got["fallback"] < 1000  # a clock it cannot read is not used


def test_the_hello_carries_the_service_clock(tmp_path: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from deconflict.api.app import create_app
    from deconflict.ledger.log import PUBLIC_KEY_META, Log
    from deconflict.ledger.signing import Signer, b64encode
    from deconflict.service.clock import SimClock, to_datetime
    from deconflict.service.core import Service
    from deconflict.store import open_database

    clock = SimClock(1_497_801_600.0)
    db = open_database(str(tmp_path / "s.db"), create=True)
    signer = Signer(Ed25519PrivateKey.generate())
    with db:
        db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
        service = Service(db, log, clock=clock)
        token = service.add_party("blue")
        with TestClient(create_app(service, run_detection=False)) as http:
            headers = {"Authorization": f"Bearer {token}"}
            with http.websocket_connect("/v1/stream", headers=headers) as ws:
                hello = ws.receive_json()
    assert hello["type"] == "hello"
    assert hello["clock"] == {"now": "2017-06-18T16:00:00.000Z", "rate": 0.0}
