"""Stand-ins for the two ends of a feed, as real local servers: a receiver serving bytes over
TCP, and the service's ``POST /v1/tracks`` over HTTP recording every batch."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from deconflict.feeds.run import FeedOptions, run_feed
from deconflict.feeds.stats import FeedStats

TOKEN = "feed-test-token"


@dataclass
class Request:
    """One request the stand-in service answered."""

    status: int
    key: str | None
    tracks: list[dict[str, Any]]
    at: float = field(default_factory=time.monotonic)


class StandInService:
    """``POST /v1/tracks`` on 127.0.0.1: checks the token, records batches, honours
    ``Idempotency-Key`` (a key accepted once is not counted again) and answers from
    ``script`` (queued (status, headers, delay_s): the answer is sent after the delay,
    already recorded) before anything else, 503 while ``down``. ``GET /states/all``
    serves ``states`` (OpenSky layout)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[Request] = []
        self.accepted: list[Request] = []
        self.script: deque[tuple[int, dict[str, str], float]] = deque()
        self.states: dict[str, Any] | None = None
        self.polls = 0
        self.down = False
        self.duplicates = 0
        self.codes: dict[int, str] = {}
        """The error code of a refusal by status (default ``http_<status>``)."""
        self._keys: set[str] = set()
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, headers, answer, delay = service.answer(
                    self.path,
                    self.headers.get("Authorization"),
                    self.headers.get("Idempotency-Key"),
                    body,
                )
                time.sleep(delay)
                self.reply(status, headers, answer)

            def do_GET(self) -> None:
                with service.lock:
                    service.polls += 1
                    doc = service.states
                if self.path != "/states/all" or doc is None:
                    self.reply(404, {}, {"error": {"code": "not_found", "message": self.path}})
                else:
                    self.reply(200, {}, doc)

            def reply(self, status: int, headers: dict[str, str], answer: Any) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(
        self, path: str, auth: str | None, key: str | None, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any], float]:
        with self.lock:
            if path != "/v1/tracks":
                return 404, {}, {"error": {"code": "not_found", "message": path}}, 0.0
            if auth != f"Bearer {self.token}":
                return 401, {}, {"error": {"code": "unauthorized", "message": "bad token"}}, 0.0
            try:
                tracks = json.loads(body)
            except ValueError:  # a request cut off by a stopping client
                return 400, {}, {"error": {"code": "bad_json", "message": "cut off"}}, 0.0
            delay = 0.0
            if self.script:
                status, headers, delay = self.script.popleft()
            elif self.down:
                status, headers = 503, {}
            else:
                status, headers = 200, {}
            req = Request(status, key, tracks)
            self.requests.append(req)
            if status != 200:
                code = self.codes.get(status, f"http_{status}")
                msg = {"error": {"code": code, "message": "stand-in says no"}}
                return status, headers, msg, delay
            if key is not None and key in self._keys:
                self.duplicates += 1
            else:
                if key is not None:
                    self._keys.add(key)
                self.accepted.append(req)
            receipt = {"index": len(self.accepted)}
            return 200, {}, {"accepted": len(tracks), "receipt": receipt}, delay

    def latest(self) -> dict[str, dict[str, Any]]:
        """The newest accepted track of every id."""
        with self.lock:
            out: dict[str, dict[str, Any]] = {}
            for req in self.accepted:
                for t in req.tracks:
                    out[t["id"]] = t
            return out


class ReceiverStandIn:
    """A receiver on 127.0.0.1: each connection gets the next of ``sessions`` (bytes),
    sent in ``chunk``-byte pieces; every session but the last ends by closing the
    connection (a receiver dropping mid-stream); the last is held open until closed."""

    def __init__(self, sessions: list[bytes], chunk: int = 4096, pause_s: float = 0.0) -> None:
        self.sessions = deque(sessions)
        self.chunk = chunk
        self.pause_s = pause_s
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self._closing = threading.Event()
        self.sent_all = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> ReceiverStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self.sock.close()
        for conn in self._held:
            conn.close()

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self._closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self.connections += 1
            data = self.sessions.popleft() if self.sessions else b""
            last = not self.sessions
            try:
                for i in range(0, len(data), self.chunk):
                    conn.sendall(data[i : i + self.chunk])
                    if self.pause_s:
                        time.sleep(self.pause_s)
            except OSError:
                conn.close()
                continue
            if last:
                self._held.append(conn)
                self.sent_all.set()
            else:
                conn.close()


def feed_until(
    source: str,
    service: StandInService,
    options: FeedOptions,
    done: Callable[[], bool],
    timeout_s: float = 30.0,
    token: str = TOKEN,
    service_url: str | None = None,
) -> FeedStats:
    """Run a feed until ``done()`` holds (checked every 50 ms) or ``timeout_s`` passes;
    to ``service_url`` when given (several URLs, say), else to ``service``."""

    async def main() -> FeedStats:
        stop = asyncio.Event()

        async def watch() -> None:
            deadline = time.monotonic() + timeout_s
            while not done() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            stop.set()

        watcher = asyncio.create_task(watch())
        try:
            url = service.url if service_url is None else service_url
            return await run_feed(source, url, token, options, stop=stop)
        finally:
            watcher.cancel()

    return asyncio.run(main())
