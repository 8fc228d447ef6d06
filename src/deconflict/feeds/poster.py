"""Posting track batches to the service: ``POST {service}/v1/tracks``.

One request carries at most 10,000 tracks and an ``Idempotency-Key`` (a uuid4 per batch):
a batch retried unchanged after a timeout keeps its key, so the service counts it once.
Answers: 2xx accepted; 429 waits ``Retry-After`` seconds; 5xx and network errors retry
with exponential backoff (or after ``Retry-After`` when given); 401/403 stop the feed
(the token is refused); other 4xx reject the batch (counted, not retried). Given several
service URLs, a network error or a 502/503/504 moves the next try to the next URL
(:mod:`deconflict.feeds.failover`), with the same key: the batch is applied once.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from ..bounds import TRACK_BOUNDS
from ..errors import Forbidden
from ..model.tracks import TrackReport
from ..timefmt import iso_ms
from .failover import ServiceUrls, moves_on

__all__ = [
    "MAX_TRACKS_PER_POST",
    "Backoff",
    "PostOutcome",
    "TrackPoster",
    "track_json",
    "within_bounds",
]

MAX_TRACKS_PER_POST = 10_000


def track_json(s: TrackReport, time_shift_s: float = 0.0) -> dict[str, Any]:
    """A track as the service takes it (ISO 8601 UTC time with milliseconds, SI units).

    >>> track_json(TrackReport("4ca2d6", 0.25, 51.5, -0.25, 11000.0, 230.0, 90.0, 0.0))["time"]
    '1970-01-01T00:00:00.250Z'
    """
    return {
        "id": s.id,
        "time": iso_ms(s.time_s + time_shift_s),
        "lat": round(s.lat_deg, 6),
        "lon": round(s.lon_deg, 6),
        "alt_m": round(s.alt_m, 1),
        "gs_mps": round(s.gs_mps, 2),
        "track_deg": round(s.track_deg, 2),
        "vs_mps": round(s.vs_mps, 2),
    }


def within_bounds(s: TrackReport) -> bool:
    """Whether every number of ``s`` is inside the service's track bounds (a report with
    one outside them would be refused, with the rest of its batch)."""
    values = {
        "lat": s.lat_deg,
        "lon": s.lon_deg,
        "alt_m": s.alt_m,
        "gs_mps": s.gs_mps,
        "track_deg": s.track_deg,
        "vs_mps": s.vs_mps,
    }
    return all(math.isfinite(v) and v in TRACK_BOUNDS[k] for k, v in values.items())


class Backoff:
    """Exponential backoff with jitter: ``initial_s`` doubling up to ``max_s``."""

    def __init__(self, initial_s: float = 0.5, max_s: float = 30.0) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self._next = initial_s

    def next_delay(self) -> float:
        """The wait before the next try (between half and all of the current step)."""
        step = self._next
        self._next = min(self._next * 2.0, self.max_s)
        return step * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._next = self.initial_s


@dataclass(frozen=True)
class PostOutcome:
    """What one post came to: ``ok``; or ``retry`` (after ``retry_after_s``, None for the
    backoff's wait); or neither: rejected for good with ``error``. ``uncertain``: a retry
    after which the batch may have been applied all the same (no answer to a request
    sent, a 502/504, a 503 ``unavailable``): it must be sent again unchanged, with its
    key. ``via``: the service URL it was sent to."""

    ok: bool
    status: int | None
    accepted: int = 0
    latency_s: float = 0.0
    retry: bool = False
    retry_after_s: float | None = None
    error: str = ""
    uncertain: bool = False
    via: str = ""


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        err = body["error"]
        return f"{response.status_code} {err.get('code', '')}: {err.get('message', '')}"
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"{response.status_code} {response.text[:200]!r}"


def _uncertain(response: httpx.Response) -> bool:
    """Whether an answer leaves it open that the request was applied."""
    if response.status_code in (502, 504):
        return True
    if response.status_code != 503:
        return False
    try:
        return bool(response.json()["error"]["code"] == "unavailable")
    except (ValueError, KeyError, TypeError):
        return False


def _retry_after(response: httpx.Response) -> float | None:
    text = response.headers.get("Retry-After")
    if text is None:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


class TrackPoster:
    """Sends one batch at a time to ``{service}/v1/tracks`` with a party's token;
    ``service`` is one URL or several (comma-separated, or :class:`ServiceUrls`)."""

    def __init__(self, client: httpx.AsyncClient, service: str | ServiceUrls, token: str) -> None:
        self.client = client
        self.services = service if isinstance(service, ServiceUrls) else ServiceUrls.parse(service)
        self.headers = {"Authorization": f"Bearer {token}"}

    @property
    def url(self) -> str:
        """Where the next post goes."""
        return self.services.current + "/v1/tracks"

    @staticmethod
    def new_key() -> str:
        return str(uuid.uuid4())

    async def post(self, tracks: list[dict[str, Any]], key: str) -> PostOutcome:
        """Post one batch (at most :data:`MAX_TRACKS_PER_POST`); never raises for HTTP or
        network errors, except :class:`Forbidden` for a refused token."""
        if len(tracks) > MAX_TRACKS_PER_POST:
            raise ValueError(f"{len(tracks)} tracks in one post (at most {MAX_TRACKS_PER_POST})")
        via = self.services.current
        t0 = time.monotonic()
        try:
            r = await self.client.post(
                via + "/v1/tracks", json=tracks, headers={**self.headers, "Idempotency-Key": key}
            )
        except httpx.HTTPError as exc:
            self.services.move_from(via)
            error = f"{via}: {type(exc).__name__}: {exc}"
            unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            return PostOutcome(False, None, retry=True, error=error, uncertain=not unsent, via=via)
        latency = time.monotonic() - t0
        if 200 <= r.status_code < 300:
            try:
                accepted = int(r.json().get("accepted", len(tracks)))
            except (ValueError, AttributeError, TypeError):
                accepted = len(tracks)
            return PostOutcome(True, r.status_code, accepted, latency, via=via)
        error = _error_text(r)
        if r.status_code in (401, 403):
            raise Forbidden(f"the service refused the token ({error})")
        if r.status_code in (408, 429) or r.status_code >= 500:
            if moves_on(r.status_code):
                self.services.move_from(via)
            return PostOutcome(
                False,
                r.status_code,
                retry=True,
                retry_after_s=_retry_after(r),
                error=f"{via}: {error}",
                uncertain=_uncertain(r),
                via=via,
            )
        return PostOutcome(False, r.status_code, error=error, via=via)
