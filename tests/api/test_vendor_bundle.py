"""The committed OpenLayers bundle (web/static/vendor/) is the one webapp/'s lockfile
names, carries the licences of what it bundles, runs under the page's CSP, and is served
by the service itself."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from deconflict.api.headers import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "deconflict" / "web" / "static" / "vendor"
LOCK = ROOT / "webapp" / "package-lock.json"


def _locked() -> dict[str, str]:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    return {
        path.removeprefix("node_modules/"): meta["version"]
        for path, meta in lock["packages"].items()
        if path.startswith("node_modules/") and "version" in meta
    }


def test_bundle_versions_are_the_lockfiles() -> None:
    versions = json.loads((VENDOR / "versions.json").read_text(encoding="utf-8"))
    locked = _locked()
    assert {"ol", "ol-pmtiles", "pmtiles"} <= set(versions)
    for name, version in versions.items():
        assert locked[name] == version, name
    # the bundle itself says which ol it is (ol/util.js VERSION)
    bundle = (VENDOR / "ol.js").read_text(encoding="utf-8")
    assert re.search(r'"' + re.escape(locked["ol"]) + r'"', bundle)


def test_licences_ship_beside_the_bundle() -> None:
    ol_licence = ROOT / "webapp" / "node_modules" / "ol" / "LICENSE.md"
    shipped = (VENDOR / "LICENSE-ol.md").read_text(encoding="utf-8")
    assert "BSD 2-Clause" in shipped or "Redistribution and use" in shipped
    if ol_licence.exists():
        assert shipped == ol_licence.read_text(encoding="utf-8")
    notices = (VENDOR / "LICENSES.txt").read_text(encoding="utf-8")
    for name in json.loads((VENDOR / "versions.json").read_text(encoding="utf-8")):
        assert f"\n{name} " in "\n" + notices, name


def test_bundle_needs_nothing_the_csp_forbids() -> None:
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    bundle = (VENDOR / "ol.js").read_text(encoding="utf-8")
    assert "new Function(" not in bundle
    assert not re.search(r"(?<![\w.$])eval\(", bundle)
    assert "new Worker(" not in bundle
    # no outside host is named as something to load
    assert not re.search(r"https?://[^\"'\s]*\.(?:js|css|pbf|png|pmtiles)\b", bundle)


def test_service_serves_the_bundle(make_app: Any) -> None:
    _, client = make_app()
    res = client.get("/static/vendor/ol.js")
    assert res.status_code == 200
    assert "javascript" in res.headers["content-type"]
    assert res.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert client.get("/static/vendor/ol.css").status_code == 200
