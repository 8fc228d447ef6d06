"""An export with some entries given only as their leaf hash (what a party may not read)
still verifies; a changed hash or entry is named."""

from __future__ import annotations

import json

import pytest

from deconflict.errors import VerificationError
from deconflict.ledger.hashing import leaf_hash
from deconflict.ledger.log import Log
from deconflict.ledger.memory import MemoryLedgerStore
from deconflict.ledger.signing import Signer
from deconflict.ledger.verify import verify_export


def _export(hidden: set[int]) -> list[bytes]:
    log = Log(MemoryLedgerStore(), Signer.generate())
    log.append(
        [
            {"kind": "note", "party": p, "text": f"m{k}"}
            for k, p in enumerate(["blue", "red", "blue", "red", "green"])
        ]
    )
    out = []
    for line in log.export_lines():
        obj = json.loads(line)
        if "leaf" in obj and obj["index"] in hidden:
            obj = {"index": obj["index"], "leaf_hash": leaf_hash(obj["leaf"].encode()).hex()}
            line = json.dumps(obj)
        out.append(line.encode())
    return out


def test_withheld_entries_still_verify() -> None:
    assert verify_export(_export({1, 3})).tree_size == 5
    assert verify_export(_export({0, 1, 2, 3, 4})).tree_size == 5


@pytest.mark.parametrize("hidden", [{1}, {3, 4}])
def test_a_changed_leaf_hash_is_named(hidden: set[int]) -> None:
    lines = _export(hidden)
    k = min(hidden)
    obj = json.loads(lines[k])
    obj["leaf_hash"] = ("0" if obj["leaf_hash"][0] != "0" else "1") + obj["leaf_hash"][1:]
    lines[k] = json.dumps(obj).encode()
    with pytest.raises(VerificationError, match=f"entry {k + 1}|entry {k}"):
        verify_export(lines)


def test_a_visible_entry_after_a_withheld_one_is_checked() -> None:
    lines = _export({1})
    lines[2] = lines[2].replace(b"m2", b"m9")
    with pytest.raises(VerificationError, match="entry 2"):
        verify_export(lines)
