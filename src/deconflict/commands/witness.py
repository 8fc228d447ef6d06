"""``deconflict witness``: a party's own process that follows the service's log, checks
every signed tree head it is given against the last one it kept, keeps its own copy of
the party's export, and cosigns each consistent head with the party's own key.

The checks are :func:`deconflict.ledger.witness.advance`; this module fetches, keeps the
state directory and prints. Exit status: 0 when stopped (or after ``--once``), 1 a head
or export that does not verify (a signature, the key chain), 2 bad usage or a refused
token, 3 an inconsistent head (a rewritten or forked log), 4 the service could not be
reached (``--once`` only; otherwise the witness keeps trying).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import httpx

from ..errors import InvalidInput, StoreError, VerificationError
from ..feeds.failover import ServiceUrls, moves_on
from ..ledger.entry import canonical_json
from ..ledger.signing import SignedTreeHead, Signer, b64decode, b64encode
from ..ledger.witness import (
    Advance,
    Inconsistent,
    WitnessState,
    advance,
    proof_request,
)
from ..store.keys import load_signer, sync_dir, write_key
from ._flags import add_number
from ._partyclient import TOKEN_ENV, party_token

__all__ = [
    "EXIT_INCONSISTENT",
    "EXIT_UNREACHABLE",
    "STATE_FILE",
    "WITNESS_KEY_FILE",
    "load_state",
    "read_public_key",
    "register",
]

STATE_FILE = "state.json"
"""In the state directory: the pinned key, the key chain and the last head kept."""
EXPORT_FILE = "export.jsonl"
"""In the state directory: the party's export as of the last head kept."""
WITNESS_KEY_FILE = "witness.key"
"""In the state directory: the party's own Ed25519 key (PEM, mode 0600)."""
EXIT_REFUSED = 1
EXIT_INCONSISTENT = 3
EXIT_UNREACHABLE = 4
DEFAULT_INTERVAL_S = 5.0


