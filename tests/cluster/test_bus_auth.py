"""The bus is the service's inside: whoever can call on it acts as any party. A cluster
runs on NATS servers that demand a credential, given in the URLs; a wrong or missing one
stops the role at start, saying which servers (never the credential)."""

from __future__ import annotations

import subprocess
import sys

import httpx

from cluster.clusterkit import Role, drop_database, fresh_database, nats_server_binary
from servicekit import free_port, run_cli


def _server(tmp_path, token: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = tmp_path / "auth.conf"
    conf.write_text(
        f"listen: 127.0.0.1:{port}\nmax_payload: 8MB\n"
        f"authorization {{ token: {token} }}\njetstream {{ store_dir: {tmp_path / 'js'} }}\n"
    )
    with open(tmp_path / "nats.log", "ab") as log:
        proc = subprocess.Popen(
            [nats_server_binary(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
    return proc, port


def test_a_wrong_credential_stops_the_role_without_showing_it(tmp_path, postgres_url):
    proc, port = _server(tmp_path, "s3cret-token")
    db = fresh_database(postgres_url)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "deconflict.cli", "serve", "--cluster",
             f"nats://guessed@127.0.0.1:{port}", "--db", db, "--key-dir", str(tmp_path / "k"),
             "--role", "gateway"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert f"nats://127.0.0.1:{port}" in done.stderr
        assert "guessed" not in done.stderr and "s3cret" not in done.stderr
    finally:
        proc.kill()
        proc.wait(10)
        drop_database(db)


def test_the_right_credential_runs_the_line(tmp_path, postgres_url):
    proc, port = _server(tmp_path, "s3cret-token")
    role = None
    db = fresh_database(postgres_url)
    try:
        keys = tmp_path / "k"
        added = run_cli("party", "add", "blue", "--db", db, "--key-dir", str(keys))
        token = added.stdout.strip().splitlines()[-1]
        url = f"nats://s3cret-token@127.0.0.1:{port}"
        role = Role("all", url, db, keys, tmp_path / "all.log").start()
        role.wait_answering()
        role.wait_log("recorder: active")
        role.wait_log(": picture of")  # --role all: the detector too, in the same process
        r = httpx.get(
            role.url + "/v1/tracks", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert r.status_code == 200, r.text
        assert "s3cret" not in role.log_path.read_text()
    finally:
        if role is not None:
            role.stop()
        proc.kill()
        proc.wait(10)
        drop_database(db)
