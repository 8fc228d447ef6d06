"""An app over a real service on a fresh SQLite file, driven in process (``TestClient``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.ledger.log import PUBLIC_KEY_META, Log
from deconflict.ledger.signing import Signer, b64encode
from deconflict.service.config import ServiceConfig
from deconflict.service.core import Service
from deconflict.store import open_database

MakeApp = Callable[..., tuple[Service, TestClient]]


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[MakeApp]:
    """``make_app(config=..., **create_app_options)``: a service and a client of its app
    (detection off); each call opens its own database."""
    opened: list[Any] = []

    def make(config: ServiceConfig | None = None, **options: Any) -> tuple[Service, TestClient]:
        db = open_database(str(tmp_path / f"service{len(opened)}.db"), create=True)
        db.__enter__()
        opened.append(db)
        signer = Signer(Ed25519PrivateKey.generate())
        db.ledger.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        service = Service(db, Log(db.ledger, signer), config=config or ServiceConfig())
        app: FastAPI = create_app(service, run_detection=False, **options)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return service, client

    yield make
    for thing in reversed(opened):
        thing.__exit__(None, None, None)
