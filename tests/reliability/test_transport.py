"""``deconflict serve`` over TLS (``--tls-cert``, ``--tls-key``) and mutual TLS
(``--tls-client-ca``), with certificates the test makes: a CA, a server certificate for
127.0.0.1, client certificates from that CA and from another."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from reliability.relkit import Serve
from servicekit import StoreTarget, add_party, track

pytestmark = pytest.mark.slow


@dataclass
class Issued:
    cert: Path
    key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(dir: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    c, k = dir / f"{stem}.pem", dir / f"{stem}.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Issued(c, k)


def make_ca(dir: Path, cn: str) -> tuple[Issued, x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return _write(dir, cn, cert, key), cert, key


def issue(
    dir: Path,
    cn: str,
    ca: tuple[Issued, x509.Certificate, ec.EllipticCurvePrivateKey],
    *,
    server: bool,
) -> Issued:
    _, ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    return _write(dir, cn, builder.sign(ca_key, hashes.SHA256()), key)


def context(ca: Issued | None, client: Issued | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca.cert) if ca else None)
    if client is not None:
        ctx.load_cert_chain(str(client.cert), str(client.key))
    return ctx


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Any]:
    d = tmp_path / "pki"
    d.mkdir()
    ca = make_ca(d, "deconflict-test-ca")
    other = make_ca(d, "someone-elses-ca")
    return {
        "ca": ca[0],
        "server": issue(d, "server", ca, server=True),
        "client": issue(d, "blue-client", ca, server=False),
        "stranger": issue(d, "stranger", other, server=False),
    }


def _store(tmp_path: Path) -> StoreTarget:
    return StoreTarget("sqlite", str(tmp_path / "service.db"), tmp_path / "keys")


def test_https_with_the_services_certificate(tmp_path: Path, pki: dict[str, Any]) -> None:
    store = _store(tmp_path)
    token = add_party(store, "blue")
    tls = ["--tls-cert", str(pki["server"].cert), "--tls-key", str(pki["server"].key)]
    ok = context(pki["ca"])
    server = Serve(store, tmp_path / "server.log", tls, scheme="https", verify=ok).start()
    try:
        with server.client(token) as c:
            r = c.post("/v1/tracks", json=[track("b1", 1.0, 1.0, 0.0)])
            assert r.status_code == 200 and r.json()["accepted"] == 1
            assert r.extensions["http_version"] in (b"HTTP/1.1", b"HTTP/2")
        # a client that does not trust the test's CA refuses the server
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(server.url + "/openapi.json", verify=context(None))
        # plain HTTP on the TLS port gets no API
        with pytest.raises(httpx.HTTPError):
            r = httpx.get(server.url.replace("https", "http") + "/openapi.json", timeout=5)
            assert r.status_code >= 400
            raise httpx.HTTPError("answered with an error")
        # the stream over wss
        wss = server.url.replace("https", "wss") + "/v1/stream"
        headers = {"Authorization": f"Bearer {token}"}
        with connect(wss, ssl=ok, additional_headers=headers, open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        assert "serving" in server.log_tail() and "https://" in server.log_tail()
    finally:
        server.stop()


def test_mutual_tls_needs_a_client_certificate_from_the_ca(
    tmp_path: Path, pki: dict[str, Any]
) -> None:
    store = _store(tmp_path)
    token = add_party(store, "blue")
    tls = ["--tls-cert", str(pki["server"].cert), "--tls-key", str(pki["server"].key)]
    tls += ["--tls-client-ca", str(pki["ca"].cert)]
    good = context(pki["ca"], pki["client"])
    server = Serve(store, tmp_path / "server.log", tls, scheme="https", verify=good).start()
    try:
        with server.client(token) as c:
            assert c.get("/v1/alerts").status_code == 200
        # the certificate is on top of the token, not instead of it
        assert httpx.get(server.url + "/v1/alerts", verify=good).status_code == 401
        for ctx in (context(pki["ca"]), context(pki["ca"], pki["stranger"])):
            with pytest.raises(httpx.HTTPError):
                httpx.get(
                    server.url + "/v1/alerts",
                    headers={"Authorization": f"Bearer {token}"},
                    verify=ctx,
                    timeout=10,
                )
        wss = server.url.replace("https", "wss") + "/v1/stream"
        headers = {"Authorization": f"Bearer {token}"}
        with connect(wss, ssl=good, additional_headers=headers, open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        refused = (ssl.SSLError, OSError, EOFError, WebSocketException)
        with (
            pytest.raises(refused),
            connect(wss, ssl=context(pki["ca"]), additional_headers=headers) as ws,
        ):
            ws.recv(timeout=10)
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "CERT"], "--tls-cert and --tls-key go together"),
        (["--tls-key", "KEY"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "CERT", "--tls-key", "nope.key"], "--tls-key: no file"),
        (["--tls-client-ca", "CA"], "--tls-cert and --tls-key go together"),
    ],
)
def test_tls_options_are_checked(
    tmp_path: Path, pki: dict[str, Any], args: list[str], message: str
) -> None:
    swap = {"CERT": str(pki["server"].cert), "KEY": str(pki["server"].key), "CA": "x"}
    cmd = [sys.executable, "-m", "deconflict.cli", "serve", "--db", str(tmp_path / "s.db")]
    out = subprocess.run(
        cmd + [swap.get(a, a) for a in args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert out.stdout == ""
