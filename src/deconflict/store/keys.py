"""The log's Ed25519 signing key on disk, and opening a ready :class:`~deconflict.ledger.log.Log`.

Where the key lives:

- a SQLite database ``PATH`` keeps it beside the file, in ``PATH.key``;
- otherwise (PostgreSQL, or to keep keys apart from data) in a key directory given by
  ``--key-dir DIR`` or the environment variable ``DECONFLICT_KEY_DIR``, as
  ``DIR/<stem>.key`` (``<stem>`` is the SQLite file's name, or ``deconflict-ledger`` for
  PostgreSQL).

The key is created on first use (by commands that may create: ``log append``, the
service): unencrypted PKCS #8 PEM, written with mode ``0600`` (owner only), fsynced,
renamed into place, and the key directory fsynced, so a key the log names survives a
power cut. A key file that others can read is refused (:class:`InvalidInput`); one that
cannot be read or is not an Ed25519 PEM key is a :class:`StoreError`. Its public key is
stored in the database (``ledger.public_key``) so that a mismatched key file is caught
at open, and a running :class:`~deconflict.ledger.log.Log` takes the new key from here
when another process rotates it.

Rotation (:func:`rotate_key`) writes the new key to ``<key>.new`` (0600), appends the
``key-rotation`` entry signed by the old key, then replaces the key file with the new one;
the old private key is not kept. An interrupted rotation is completed or abandoned at the
next open, according to which key the log names.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..entropy import Entropy
from ..errors import InvalidInput, StoreError
from ..ledger.log import PUBLIC_KEY_META, Appended, KeyLoader, Log
from ..ledger.signing import Signer, b64encode
from .base import Database

__all__ = [
    "KEY_DIR_ENV",
    "key_loader",
    "key_path",
    "load_signer",
    "open_log",
    "rotate_key",
    "write_key",
]

KEY_DIR_ENV = "DECONFLICT_KEY_DIR"
"""Environment variable naming the key directory when ``--key-dir`` is not given."""


def key_path(db: Database, key_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where ``db``'s signing key lives (see the module docstring)."""
    chosen = key_dir if key_dir is not None else os.environ.get(KEY_DIR_ENV) or None
    directory = Path(chosen) if chosen is not None else db.default_key_dir()
    if directory is None:
        raise InvalidInput(
            f"a PostgreSQL log keeps its signing key in a key directory: "
            f"give --key-dir or set {KEY_DIR_ENV}"
        )
    return directory / f"{db.key_file_stem()}.key"


def write_key(path: Path, signer: Signer, *, exclusive: bool = False) -> None:
    """Write ``signer`` as PEM with mode 0600, atomically (``exclusive``: fail if present).

    The key is written in full to a temporary file and fsynced, then put in place with
    ``os.replace`` (or ``os.link`` when exclusive) and the directory fsynced, so no
    reader ever sees part of a key and a key in place stays in place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(signer.to_pem())
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    sync_dir(path.parent)


def sync_dir(directory: Path) -> None:
    """fsync a directory, so that the renames and links made in it are durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(src: Path, dst: Path) -> None:
    """Rename ``src`` over ``dst`` durably."""
    os.replace(src, dst)
    sync_dir(dst.parent)


def load_signer(path: Path) -> Signer:
    """Read a key file; refuse one that group or others may read.

    A file that cannot be read or holds no Ed25519 PEM key is a :class:`StoreError`.
    """
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InvalidInput(
                f"signing key {str(path)!r} is readable by others (mode {mode & 0o777:o}); "
                "chmod 600 it"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot read signing key {str(path)!r}: {exc}") from exc
    try:
        return Signer.from_pem(data)
    except InvalidInput as exc:
        raise StoreError(f"signing key {str(path)!r} is damaged: {exc}") from exc


def key_loader(path: Path) -> KeyLoader:
    """Finds the key of a given public key in ``path`` or a rotation's pending file.

    What :func:`open_log` gives the log, so that it signs on after another process
    rotated the key.
    """

    def load(public_key: str) -> Signer | None:
        for candidate in (path, _pending(path)):
            try:
                signer = load_signer(candidate) if candidate.exists() else None
            except (StoreError, InvalidInput, OSError):
                continue
            if signer is not None and b64encode(signer.public_key) == public_key:
                return signer
        return None

    return load


def _pending(path: Path) -> Path:
    return path.with_name(path.name + ".new")


def open_log(
    db: Database,
    key_dir: str | os.PathLike[str] | None = None,
    *,
    create_key: bool = True,
    clock: Callable[[], datetime] | None = None,
    salt: Callable[[], str] | None = None,
) -> Log:
    """The log of ``db`` with its signing key, creating the key on first use.

    ``create_key=False`` (commands that only read) never creates a key:
    :class:`InvalidInput` when there is none. ``clock`` is the log's (default: the wall
    clock). Every entry the log writes gets a ``salt`` from ``salt`` (default: 128 bits
    of the OS CSPRNG). Failures of the file system are :class:`StoreError`.
    """
    path = key_path(db, key_dir)
    try:
        signer = _open_signer(db, path, create_key)
    except OSError as exc:
        raise StoreError(f"signing key {str(path)!r}: {exc}") from exc
    salts = salt if salt is not None else Entropy().salt
    if clock is None:
        return Log(db.ledger, signer, key_loader=key_loader(path), salt=salts)
    return Log(db.ledger, signer, clock=clock, key_loader=key_loader(path), salt=salts)


def _open_signer(db: Database, path: Path, create_key: bool) -> Signer:
    store = db.ledger
    published = store.get_meta(PUBLIC_KEY_META)
    pending = _pending(path)
    if pending.exists():
        new = load_signer(pending)
        if published == b64encode(new.public_key):
            _replace(pending, path)
        else:
            pending.unlink()
            sync_dir(path.parent)
    if path.exists():
        signer = load_signer(path)
        if published is None:
            store.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
        elif published != b64encode(signer.public_key):
            raise StoreError(
                f"signing key {str(path)!r} is not the log's key (the log names {published})"
            )
        return signer
    if published is not None:
        raise StoreError(f"the log's signing key {str(path)!r} is missing")
    if not create_key:
        raise InvalidInput(f"no signing key at {str(path)!r}")
    signer = Signer.generate()
    try:
        write_key(path, signer, exclusive=True)
    except FileExistsError:
        if not path.is_file():
            raise  # not another process's key: something in the way
        return _open_signer(db, path, create_key=False)
    store.set_meta(PUBLIC_KEY_META, b64encode(signer.public_key))
    return signer


def rotate_key(log: Log, db: Database, key_dir: str | os.PathLike[str] | None = None) -> Appended:
    """Replace the log's key by a fresh one; the rotation entry is signed by the old key."""
    path = key_path(db, key_dir)
    new = Signer.generate()
    pending = _pending(path)
    try:
        write_key(pending, new)
    except OSError as exc:
        raise StoreError(f"cannot write signing key {str(pending)!r}: {exc}") from exc
    try:
        appended = log.rotate_key(new)
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    try:
        _replace(pending, path)
    except OSError as exc:
        raise StoreError(
            f"the rotation is logged but the new key is still at {str(pending)!r} "
            f"(the next open finishes it): {exc}"
        ) from exc
    return appended
