"""``/v1/meta`` names the bounds the service holds a declaration's numbers to, so that
the page's declaring form refuses what the service would, before sending it."""

from __future__ import annotations

from typing import Any

from deconflict.bounds import DECLARATION_BOUNDS, MAX_ID_CHARS, MOVEMENT_BOUNDS


def test_meta_carries_the_declaration_bounds(make_app: Any) -> None:
    _, http = make_app()
    bounds = http.get("/v1/meta").json()["bounds"]
    assert bounds["declarations"]["radius_m"] == [0.0, 2_500_000.0]
    assert bounds["movement"]["width_m"] == [1.0, 50_000.0]
    assert set(bounds["declarations"]) == set(DECLARATION_BOUNDS)
    assert set(bounds["movement"]) == set(MOVEMENT_BOUNDS)
    assert bounds["max_id_chars"] == MAX_ID_CHARS


def test_the_service_refuses_just_past_the_bound_meta_names(make_app: Any) -> None:
    service, http = make_app()
    auth = {"Authorization": f"Bearer {service.add_party('blue')}"}
    hi = http.get("/v1/meta").json()["bounds"]["declarations"]["radius_m"][1]

    def site(radius: float) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [38.0, 35.0]},
            "properties": {"id": "camp", "kind": "forces", "radius_m": radius},
        }

    assert http.post("/v1/positions", json=site(hi), headers=auth).status_code == 200
    refused = http.post("/v1/positions", json=site(hi * 1.001), headers=auth)
    assert refused.status_code == 400
    assert "radius_m" in refused.text