class Unreachable(Exception):
    """The service did not answer (``status`` None), or answered with a fault of its own
    (5xx, 429; ``retry_after_s`` from its ``Retry-After``)."""

    def __init__(
        self, message: str, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class Refused(VerificationError):
    """The service answered a request of the witness with an error (4xx)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _check_signed_early(state: WitnessState | None, signed: SignedTreeHead) -> None:
    """A head is called inconsistent only when the pinned key signed it."""
    if state is None or signed.public_key != state.public_key:
        raise VerificationError("refused head: not signed by the pinned key")
    try:
        signed.verify(state.public_key)
    except VerificationError as exc:
        raise VerificationError(f"refused head: {exc}") from exc


def read_public_key(text: str, flag: str = "--public-key") -> bytes:
    """An Ed25519 public key given as base64, or as a file holding it (what
    ``deconflict log key`` prints); :class:`InvalidInput` naming ``flag`` otherwise."""
    value = text.strip()
    path = Path(value)
    with contextlib.suppress(OSError, ValueError):
        if path.is_file():
            try:
                value = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"{flag}: cannot read {text!r}: {exc}") from exc
    try:
        key = b64decode(value, flag)
    except VerificationError as exc:
        raise InvalidInput(f"{flag}: neither base64 nor a file holding it: {exc}") from exc
    if len(key) != 32:
        raise InvalidInput(f"{flag}: an Ed25519 public key is 32 bytes, not {len(key)}")
    return key


def load_state(directory: str | os.PathLike[str], flag: str = "--state") -> WitnessState | None:
    """The witness state kept in ``directory`` (``None`` if it holds none yet)."""
    path = Path(directory) / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{flag}: cannot read {str(path)!r}: {exc}") from exc
    try:
        return WitnessState.from_json(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{flag}: {str(path)!r}: {exc}") from exc


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    sync_dir(path.parent)


def _own_key(directory: Path) -> Signer:
    path = directory / WITNESS_KEY_FILE
    try:
        if not path.exists():
            write_key(path, Signer.generate(), exclusive=True)
        return load_signer(path)
    except FileExistsError:
        return load_signer(path)
    except OSError as exc:
        raise InvalidInput(f"--state: cannot write the witness key {str(path)!r}: {exc}") from exc
    except StoreError as exc:
        raise InvalidInput(f"--state: {exc}") from exc


def _utc(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Witness:
    """One party's witness of the service at ``url`` (its state in ``directory``); given
    several URLs (a cluster's gateways, which all serve the same log), a round that gets
    no answer or a 502/503/504 moves the next round to the next URL. The state (pinned
    key, last head) is the service's, not a gateway's: it holds across them."""

    def __init__(
        self,
        url: str | ServiceUrls,
        token: str,
        directory: Path,
        signer: Signer,
        state: WitnessState | None,
        pin: bytes | None,
        timeout_s: float = 30.0,
    ) -> None:
        self.services = url if isinstance(url, ServiceUrls) else ServiceUrls.parse(url, "URL")
        self.url = self.services.current
        """The URL of the round under way (the last one)."""
        self.directory = directory
        self.signer = signer
        self.state = state
        self.pin = pin
        self.client = httpx.Client(
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )

    def close(self) -> None:
        self.client.close()

    # -- talking to the service ------------------------------------------------------

    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code == 401:
            raise InvalidInput(f"the service refused the token ({_message(response)})")
        if response.status_code == 429 or response.status_code >= 500:
            raise Unreachable(
                f"{response.status_code} {_message(response)}",
                response.status_code,
                _retry_after(response),
            )
        return response

    def _get(self, path: str, **params: Any) -> Any:
        try:
            response = self._answer(self.client.get(self.url + path, params=params or None))
        except httpx.HTTPError as exc:
            raise Unreachable(_transport(exc)) from exc
        if response.status_code != 200:
            raise Refused(
                f"refused head: GET {path} answered {response.status_code} {_message(response)}",
                response.status_code,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise VerificationError(f"refused head: GET {path} did not answer JSON") from exc

    def _export(self, copy: Path) -> Iterator[bytes]:
        """The party's export, line by line, written to ``copy`` as it comes."""
        try:
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with (
                os.fdopen(fd, "wb") as out,
                self.client.stream("GET", self.url + "/v1/log/export") as response,
            ):
                self._answer(response)
                if response.status_code != 200:
                    response.read()
                    raise VerificationError(
                        f"refused head: GET /v1/log/export answered {response.status_code} "
                        f"{_message(response)}"
                    )
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    raw = line.encode("utf-8")
                    out.write(raw + b"\n")
                    yield raw
                out.flush()
                os.fsync(out.fileno())
        except httpx.HTTPError as exc:
            raise Unreachable(_transport(exc)) from exc

    def _cosign(self, signed: SignedTreeHead) -> str:
        body = {
            "sth": signed.sth,
            "public_key": b64encode(self.signer.public_key),
            "signature": b64encode(self.signer.sign(signed.sth.encode("utf-8"))),
        }
        try:
            response = self._answer(self.client.post(self.url + "/v1/log/cosign", json=body))
        except httpx.HTTPError as exc:
            raise Unreachable(_transport(exc)) from exc
        if response.status_code != 200:
            return f"cosignature refused: {response.status_code} {_message(response)}"
        answer = response.json()
        assert self.state is not None
        self.state = replace(self.state, cosigned=signed.sth)
        self._save_state()
        count = len(answer.get("cosignatures") or [])
        return f"cosigned ({count} cosignature{'s' if count != 1 else ''} of this head)"

    # -- the state directory ---------------------------------------------------------

    def _save_state(self) -> None:
        assert self.state is not None
        _write_atomic(self.directory / STATE_FILE, self.state.to_json().encode("utf-8"))

    def _inconsistent(
        self, signed: SignedTreeHead, proof: list[bytes], exc: Inconsistent
    ) -> NoReturn:
        """Keep the evidence of an inconsistent head, then raise ``exc`` naming its file."""
        kept = self.state.head if self.state is not None else None
        now = int(time.time() * 1000)
        path = self.directory / f"inconsistent-{now}.json"
        doc = {
            "reason": str(exc),
            "service": self.url,
            "kept": None if kept is None else kept.to_dict(),
            "kept_seen_at_ms": None if self.state is None else self.state.seen_at_ms,
            "received": signed.to_dict(),
            "received_at_ms": now,
            "consistency_proof": [h.hex() for h in proof],
        }
        _write_atomic(path, (canonical_json(doc) + "\n").encode("utf-8"))
        raise Inconsistent(f"{exc}\nevidence: {path}") from exc

    # -- one round -------------------------------------------------------------------

    def round(self) -> str:
        """Fetch the head, check it, keep it and cosign it; returns the status line.

        Raises :class:`Inconsistent`, :class:`VerificationError`, :class:`Unreachable` or
        :class:`InvalidInput` (a refused token). Every request of a round goes to one URL;
        :class:`Unreachable` without an answer or with a 502/503/504 moves the next round
        to the next URL."""
        self.url = self.services.current
        try:
            return self._round()
        except Unreachable as exc:
            if moves_on(exc.status):
                self.services.move_from(self.url)
            raise

    def _round(self) -> str:
        obj = self._get("/v1/log/head")
        try:
            signed = SignedTreeHead.from_dict(obj)
            new = signed.head
        except VerificationError as exc:
            raise VerificationError(f"refused head: {exc}") from exc
        proof: list[bytes] = []
        previous = self.state
        kept = previous.head if previous is not None else None
        if kept is not None:
            sizes = proof_request(kept.head, new)
            if sizes is not None:
                try:
                    answer = self._get("/v1/log/consistency", first=sizes[0], second=sizes[1])
                except Refused as exc:
                    if new.tree_size < kept.head.tree_size and exc.status == 404:
                        # the log no longer holds what it held: it was cut back
                        _check_signed_early(self.state, signed)
                        self._inconsistent(
                            signed,
                            [],
                            Inconsistent(
                                f"inconsistent head: size {new.tree_size} root "
                                f"{new.root_hash.hex()} is smaller than the head kept (size "
                                f"{kept.head.tree_size} root {kept.head.root_hash.hex()}), "
                                f"and the service holds no tree of {kept.head.tree_size} "
                                "entries"
                            ),
                        )
                    raise
                proof = _hashes(answer.get("proof") if isinstance(answer, dict) else None)
        incoming = self.directory / f".{EXPORT_FILE}.incoming"
        exported = False

        def lines() -> Iterator[bytes]:
            nonlocal exported
            exported = True
            yield from self._export(incoming)

        step: Advance | None = None
        try:
            step = advance(previous, signed, proof, lines(), self.pin, int(time.time() * 1000))
        except Inconsistent as exc:
            self._inconsistent(signed, proof, exc)
        finally:
            if step is None:
                incoming.unlink(missing_ok=True)
        if exported:
            os.replace(incoming, self.directory / EXPORT_FILE)
        self.state = replace(step.state, service=self.url)
        if step.moved:
            self._save_state()

        parts = [f"head {new.tree_size} {new.root_hash.hex()[:16]}"]
        prev = kept.head if kept is not None else None
        if step.stale:
            parts.append(f"older than the head kept ({prev.tree_size if prev else '?'}), ignored")
        elif prev is None:
            parts.append("pinned key " + b64encode(step.state.public_key))
        elif step.moved:
            parts.append(f"consistent with {prev.tree_size}")
        else:
            parts.append("unchanged")
        for start, key in step.rotations:
            parts.append(f"pin moved by the key rotation at entry {start - 1} to {b64encode(key)}")
        if step.moved:
            parts.append(f"export {step.entries} entries ({step.withheld} withheld)")
        if not step.stale:
            done = self.state.cosigned == signed.sth
            parts.append("cosigned" if done else self._cosign(signed))
        parties = obj.get("parties")
        if isinstance(parties, int):
            parts.append(f"{parties} parties")
        parts.append(f"service {self.url}")
        return f"{_utc(time.time() * 1000)} " + " | ".join(parts)


def _hashes(value: Any) -> list[bytes]:
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise VerificationError("refused head: the consistency proof is not a list of hashes")
    try:
        return [bytes.fromhex(h) for h in value]
    except ValueError as exc:
        raise VerificationError("refused head: the consistency proof is not hex") from exc


def _message(response: httpx.Response) -> str:
    try:
        response.read()
        error = response.json().get("error") or {}
        return str(error.get("message") or response.reason_phrase)
    except (ValueError, AttributeError, httpx.HTTPError):
        return response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def _transport(exc: httpx.HTTPError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "witness",
        help="follow the service's log as one party: check every head, cosign it",
        description=(
            "Follow the log of the service at URL as the party whose token is in "
            f"${TOKEN_ENV}: fetch each new signed tree head, check its signature against "
            "the pinned key and its consistency with the last head kept (RFC 9162 "
            "consistency proof), keep a copy of the party's export and check it against "
            "the head, and cosign the head with the party's own key (POST /v1/log/cosign). "
            "Prints a status line per round. Exit 3 with a line beginning 'inconsistent "
            "head' when a head cannot belong to the log kept (a rewritten or forked log); "
            "1 when a head or export does not verify; 2 for bad usage or a refused token; "
            "4 when --once cannot reach the service."
        ),
    )
    p.add_argument(
        "url",
        metavar="URL[,URL...]",
        help="the service, http(s)://HOST:PORT; or several URLs, comma-separated (a "
        "cluster's gateways, serving one log): a round without an answer or with a "
        "502/503/504 is tried again on the next",
    )
    p.add_argument(
        "--state",
        required=True,
        metavar="DIR",
        help="the witness's own directory: pinned key, last head, export copy, its key",
    )
    p.add_argument(
        "--public-key",
        default=None,
        metavar="K",
        help="the service's public key (base64, or a file holding it) to pin on the first "
        "run; later runs refuse another key (a rotation recorded in the log moves the pin)",
    )
    add_number(p, "--interval", DEFAULT_INTERVAL_S, "seconds between rounds")
    p.add_argument("--once", action="store_true", help="one round, then exit")
    add_number(p, "--timeout", 30.0, "HTTP timeout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    token = party_token()
    if not args.interval > 0:
        raise InvalidInput("--interval: a number of seconds above 0")
    services = ServiceUrls.parse(args.url, "URL")
    directory = Path(args.state)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"--state: cannot use {args.state!r}: {exc}") from exc
    pin = read_public_key(args.public_key) if args.public_key is not None else None
    state = load_state(directory)
    if state is None and pin is None:
        raise InvalidInput(
            f"--state {args.state!r} pins no key yet: give the service's public key with "
            "--public-key (from its operator: deconflict log key)"
        )
    if state is not None and pin is not None:
        known = {key for _, key in state.keys} | {state.public_key}
        if pin not in known:
            raise InvalidInput(
                f"--public-key {b64encode(pin)} is not the key {args.state!r} pins "
                f"({b64encode(state.public_key)}): refused (only a rotation recorded in the "
                "log moves the pin)"
            )
    witness = Witness(services, token, directory, _own_key(directory), state, pin, args.timeout)
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(sig, stopping)
    misses = 0  # rounds in a row without an answer: after one per URL, wait --interval
    try:
        while not stop.is_set():
            try:
                line = witness.round()
            except Inconsistent as exc:
                print(str(exc), flush=True)
                return EXIT_INCONSISTENT
            except VerificationError as exc:
                print(f"deconflict witness: {exc}", file=sys.stderr, flush=True)
                return EXIT_REFUSED
            except Unreachable as exc:
                misses += 1
                if misses < len(services):  # another gateway may answer: try it now
                    wait = min(exc.retry_after_s or 0.0, args.interval)
                    line = (
                        f"{_utc(time.time() * 1000)} service unreachable ({exc}); "
                        f"trying {services.current} | service {witness.url}"
                    )
                    print(line, flush=True)
                    stop.wait(wait)
                    continue
                misses = 0
                line = (
                    f"{_utc(time.time() * 1000)} service unreachable ({exc}); "
                    + ("giving up (--once)" if args.once else f"retrying in {args.interval:g} s")
                    + f" | service {witness.url}"
                )
                print(line, flush=True)
                if args.once:
                    return EXIT_UNREACHABLE
                stop.wait(args.interval)
                continue
            misses = 0
            print(line, flush=True)
            if args.once:
                return 0
            stop.wait(args.interval)
    finally:
        witness.close()
    return 0
