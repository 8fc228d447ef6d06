"""The record: the signed tree head, receipts of the party's answers, the log export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from servicekit import client
from web.screens import WebServer

HOSPITAL = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [40.16, 35.25]},
    "properties": {"id": "blue-hospital", "kind": "protected", "radius_m": 2000},
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deconflict.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_answer_gives_a_receipt_that_verifies_against_the_downloaded_log(
    screens: Any, server: WebServer, tokens: dict[str, str], tmp_path: Path
) -> None:
    red = screens("red")
    with client(server, tokens["blue"]) as blue:
        assert blue.post("/v1/positions", json=HOSPITAL).status_code == 200
    alert_id = red.wait_alert("declaration")
    red.wait_frame(lambda f: alert_id in f["alerts"])
    red.answer(alert_id, "roger")
    red.page.locator(
        f'#inbox-list li[data-id="{alert_id}"] .acks li[data-party="red"][data-response="roger"]'
    ).wait_for(timeout=5000)

    red.tab("record")
    item = red.page.locator(f'#receipts li[data-alert="{alert_id}"]')
    item.wait_for(timeout=5000)
    with red.page.expect_download() as saved:
        item.locator("button").click()
    receipt_path = tmp_path / "receipt.json"
    saved.value.save_as(receipt_path)
    receipt = json.loads(receipt_path.read_text())
    assert json.loads(receipt["leaf"])["kind"] == "ack"
    assert json.loads(receipt["leaf"])["party"] == "red"

    red.page.click("#head-refresh")
    with client(server, tokens["red"]) as c:
        head = c.get("/v1/log/head").json()
    red.page.wait_for_function(
        "n => document.querySelector('#head .tree-size')?.textContent === String(n)",
        arg=head["tree_size"],
    )
    assert head["root_hash"] in red.page.inner_text("#head")
    assert receipt["index"] < head["tree_size"]

    with red.page.expect_download() as saved:
        red.page.click("#export")
    export_path = tmp_path / "export.jsonl"
    saved.value.save_as(export_path)
    lines = export_path.read_text().splitlines()
    assert "sth" in json.loads(lines[-1])
    checked = _cli("verify-receipt", str(receipt_path), "--against", str(export_path))
    assert checked.returncode == 0, checked.stderr
    red.screenshot("record-red-ru.png")
