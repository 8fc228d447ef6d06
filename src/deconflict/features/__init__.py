"""GeoJSON (RFC 7946) <-> records: zones, positions, intents and countries.

An adapter: it turns parsed GeoJSON into the records of :mod:`deconflict.model` and
back (:func:`feature_of`); the detectors never import it. The keys are those of the
project's format (``docs/zones.md``); a file may hold any mix as a FeatureCollection (or
be a single Feature). Each feature is told apart by its properties:

==========================  ==========================================================
``kind`` forces/protected   a declared :class:`~deconflict.model.Position` (Point,
                            ``radius_m``)
``kind`` strike             a :class:`~deconflict.model.Strike` intent (Point,
                            ``radius_m``, ``start``, ``end``; optional ``margin_m``)
``kind`` volume             a :class:`~deconflict.model.Volume` intent (Polygon,
                            MultiPolygon or Point with ``radius_m``;
                            ``alt_min_m``/``alt_max_m``; ``start``, ``end``)
``kind`` movement           a :class:`~deconflict.movement.Movement` (LineString,
                            ``width_m``, ``start``, ``end``)
``rules`` or ``status``     a :class:`~deconflict.model.Zone`
==========================  ==========================================================

Here the JSON types are checked (strings, numbers, lists, ISO 8601 times) with the
format's bounds (:mod:`deconflict.bounds`: every number within its physical range, an
integer no float holds refused like any other; every text, list and free-text property
within its size) and geometry objects become :class:`~deconflict.model.Geometry`; the
records check their own meaning
and :mod:`deconflict.detect.areas` checks that each area can be built (a valid polygon,
a line that cuts its region, not too large). Bad input raises
:class:`~deconflict.errors.InvalidInput` naming the file, the feature (index and id) and
the property at fault; nothing is half-read.

A document that is an EUROCAE ED-269 or ED-318 set of zones (told by its structure) is
first turned into these zones by :func:`deconflict.zoneformats.as_geojson`, with its
schema checked: every reader of zones takes all three formats through this one parser.
"""

from __future__ import annotations

from .props import count_vertices
from .read import FeatureSet, parse_borders, parse_features, read_borders, read_features
from .write import collection_of, feature_of

__all__ = [
    "FeatureSet",
    "collection_of",
    "count_vertices",
    "feature_of",
    "parse_borders",
    "parse_features",
    "read_borders",
    "read_features",
]
