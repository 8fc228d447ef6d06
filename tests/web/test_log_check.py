"""The page checks the log as a witness does: it shows how many parties cosigned the head,
verifies every head it receives (Ed25519 signature, RFC 9162 consistency with the last
head it saw, in the browser with WebCrypto), and a head that is not consistent with the
one it saw raises a warning that stays."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from deconflict.ledger.log import Log
from deconflict.ledger.memory import MemoryLedgerStore
from deconflict.ledger.signing import Signer, TreeHead, b64encode
from deconflict.store.keys import load_signer
from servicekit import StoreTarget, client
from web.screens import WebServer


def _cosign(server: WebServer, token: str, signer: Signer) -> None:
    with client(server, token) as c:
        sth = c.get("/v1/log/head").json()["sth"]
        body = {
            "sth": sth,
            "public_key": b64encode(signer.public_key),
            "signature": b64encode(signer.sign(sth.encode())),
        }
        r = c.post("/v1/log/cosign", json=body)
        assert r.status_code == 200, r.text


def test_the_record_shows_how_many_parties_cosigned_the_head(
    screens: Any, server: WebServer, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    keys = {p: Signer.generate() for p in ("blue", "red")}
    # a first cosignature puts the party's key on the record (a new entry, a new head):
    # each party's witness then cosigns that head too
    for _ in range(2):
        for p in ("blue", "red"):
            _cosign(server, tokens[p], keys[p])
    blue.tab("record")
    blue.page.click("#head-refresh")
    cosigned = blue.page.locator('#head dd.cosigned[data-n="2"][data-m="3"]')
    cosigned.wait_for(timeout=10000)
    assert cosigned.inner_text() == "by 2 of 3 parties"
    check = blue.page.locator('#head dd.check[data-status="ok"]')
    check.wait_for(timeout=10000)
    assert "consistent with every head seen since" in check.inner_text()
    assert blue.page.locator("#log-warning").is_hidden()
    assert not blue.errors, blue.errors


def test_a_forged_head_raises_a_warning_that_stays(
    screens: Any, server: WebServer, store: StoreTarget, tokens: dict[str, str]
) -> None:
    blue = screens("blue")
    blue.tab("record")
    blue.page.locator('#head dd.check[data-status="ok"]').wait_for(timeout=10000)
    seen = blue.page.inner_text("#head .tree-size")
    (key_file,) = store.key_dir.glob("*.key")
    operator = load_signer(key_file)  # the service's own key: a fork, not a forgery

    def fork(route: Any) -> None:
        response = route.fetch()
        head = response.json()
        root = hashlib.sha256(b"another history, for blue alone").digest()
        forged = operator.sign_head(TreeHead(head["tree_size"], root, head["timestamp"] + 1))
        body = {**head, **json.loads(forged.sth), **forged.to_dict(), "cosignatures": []}
        route.fulfill(response=response, body=json.dumps(body))

    blue.page.route("**/v1/log/head", fork)
    blue.page.click("#head-refresh")
    warning = blue.page.locator("#log-warning")
    warning.wait_for(state="visible", timeout=10000)
    text = warning.inner_text()
    assert text.startswith("This head is not consistent with the one seen at ")
    assert f"({seen} entries)" in text
    assert blue.page.locator('#head dd.check[data-status="warning"]').count() == 1
    blue.screenshot("map-log-warning.png")
    # the real head again: the warning stays, also across a reload
    blue.page.unroute("**/v1/log/head")
    blue.page.click("#head-refresh")
    blue.wait(1.0)
    assert warning.is_visible()
    blue.page.reload()
    blue.page.wait_for_function(
        "window.deconflict && window.deconflict.state.connection === 'live'", timeout=15000
    )
    warning.wait_for(state="visible", timeout=10000)
    assert warning.inner_text() == text


def test_the_pages_consistency_check_agrees_with_rfc_9162_proofs(screens: Any) -> None:
    blue = screens("blue")
    log = Log(MemoryLedgerStore(), Signer.generate())
    log.append([{"kind": "note", "party": "blue", "n": i} for i in range(20)])
    cases = []
    for m in range(0, 21):
        for n in range(m, 21):
            proof = [h.hex() for h in log.consistency_proof(m, n)]
            old, new = log.root(m).hex(), log.root(n).hex()
            cases.append([m, n, old, new, proof, True])
            if proof:  # one changed hash in the proof, or the other root
                bad = [proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1"), *proof[1:]]
                cases.append([m, n, old, new, bad, False])
            if m and m != n:
                cases.append([m, n, log.root(m - 1).hex(), new, proof, False])
    results = blue.eval(
        """async (cases) => {
          const { verifyConsistency, hexBytes } = await import("/static/js/logcheck.js");
          const out = [];
          for (const [m, n, old, now, proof] of cases) {
            out.push(await verifyConsistency(m, n, hexBytes(old), hexBytes(now),
                                             proof.map(hexBytes)));
          }
          return out;
        }""",
        cases,
    )
    wrong = [[*c[:2], c[5]] for c, got in zip(cases, results, strict=True) if got != c[5]]
    assert not wrong, wrong
