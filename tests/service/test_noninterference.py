"""Noninterference: what two other parties report cannot change what a third one sees.

Two runs of the same service differ only in what ``blue`` and ``red`` report (their
tracks, inside every zone of the area, and their messages to each other), none of which
conflicts with ``carol``'s own assets or enters a zone ``carol`` is named in that they
have consented to. ``carol`` owns a zone naming only itself (agreed at once: the
"watch" attack), a claimed zone naming both others (the "relay" attack), and flies far
away. Every API response ``carol`` gets, every event published to its stream and every
export line it may read must be the same in both runs, byte for byte, once what is
random or counts the whole log is set aside: the service's random ids (replaced by a
name made from what the object is), salts, and the tree's size, root, indices,
signatures and receipts. Times are equal: both runs share a simulated clock.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from deconflict.api.app import create_app
from deconflict.ledger.log import PUBLIC_KEY_META, Log
from deconflict.ledger.signing import Signer, b64encode
from deconflict.service.clock import SimClock, iso, to_datetime
from deconflict.service.config import ServiceConfig
from deconflict.service.core import Service
from deconflict.store import open_database

T0 = 1_700_000_000.0
STEPS = 3
STEP_S = 5.0

IGNORED = {
    "receipt",
    "salt",
    "index",
    "tree_size",
    "root_hash",
    "timestamp",
    "signature",
    "sth",
    "cosignatures",
    "cosigned",
    "proof",
    "prev_hash",
}
"""What is random or counts the whole log (every other key is compared)."""


def _circle(id: str, parties: list[str], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.0, 35.0]},
        "properties": {
            "id": id,
            "name": id,
            "status": "claimed",
            "parties": parties,
            "radius_m": 50_000,
            "rules": [{"party": "*", "action": "forbid"}],
            **props,
        },
    }


report = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["t1", "t2", "t3"]),
        "lat": st.floats(34.75, 35.25),
        "lon": st.floats(39.7, 40.3),
        "alt_m": st.floats(0.0, 15_000.0),
        "gs_mps": st.floats(0.0, 400.0),
        "track_deg": st.floats(0.0, 359.9),
        "vs_mps": st.floats(-20.0, 20.0),
    }
)
step_input = st.fixed_dictionaries(
    {
        "blue": st.lists(report, max_size=3, unique_by=lambda r: r["id"]),
        "red": st.lists(report, max_size=3, unique_by=lambda r: r["id"]),
        "message": st.one_of(st.none(), st.text("abcdefgh ", min_size=1, max_size=20)),
    }
)
others_input = st.lists(step_input, min_size=STEPS, max_size=STEPS)


@contextmanager
def _service(tmp: Path) -> Iterator[tuple[Service, TestClient, SimClock, list[Any]]]:
    clock = SimClock(T0)
    db = open_database(str(tmp / "service.db"), create=True)
    signer = Signer(Ed25519PrivateKey.from_private_bytes(bytes(32)))  # one key for both runs
    events: list[Any] = []
    with db:
        db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        log = Log(db.ledger, signer, clock=lambda: to_datetime(clock.now()))
        config = ServiceConfig(rate_per_s=1e6, burst=1_000_000)
        service = Service(db, log, config=config, clock=clock)
        app = create_app(service, run_detection=False)
        inner = service.publish

        def publish(party: str, event: dict[str, Any]) -> None:
            if party == "carol":
                events.append(json.loads(json.dumps(event)))
            inner(party, event)

        service.publish = publish
        with TestClient(app) as http:
            yield service, http, clock, events


def _run(tmp: Path, others: list[dict[str, Any]]) -> tuple[list[Any], int]:
    """Carol's whole view of one run, and how many zone entries blue was warned of."""
    with _service(tmp) as (service, http, clock, events):
        tokens = {p: service.add_party(p) for p in ("blue", "red", "carol")}

        def call(party: str, method: str, path: str, body: Any = None) -> Any:
            r = http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {tokens[party]}"}
            )
            assert r.status_code < 500, r.text
            return r

        call("carol", "POST", "/v1/zones", _circle("c-watch", ["carol"]))
        call("carol", "POST", "/v1/zones", _circle("c-relay", ["blue", "carol", "red"]))
        call("red", "POST", "/v1/zones", _circle("r-shared", ["blue", "red"]))
        call("blue", "POST", "/v1/zones/r-shared/consent")
        site = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [20.0, 20.0]},
            "properties": {"id": "c-camp", "kind": "protected", "radius_m": 500},
        }
        call("carol", "POST", "/v1/positions", site)

        view: list[Any] = []
        for k, step in enumerate(others):
            clock.set(T0 + STEP_S * (k + 1))
            now = iso(clock.now())
            for party in ("blue", "red"):
                if step[party]:
                    call(party, "POST", "/v1/tracks", [{**r, "time": now} for r in step[party]])
            if step["message"] is not None:
                call("blue", "POST", "/v1/messages", {"to": ["red"], "text": step["message"]})
            mine = [
                {
                    "id": "c1",
                    "time": now,
                    "lat": 20.0 + 0.01 * k,
                    "lon": 22.0,
                    "alt_m": 3000.0,
                    "gs_mps": 100.0,
                    "track_deg": 0.0,
                    "vs_mps": 0.0,
                }
            ]
            view.append(call("carol", "POST", "/v1/tracks", mine).json())
            service.step()
            alerts = call("carol", "GET", "/v1/alerts").json()["alerts"]
            if k == 1 and alerts:
                first = sorted(alerts, key=lambda a: (a["kind"], a["subjects"]))[0]
                ack = call("carol", "POST", f"/v1/alerts/{first['id']}/ack", {"response": "roger"})
                view.append(ack.json())
            for path in (
                "/v1/alerts",
                "/v1/tracks",
                "/v1/zones",
                "/v1/positions",
                "/v1/intents",
                "/v1/messages",
                "/v1/channel",
                "/v1/status",
                "/v1/log/head",
            ):
                view.append([path, call("carol", "GET", path).json()])
            # in an order of their own (the API breaks ties by id, and ids are random)
            for a in sorted(alerts, key=lambda a: (a["kind"], a["subjects"], a["raised_at"])):
                view.append(call("carol", "GET", f"/v1/alerts/{a['id']}").json())
            lines = [
                json.loads(x) for x in call("carol", "GET", "/v1/log/export").text.splitlines()
            ]
            view.append([json.loads(x["leaf"]) for x in lines if "leaf" in x])
        view.append(events)
        warned = sum(
            1
            for a in call("blue", "GET", "/v1/alerts").json()["alerts"]
            if a["kind"] == "zone-entry" and "c-watch" in a["subjects"]
        )
    return view, warned


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in IGNORED}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _names(obj: Any, out: dict[str, str]) -> None:
    """Random ids -> a name made of what they identify (alerts: kind, subjects and time
    raised; messages: sender, text and time)."""
    if isinstance(obj, dict):
        if isinstance(obj.get("id"), str) and "acks" in obj and "kind" in obj:
            out.setdefault(obj["id"], f"<{obj['kind']}|{obj['subjects']}|{obj['raised_at']}>")
        if isinstance(obj.get("id"), str) and "from" in obj and "text" in obj:
            out.setdefault(obj["id"], f"<msg|{obj['from']}|{obj['text']}|{obj['at']}>")
        for v in obj.values():
            _names(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _names(v, out)


def _canonical(view: list[Any]) -> str:
    stripped = _strip(view)
    names: dict[str, str] = {}
    _names(stripped, names)
    text = json.dumps(stripped, sort_keys=True, ensure_ascii=False)
    if names:
        pattern = re.compile("|".join(re.escape(i) for i in sorted(names, key=len, reverse=True)))
        text = pattern.sub(lambda m: names[m.group(0)], text)
    return json.dumps(_sorted(json.loads(text)), sort_keys=True, ensure_ascii=False, indent=1)


def _sorted(obj: Any) -> Any:
    """Lists of identified objects in a canonical order (the API breaks ties by id)."""
    if isinstance(obj, dict):
        return {k: _sorted(v) for k, v in obj.items()}
    if isinstance(obj, list):
        items = [_sorted(v) for v in obj]
        if items and all(isinstance(v, dict) and "id" in v for v in items):
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return obj


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure is printed whole
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(first=others_input, second=others_input)
def test_other_parties_reports_do_not_change_a_third_partys_view(
    tmp_path_factory: Any, first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    view_1, warned_1 = _run(tmp_path_factory.mktemp("run"), first)
    view_2, _ = _run(tmp_path_factory.mktemp("run"), second)
    # the watch zone is really flown into: its owner's rule warns blue
    if any(step["blue"] for step in first):
        assert warned_1 > 0
    one, two = _canonical(view_1), _canonical(view_2)
    if one != two:
        diff = difflib.unified_diff(one.splitlines(), two.splitlines(), lineterm="", n=6)
        raise AssertionError("carol's views differ:\n" + "\n".join(list(diff)[:200]))
