"""The request bodies of the API: pydantic models and the OpenAPI schemas of the bodies the
service validates itself.

The models bound every text and list (:mod:`deconflict.bounds` and docs/service.md,
*Bounds*); a body that does not fit is answered 400 naming the field and the bound
(:func:`deconflict.api.errors.failure_of`). Track reports and GeoJSON declarations are
read by :func:`deconflict.api.jsontext.parse_json` and checked by the service, which
names the track or feature; their schemas here only describe them in ``/openapi.json``.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..bounds import TRACK_BOUNDS

__all__ = [
    "DECLARATION_BODY",
    "AckIn",
    "CosignIn",
    "MessageIn",
    "ResumeIn",
    "SuspendIn",
    "TrackIn",
    "tracks_body",
]

_B = TRACK_BOUNDS


class TrackIn(BaseModel):
    """One track as a party reports it (DESIGN: the CSV columns plus ``time``)."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=64)
    time: str = Field(description="ISO 8601, e.g. 2017-06-18T16:40:00Z")
    party: str | None = Field(default=None, description="if given, must be the caller")
    lat: float = Field(ge=_B["lat"].lo, le=_B["lat"].hi, description="WGS84 degrees")
    lon: float = Field(ge=_B["lon"].lo, le=_B["lon"].hi, description="WGS84 degrees")
    alt_m: float = Field(ge=_B["alt_m"].lo, le=_B["alt_m"].hi, description="metres")
    gs_mps: float = Field(ge=_B["gs_mps"].lo, le=_B["gs_mps"].hi, description="ground speed, m/s")
    track_deg: float = Field(
        ge=_B["track_deg"].lo, le=_B["track_deg"].hi, description="true track, degrees"
    )
    vs_mps: float = Field(
        ge=_B["vs_mps"].lo, le=_B["vs_mps"].hi, description="vertical speed, m/s, up positive"
    )


class AckIn(BaseModel):
    """An answer to an alert."""

    response: Literal["roger", "wilco", "unable", "standby"]
    text: str | None = Field(default=None, max_length=2000)
    understood: dict[str, Any] | None = Field(
        default=None,
        description="with wilco: the aim point or area as understood (GeoJSON Point or Polygon)",
    )


class MessageIn(BaseModel):
    """A free-text message to other parties."""

    to: list[Annotated[str, Field(min_length=1, max_length=63)]] = Field(min_length=1)
    text: str = Field(min_length=1, max_length=4000)


class SuspendIn(BaseModel):
    """Why a party suspends its participation in the channel."""

    reason: str = Field(min_length=1, max_length=2000)


class ResumeIn(BaseModel):
    """A party resumes its participation (a reason is optional)."""

    reason: str | None = Field(default=None, max_length=2000)


class CosignIn(BaseModel):
    """A witness's cosignature of a tree head (docs/ledger.md, *Witnesses*)."""

    sth: str = Field(
        min_length=1, max_length=1000, description="the head's JSON text, as GET /v1/log/head"
    )
    public_key: str = Field(
        min_length=1, max_length=100, description="the party's witness key: base64, 32 bytes"
    )
    signature: str = Field(
        min_length=1, max_length=200, description="Ed25519 signature of the sth bytes, base64"
    )
    party: str | None = Field(default=None, description="if given, must be the caller")


def tracks_body(max_batch: int) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of ``POST /v1/tracks``: 1 to ``max_batch`` tracks."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": max_batch,
                        "items": TrackIn.model_json_schema(),
                    }
                }
            },
        }
    }


DECLARATION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"enum": ["Feature", "FeatureCollection"]}},
                }
            }
        },
    }
}
"""The OpenAPI ``requestBody`` of a declaration: a GeoJSON Feature or FeatureCollection
(read by the JSON reader of every body, which refuses NaN, Infinity and over-long
integers naming the body; the service checks the GeoJSON and its bounds)."""
