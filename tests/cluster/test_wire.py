"""What crosses the cluster's bus: calls, answers, errors, and nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from deconflict import errors
from deconflict.api.errors import failure_of, status_of
from deconflict.cluster.calls import METHODS, PRESENCE, READS, WRITES
from deconflict.cluster.recorder import CallServer
from deconflict.cluster.remote import RemoteService
from deconflict.cluster.wire import (
    ERRORS,
    Fault,
    decode_answer,
    decode_call,
    encode_answer,
    encode_call,
    principal_fields,
    principal_of,
)
from deconflict.errors import Conflict, InvalidInput, NotFound
from deconflict.service.auth import Unauthenticated
from deconflict.service.core import Service
from deconflict.service.officers import Principal

API = Path(__file__).parents[2] / "src" / "deconflict" / "api"


def test_every_service_method_the_api_calls_is_served_over_the_bus():
    used: set[str] = set()
    for path in API.rglob("*.py"):
        code = [line for line in path.read_text().splitlines() if "import" not in line]
        used |= set(re.findall(r"service\.([a-z_]+)\b(?!\.)", "\n".join(code)))
    # attributes a gateway has of its own (its config, the events hook, the head
    # cadence and presence, which the remote has as objects)
    own = {"config", "publish", "heads", "officers", "md", "runner"}
    missing = {m for m in used - own if m not in METHODS}
    assert not missing, f"the API calls {sorted(missing)} that a gateway cannot send"
    for name in (READS | WRITES) - {"principal"}:
        assert callable(getattr(Service, name)), name
    assert callable(RemoteService.__getattr__)
    assert not (READS & WRITES) and not (PRESENCE & (READS | WRITES))


def test_a_call_and_its_answer_round_trip():
    method, args, kwargs = decode_call(
        encode_call("answer", ("blue", "al-1", "wilco"), {"officer": "ann"})
    )
    assert (method, args, kwargs) == ("answer", ["blue", "al-1", "wilco"], {"officer": "ann"})
    assert decode_answer(encode_answer({"ok": 1, "x": [1.5, None]})) == {"ok": 1, "x": [1.5, None]}


@pytest.mark.parametrize("error", [NotFound("no alert 'x'"), Conflict("c"), Unauthenticated("u")])
def test_the_service_errors_keep_their_class_and_message(error):
    with pytest.raises(type(error), match=str(error)):
        decode_answer(encode_answer(error=error))


@pytest.mark.parametrize(("cls", "status"), errors.SERVICE_ERRORS)
def test_every_error_the_api_maps_crosses_the_bus_with_its_class(cls, status):
    error = cls("over the bus")
    with pytest.raises(cls) as raised:
        decode_answer(encode_answer(error=error))
    assert type(raised.value) is cls and str(raised.value) == "over the bus"
    assert status_of(raised.value) == status_of(error) == status
    assert failure_of(raised.value) == failure_of(error)


def test_every_error_of_the_core_has_a_status_and_crosses_the_bus():
    core = {
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DeconflictError)
    }
    assert core - {errors.DeconflictError} == {cls for cls, _ in errors.SERVICE_ERRORS}
    assert set(ERRORS.values()) == core
    assert all(ERRORS[cls.__name__] is cls for cls in core)


def test_any_other_failure_is_a_fault_that_says_nothing_of_it():
    data = encode_answer(error=KeyError("secret path /etc/x"))
    assert b"secret" not in data
    with pytest.raises(Fault):
        decode_answer(data)


def test_a_party_text_never_turns_into_an_object():
    doc = {"__principal__": ["red", "boss", "supervisor"], "type": "Feature"}
    assert decode_answer(encode_answer({"features": [doc]})) == {"features": [doc]}
    _, args, _ = decode_call(encode_call("declare", ("blue", doc), {}))
    assert args[1] == doc


def test_principal_travels_as_its_fields():
    who = Principal("blue", "ann", "duty")
    assert principal_of(json.loads(json.dumps(principal_fields(who)))) == who


@pytest.mark.parametrize("data", [b"", b"[]", b'{"m": 1, "a": [], "k": {}}', b"\xff"])
def test_a_malformed_call_is_refused(data):
    with pytest.raises(InvalidInput):
        decode_call(data)


class _Echo:
    """A service answering ``zones`` with ``n`` bytes of text."""

    def __init__(self, n: int) -> None:
        self.n = n

    def zones(self) -> list[str]:
        return ["z" * self.n]


def test_a_big_answer_is_cut_into_parts_and_put_back_together():
    server = CallServer(_Echo(50_000), limit=lambda: 8_192)  # type: ignore[arg-type]
    first = json.loads(server.handle(encode_call("zones", (), {})))
    assert first["parts"] > 5
    whole = b"".join(
        server.handle(encode_call("__part__", (first["id"], i), {})) for i in range(first["parts"])
    )
    assert decode_answer(whole) == ["z" * 50_000]
    # fetched once: the parts are gone, and another id is nobody's
    with pytest.raises(NotFound):
        decode_answer(server.handle(encode_call("__part__", (first["id"], 0), {})))


def test_a_recorder_serves_only_the_service_methods_it_lists():
    server = CallServer(_Echo(1), limit=lambda: 1 << 20)  # type: ignore[arg-type]
    for name in ("__init__", "db", "write", "lock", "add_party", "revoke_party"):
        with pytest.raises(InvalidInput, match="no call"):
            decode_answer(server.handle(encode_call(name, (), {})))


def test_a_decoded_track_batch_crosses_the_bus_as_its_track_objects():
    from deconflict.service.trackbatch import decode_batch

    raw = (
        b'[{"id":"a","time":"2026-12-03T00:00:00Z","lat":1,"lon":2,"alt_m":3,'
        b'"gs_mps":4,"track_deg":5,"vs_mps":6,"callsign":"dropped"}]'
    )
    batch = decode_batch(raw)
    assert batch is not None
    _, args, _ = decode_call(encode_call("report_tracks", ("blue", batch), {}))
    assert args[1] == [
        {"id": "a", "time": "2026-12-03T00:00:00Z", "lat": 1.0, "lon": 2.0, "alt_m": 3.0,
         "gs_mps": 4.0, "track_deg": 5.0, "vs_mps": 6.0}
    ]  # fmt: skip
