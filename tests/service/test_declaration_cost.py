"""What one declaration costs the picture: its own parse, not every other one's again."""

from __future__ import annotations

from typing import Any

import pytest

from deconflict import features
from deconflict.service.config import ServiceConfig
from deconflict.service.picture import LivePicture


def _position(k: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [40.0 + k * 1e-3, 35.0]},
        "properties": {"id": f"p{k}", "party": "blue", "kind": "forces", "radius_m": 100},
    }


def test_a_new_declaration_parses_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    picture = LivePicture(ServiceConfig())
    for k in range(50):
        picture.set_feature("blue", f"p{k}", "position", _position(k), [], float(k))
    assert len(picture.records().positions) == 50
    parsed: list[str] = []
    real = features.parse_features

    def counting(doc: Any, source: str = "<input>") -> Any:
        parsed.append(source)
        return real(doc, source)

    monkeypatch.setattr(features, "parse_features", counting)
    picture.set_feature("blue", "p50", "position", _position(50), [], 50.0)
    fs = picture.records()
    assert [p.id for p in fs.positions] == [f"p{k}" for k in range(51)]  # declaration order
    assert parsed == ["blue/p50"]
    # a changed declaration is parsed again, alone, and keeps its place
    moved = _position(3)
    moved["properties"]["radius_m"] = 250
    picture.set_feature("blue", "p3", "position", moved, [], 3.0)
    fs = picture.records()
    assert parsed == ["blue/p50", "blue/p3"]
    assert fs.positions[3].radius_m == 250.0 and len(fs.positions) == 51
