"""Zones published as EUROCAE ED-269 or ED-318 documents, read and written.

An adapter beside :mod:`deconflict.features`: :func:`as_geojson` tells a document's
format by its structure and turns an ED-269 or ED-318 document into the project's
GeoJSON zones (a GeoJSON document is given back as it is), so that every reader of zones
(``deconflict check``, ``POST /v1/zones``, scenarios) takes all three through the one
parser, with its bounds. :func:`document_of` writes zones the other way. The mapping is
in :mod:`.mapping`, the schemas in :mod:`.schemas` (package data).

============  ==================================================================
``ed269``     an object without ``type`` with ``features`` that are not GeoJSON
              Features (``UASZoneVersion`` objects: ``identifier``, ``restriction``,
              ``geometry`` volumes)
``ed318``     a GeoJSON FeatureCollection (or Feature) whose features' properties
              are ``UASZone`` objects (``identifier``, no ``id``)
``geojson``   anything else (the project's own format, checked by its parser)
============  ==================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import InvalidInput
from ..model import Zone
from . import ed269, ed318
from .schemas import FORMATS

__all__ = ["DEFAULT_IMPORTER", "FORMATS", "as_geojson", "document_of", "format_of"]

DEFAULT_IMPORTER = "local"
"""The party an ED zone is given to where the reader names none (``deconflict check``
without ``--party``)."""


def _looks_ed318(feature: Any) -> bool:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return isinstance(props, dict) and "identifier" in props and "id" not in props


def format_of(doc: Any) -> str:
    """``ed269``, ``ed318`` or ``geojson``: what ``doc`` is, told by its structure.

    >>> format_of({"features": [{"identifier": "LFPG1", "restriction": "PROHIBITED"}]})
    'ed269'
    >>> format_of({"type": "FeatureCollection", "features": []})
    'geojson'
    """
    if not isinstance(doc, dict):
        return "geojson"
    feats = doc.get("features")
    kind = doc.get("type")
    geojson_like = (
        isinstance(feats, list)
        and bool(feats)
        and all(isinstance(f, dict) and f.get("type") == "Feature" for f in feats)
    )
    if kind is None and "features" in doc and not geojson_like:
        return "ed269"
    if kind == "FeatureCollection" and isinstance(feats, list) and any(map(_looks_ed318, feats)):
        return "ed318"
    if kind == "Feature" and _looks_ed318(doc):
        return "ed318"
    return "geojson"


def as_geojson(doc: Any, source: str, party: str) -> Any:
    """``doc`` as the project's GeoJSON: an ED-269 or ED-318 document validated against
    its schema and converted to a FeatureCollection of zones owned by ``party``
    (``claimed``, rules for ``"*"``); any other document as it is.

    Raises :class:`InvalidInput` naming ``source``, the zone and the field at fault.
    """
    fmt = format_of(doc)
    if fmt == "geojson":
        return doc
    if fmt == "ed318" and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    reader = ed269.features_of if fmt == "ed269" else ed318.features_of
    try:
        features = reader(doc, source, party)
    except RecursionError:
        raise InvalidInput(f"{source}: nested too deeply for an {FORMATS[fmt]} document") from None
    return {"type": "FeatureCollection", "features": features}


def document_of(
    zones: Sequence[Zone],
    fmt: str,
    countries: Sequence[str],
    title: str = "deconflict zones",
    lang: str = "en-GB",
) -> dict[str, Any]:
    """An ``fmt`` (``ed269`` or ``ed318``) document of ``zones`` that validates against
    the schema and that :func:`as_geojson` reads back as the same zones; ``countries[i]``
    is the ISO 3166-1 alpha-3 code of ``zones[i]``, ``lang`` the language of the names
    (ED-318 only). A zone the format cannot hold (rules
    for named parties, a side-of-a-line zone, an id longer than 7 characters, ...) raises
    :class:`InvalidInput` naming it."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown zone format {fmt!r}: {', '.join(FORMATS)}")
    writer = ed269.document_of if fmt == "ed269" else ed318.document_of
    return writer(zones, countries, title, lang)
