"""Track batches decoded from raw bytes by a compiled validator (msgspec).

A batch of valid tracks — the common case, at thousands of reports a second — is decoded
and checked in C: every field's type and every number's bound of
:data:`~deconflict.bounds.TRACK_BOUNDS` (booleans, strings, NaN, infinities and
out-of-range values fail there). :func:`decode_batch` gives the batch, or ``None`` for
anything it does not take; the caller then parses the body the ordinary way, whose
checks (:func:`~deconflict.service.reports.parse_track_reports`) name what is wrong. So
the fast path changes no answer: it accepts only what the ordinary path accepts, and
everything else is refused exactly as before.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from ..bounds import TRACK_BOUNDS

__all__ = ["TrackBatch", "TrackIn", "batch_of", "decode_batch"]


def _bounded(name: str) -> Any:
    r = TRACK_BOUNDS[name]
    return Annotated[float, msgspec.Meta(ge=r.lo, le=r.hi)]


class TrackIn(msgspec.Struct, frozen=True):
    """One track object as DESIGN defines it (other members are ignored, as before); its
    ``lat`` and ``lon`` are the fields ``lat_deg`` and ``lon_deg``."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    time: str
    lat_deg: _bounded("lat") = msgspec.field(name="lat")  # type: ignore[valid-type]
    lon_deg: _bounded("lon") = msgspec.field(name="lon")  # type: ignore[valid-type]
    alt_m: _bounded("alt_m")  # type: ignore[valid-type]
    gs_mps: _bounded("gs_mps")  # type: ignore[valid-type]
    track_deg: _bounded("track_deg")  # type: ignore[valid-type]
    vs_mps: _bounded("vs_mps")  # type: ignore[valid-type]
    party: str | msgspec.UnsetType = msgspec.UNSET
    """Absent, or a string (an explicit ``null`` is not taken here)."""


_DECODER = msgspec.json.Decoder(list[TrackIn])


class TrackBatch(list[TrackIn]):
    """A decoded batch; :meth:`to_json` is its list of track objects (for the idempotency
    digest, and for the cluster bus, which carries JSON)."""

    def to_json(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = msgspec.to_builtins(list(self))
        return out


def decode_batch(raw: bytes) -> TrackBatch | None:
    """The batch in ``raw`` if the compiled validator takes it whole, else ``None``.

    A body with an escape (``\\u``) is left to the ordinary path, which refuses NUL and
    lone surrogates anywhere in it.
    """
    if b"\\u" in raw:
        return None
    try:
        return TrackBatch(_DECODER.decode(raw))
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def batch_of(items: Any) -> TrackBatch | None:
    """The batch in already-parsed JSON ``items`` (a list of track objects) if the
    compiled validator takes it whole, else ``None`` (as :func:`decode_batch`)."""
    if not isinstance(items, list):
        return None
    try:
        return TrackBatch(msgspec.convert(items, list[TrackIn]))
    except (msgspec.ValidationError, TypeError):
        return None
