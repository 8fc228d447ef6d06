"""A party's own processes given both gateways (``G0,G1``) go on through the other when
one is killed (kill -9): the feed's reports each arrive exactly once (also when the
active recorder is killed and the gateways answer 503 ``unavailable`` for a moment), the
witness keeps cosigning later heads, the CoT link keeps following the party's picture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from cluster.conftest import Cluster
from cot.takkit import StandInTak
from deconflict.ledger.signing import b64encode
from deconflict.store.keys import load_signer
from servicekit import track

EXCERPT = Path(__file__).parents[1] / "data" / "adsb" / "switzerland_1345.csv.gz"


def start(args: list[str], token: str, out: Path) -> subprocess.Popen[bytes]:
    with open(out, "wb") as f:
        return subprocess.Popen(
            [sys.executable, "-m", "deconflict.cli", *args],
            stdout=f,
            stderr=subprocess.STDOUT,
            env={**os.environ, "DECONFLICT_TOKEN": token},
        )


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.terminate()
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def wait_until(check: Any, timeout: float = 60.0, what: str = "", out: Path | None = None) -> Any:
    """``check()`` once it is true; fails after ``timeout`` s naming ``what`` (with the
    end of the process output ``out``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    said = "" if out is None else ": " + out.read_text(errors="replace")[-3000:]
    raise AssertionError(f"timed out: {what}{said}")


def json_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def cosigned_via(out: Path, url: str) -> bool:
    """Whether the witness printed a round that cosigned a head through ``url``."""
    return any(
        " cosigned" in line and line.endswith(f"| service {url}")
        for line in out.read_text(errors="replace").splitlines()
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tracks_entries(url: str, token: str, party: str) -> list[dict[str, Any]]:
    """The ``tracks`` entries of ``party`` in its export from ``url``."""
    r = httpx.get(url + "/v1/log/export", headers=auth(token), timeout=60)
    assert r.status_code == 200, r.text
    entries = []
    for line in r.content.splitlines():
        doc = json.loads(line)
        if "leaf" not in doc:
            continue
        entry = json.loads(doc["leaf"])
        if entry.get("kind") == "tracks" and entry.get("party") == party:
            entries.append(entry)
    return entries


def replay_through_both(
    cluster: Cluster, tmp_path: Path, fault: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``deconflict feed`` replays the excerpt through ``G0,G1``; ``fault()`` is done
    once 4 batches went through G0. Checks that every report the feed counted is in
    blue's log exactly once; returns its stats before the fault and at the end."""
    g0, g1 = (g.url for g in cluster.gateways)
    blue = cluster.tokens["blue"]
    out = tmp_path / "feed.out"
    args = ["feed", str(EXCERPT), "--service", f"{g0},{g1}", "--speed", "30", "--json"]
    feed = start([*args, "--stats-every", "0.5", "--batch-interval", "0.5"], blue, out)
    try:
        wait_until(lambda: any(s["posts"] >= 4 for s in json_lines(out)), 60, "posts", out)
        before = json_lines(out)[-1]
        assert before["service_url"] == g0 and before["failovers"] == 0
        fault()
        assert feed.wait(120) == 0, out.read_text()[-3000:]
    finally:
        if feed.poll() is None:
            stop(feed)
    stats = json_lines(out)[-1]
    assert stats["unsent"] == 0 and stats["rejected"] == 0, stats
    assert stats["posts"] > before["posts"], "nothing was posted after the fault"
    entries = tracks_entries(g1, blue, "blue")
    reports = [(t["id"], t["time"]) for e in entries for t in e["tracks"]]
    twice = {k: n for k, n in Counter(reports).items() if n > 1}
    assert not twice, f"reported more than once: {list(twice)[:5]}"
    # every accepted post is one entry, every track it carried one report: nothing lost
    assert len(entries) == stats["posts"], (len(entries), stats)
    assert len(reports) == stats["tracks_sent"], (len(reports), stats)
    return before, stats


def test_the_feed_goes_on_through_the_other_gateway_and_reports_each_state_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    _, stats = replay_through_both(cluster, tmp_path, cluster.gateways[0].kill)
    assert stats["failovers"] >= 1 and stats["service_url"] == cluster.gateways[1].url, stats


def test_the_feed_rides_out_the_recorder_changing_over_and_reports_each_state_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    active = cluster.active_recorder()
    _, stats = replay_through_both(cluster, tmp_path, active.kill)
    standby = next(r for r in cluster.recorders if r is not active)
    standby.wait_log("recorder: active", timeout=30)
    # a keyed post is held by its gateway until the standby answers (or answered 503
    # ``unavailable`` and sent again by the feed): either way applied once, above
    assert stats["service"] == "up", stats


def test_the_witness_keeps_cosigning_through_the_other_gateway(
    cluster: Cluster, tmp_path: Path
) -> None:
    g0, g1 = (g.url for g in cluster.gateways)
    blue = cluster.tokens["blue"]

    def report(n: int) -> None:
        r = httpx.post(g1 + "/v1/tracks", json=[track(f"w{n}", 10.0, 20.0 + n / 100, 90.0)],
                       headers=auth(blue), timeout=30)  # fmt: skip
        assert r.status_code == 200, r.text

    report(0)
    key = httpx.get(g1 + "/v1/log/head", headers=auth(blue), timeout=30).json()["public_key"]
    state = tmp_path / "witness"
    out = tmp_path / "witness.out"
    witness = start(
        ["witness", f"{g0},{g1}", "--state", str(state), "--public-key", key, "--interval", "0.3"],
        blue,
        out,
    )
    try:
        wait_until(lambda: cosigned_via(out, g0), 60, "a head cosigned through g0")
        mine = b64encode(load_signer(state / "witness.key").public_key)
        cluster.gateways[0].kill()
        report(1)
        before = httpx.get(g1 + "/v1/log/head", headers=auth(blue), timeout=30).json()

        def cosigned_later() -> bool:
            head = httpx.get(g1 + "/v1/log/head", headers=auth(blue), timeout=30).json()
            latest = head.get("cosigned") or {}
            by = {c.get("public_key") for c in latest.get("cosignatures") or ()}
            return latest.get("tree_size", 0) >= before["tree_size"] and mine in by

        wait_until(cosigned_later, 60, "the witness's cosignature on the head after the kill")
        assert witness.poll() is None, out.read_text()[-3000:]
    finally:
        rc = stop(witness)
    text = out.read_text()
    assert rc == 0, text[-3000:]
    assert cosigned_via(out, g1), text[-3000:]
    assert "inconsistent" not in text and "refused head" not in text
    kept = json.loads((state / "state.json").read_text())
    assert kept["service"] == g1


def test_the_cot_link_follows_the_picture_through_the_other_gateway(
    cluster: Cluster, tmp_path: Path
) -> None:
    g0, g1 = (g.url for g in cluster.gateways)
    blue = cluster.tokens["blue"]

    def report(name: str) -> None:
        r = httpx.post(g1 + "/v1/tracks", json=[track(name, 35.2, 40.2, 45.0)],
                       headers=auth(blue), timeout=30)  # fmt: skip
        assert r.status_code == 200, r.text

    report("b1")
    out = tmp_path / "cot.out"
    with StandInTak("udp") as tak:
        args = ["cot", f"{g0},{g1}", "--to", tak.url(), "--poll", "0.3", "--json"]
        link = start([*args, "--stats-every", "0.5"], blue, out)
        try:
            wait_until(lambda: "b1" in {e.uid for e in tak.events()}, 60, "b1 on the device")
            wait_until(lambda: json_lines(out), 30, "a stats line", out)
            assert json_lines(out)[-1]["service_url"] == g0
            cluster.gateways[0].kill()
            report("b2")
            wait_until(lambda: "b2" in {e.uid for e in tak.events()}, 60, "b2 on the device", out)
            wait_until(lambda: json_lines(out)[-1]["stream_connects"] >= 2, 60, "the stream", out)
        finally:
            assert stop(link) == 0, out.read_text()[-3000:]
    stats = json_lines(out)[-1]
    assert stats["service_url"] == g1 and stats["failovers"] >= 1, stats
    assert stats["service"] == "up", stats
