"""Reading a scenario file: YAML, checked against the shipped JSON Schema, then for meaning.

Every error names the file, the line and the column of the YAML node at fault (from the
node marks of PyYAML's composer) and the path inside the document, and raises
:class:`~deconflict.errors.InvalidInput` (exit status 2 on the command line). GeoJSON
features are checked by :func:`deconflict.features.parse_features`, the parser the
service uses, so a scenario that loads is one the service accepts. An included file may
also be an EUROCAE ED-269 or ED-318 document (:mod:`deconflict.zoneformats`): its zones
are the declaring party's.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from ..errors import InvalidInput
from ..features import parse_borders, parse_features
from ..service.officers import check_officer_name
from ..timefmt import format_time, parse_time
from ..zoneformats import FORMATS, as_geojson, format_of
from .model import Action, AnswerRule, Flight, Officer, Scenario, Waypoint

__all__ = ["load_scenario", "parse_scenario", "schema", "shift_times"]

Path_ = tuple[str | int, ...]
_ENDPOINTS = {
    "positions": "positions",
    "intents": "intents",
    "strikes": "intents",
    "zones": "zones",
}
_TIME_PROPS = ("start", "end", "valid_from", "valid_to")


@cache
def schema() -> dict[str, Any]:
    """The scenario format's JSON Schema (``deconflict/scenario/schema.json``)."""
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: times stay the ISO 8601 text written."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Marks:
    """Where each value (and each mapping key) of the document starts in the file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[Path_, yaml.Mark] = {}
        self.keys: dict[Path_, yaml.Mark] = {}

    def walk(self, node: yaml.Node, path: Path_ = ()) -> None:
        self.values[path] = node.start_mark
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    raise self.error(
                        f"{_dotted((*path, key))}: key given twice", key_node.start_mark
                    )
                seen.add(key)
                self.keys[(*path, key)] = key_node.start_mark
                self.walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, (*path, i))

    def at(self, path: Sequence[str | int], *, key: bool = False) -> yaml.Mark | None:
        """The mark of ``path`` (its key's mark when ``key``), else of its nearest parent."""
        p = tuple(path)
        if key and p in self.keys:
            return self.keys[p]
        while p not in self.values and p:
            p = p[:-1]
        return self.values.get(p)

    def error(self, message: str, mark: yaml.Mark | None) -> InvalidInput:
        if mark is None:
            return InvalidInput(f"{self.name}: {message}")
        return InvalidInput(f"{self.name}:{mark.line + 1}:{mark.column + 1}: {message}")

    def fail(self, path: Sequence[str | int], message: str, *, key: bool = False) -> InvalidInput:
        return self.error(f"{_dotted(path)}: {message}", self.at(path, key=key))


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _schema_error(marks: _Marks, error: ValidationError) -> InvalidInput:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema_ = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema_.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            return marks.fail([*path, extra[0]], f"unknown key {extra[0]!r}", key=True)
    return marks.fail(path, error.message)


def _sort_key(marks: _Marks, error: ValidationError) -> tuple[int, int]:
    mark = marks.at(list(error.absolute_path))
    return (mark.line, mark.column) if mark is not None else (0, 0)


def _check_schema(data: Any, marks: _Marks) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = [best_match([e]) for e in validator.iter_errors(data)]
    errors = [e for e in errors if e is not None]
    if errors:
        raise _schema_error(marks, min(errors, key=lambda e: _sort_key(marks, e)))


def _parse_start(text: str, marks: _Marks) -> float:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise marks.fail(["start"], f"not an ISO 8601 time: {text!r}") from None
    if value.utcoffset() is None or value.utcoffset() != UTC.utcoffset(None):
        raise marks.fail(["start"], f"give the time in UTC (with Z): {text!r}")
    return value.timestamp()


class _Reader:
    """Turns the checked document into a :class:`Scenario`."""

    def __init__(self, data: dict[str, Any], marks: _Marks, base: Path) -> None:
        self.data = data
        self.marks = marks
        self.base = base
        self.parties = [p["name"] for p in data["parties"]]
        self.actions: list[tuple[float, int, Action]] = []
        self.zone_ids: set[str] = set()
        self._files: dict[Path, Any] = {}

    def where(self, path: Sequence[str | int]) -> str:
        mark = self.marks.at(path)
        if mark is None:
            return self.marks.name
        return f"{self.marks.name}:{mark.line + 1}:{mark.column + 1}"

    def party(self, path: Sequence[str | int], name: Any) -> str:
        if name not in self.parties:
            raise self.marks.fail(
                path, f"{name!r} is not one of the scenario's parties ({', '.join(self.parties)})"
            )
        return str(name)

    def add(self, at_s: float, kind: str, party: str, data: Mapping[str, Any], path: Path_) -> None:
        self.actions.append(
            (at_s, len(self.actions), Action(at_s, kind, party, data, self.where(path)))
        )

    # -- features --------------------------------------------------------------------

    def _file(self, path: Path_, name: str) -> Any:
        full = (self.base / name).resolve()
        if full not in self._files:
            try:
                self._files[full] = json.loads(full.read_text(encoding="utf-8"))
            except OSError as exc:
                raise self.marks.fail(
                    path, f"cannot open {name!r} ({exc.strerror or exc})"
                ) from None
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise self.marks.fail(path, f"{name!r} is not JSON ({exc})") from None
        return self._files[full]

    def _zones_of(self, path: Path_, item: Mapping[str, Any], doc: Any, by: str | None) -> Any:
        """An included ED-269 or ED-318 document as GeoJSON zones of the party that
        declares them (the event's, else ``properties.owner``); GeoJSON as it is."""
        fmt = format_of(doc)
        if fmt == "geojson":
            return doc
        owner = by or (item.get("properties") or {}).get("owner")
        if owner is None:
            raise self.marks.fail(
                path,
                f"{item['include']!r} is an {FORMATS[fmt]} document, whose zones are the "
                "importing party's: include it in an event's declare, or give "
                "properties.owner",
            )
        owner = self.party((*path[:-1], "properties", "owner"), owner)
        try:
            return as_geojson(doc, item["include"], owner)
        except InvalidInput as exc:
            raise self.marks.fail(path, str(exc)) from None

    def features(
        self, path: Path_, items: Sequence[Any], by: str | None = None
    ) -> Iterator[tuple[Path_, dict[str, Any]]]:
        """Each feature of a list of features and includes, with its path for errors;
        an included ED-269 or ED-318 document gives its zones as ``by``'s."""
        for i, item in enumerate(items):
            if "include" not in item:
                yield (*path, i), json.loads(json.dumps(item))
                continue
            doc = self._file((*path, i, "include"), item["include"])
            doc = self._zones_of((*path, i, "include"), item, doc, by)
            feats = doc.get("features") if isinstance(doc, dict) else None
            if not isinstance(feats, list):
                raise self.marks.fail((*path, i, "include"), "not a GeoJSON FeatureCollection")
            by_id = {
                f.get("properties", {}).get("id"): f
                for f in feats
                if isinstance(f, dict) and isinstance(f.get("properties"), dict)
            }
            wanted = item.get("ids")
            if wanted is None:
                chosen = [f for f in feats if isinstance(f, dict)]
            else:
                chosen = []
                for j, fid in enumerate(wanted):
                    if fid not in by_id:
                        raise self.marks.fail(
                            (*path, i, "ids", j), f"no feature {fid!r} in {item['include']!r}"
                        )
                    chosen.append(by_id[fid])
            override = item.get("properties") or {}
            for f in chosen:
                f = json.loads(json.dumps(f))
                props = f.setdefault("properties", {})
                for key, value in override.items():
                    if value is None:
                        props.pop(key, None)
                    else:
                        props[key] = value
                yield (*path, i), f

    def check_feature(self, path: Path_, feature: dict[str, Any]) -> None:
        try:
            parse_features(feature, _dotted(path))
        except InvalidInput as exc:
            named = re.search(r"property '([^']+)'", str(exc))
            prop = (*path, "properties", named.group(1)) if named else path
            mark = self.marks.values.get(prop) or self.marks.at(path)
            raise self.marks.error(str(exc), mark) from None

    def declare(
        self, at_s: float, path: Path_, endpoint: str, items: Sequence[Any], by: str | None
    ) -> None:
        """Declarations of ``endpoint`` at ``at_s``, grouped per declaring party."""
        groups: dict[str, list[dict[str, Any]]] = {}
        consents: list[tuple[str, str, Path_]] = []
        for fpath, feature in self.features(path, items, by):
            props = feature["properties"]
            if endpoint != "zones" and by is not None:
                if props.get("party", by) != by:
                    raise self.marks.fail((*fpath, "properties", "party"), f"declared by {by!r}")
                props["party"] = by
            self.check_feature(fpath, feature)
            if endpoint == "zones":
                named = props.get("parties") or []
                given = [
                    c if isinstance(c, str) else c.get("party") for c in props.get("consents") or []
                ]
                owner = by or props.get("owner") or (given or named or [None])[0]
                owner = self.party((*fpath, "properties", "owner"), owner)
                props["consents"] = [owner] if owner in given else []
                props.pop("owner", None)
                if props.get("status") == "agreed" and not set(named) <= {owner}:
                    props["status"] = "claimed"
                consents.extend((p, str(props["id"]), fpath) for p in given if p != owner)
                self.zone_ids.add(str(props["id"]))
                groups.setdefault(owner, []).append(feature)
            else:
                party = self.party((*fpath, "properties", "party"), props.get("party"))
                props["party"] = party
                groups.setdefault(party, []).append(feature)
        for party, feats in groups.items():
            doc = {"type": "FeatureCollection", "features": feats}
            self.add(at_s, "declare", party, {"endpoint": endpoint, "doc": doc}, path)
        for party, zone, fpath in consents:
            self.add(at_s, "consent", self.party(fpath, party), {"zone": zone}, fpath)

    # -- the document ----------------------------------------------------------------

    def read(self) -> None:
        d = self.data
        for endpoint in ("zones", "positions", "intents"):
            if endpoint in d:
                self.declare(0.0, (endpoint,), endpoint, d[endpoint], None)
        duration = float(d["duration_s"])
        for i, event in enumerate(d.get("events", [])):
            at = float(event["at_s"])
            if at > duration:
                raise self.marks.fail(
                    ("events", i, "at_s"), f"{at:g} s is after the end ({duration:g} s)"
                )
            kind = next(k for k in event if k != "at_s")
            body = event[kind]
            path: Path_ = ("events", i, kind)
            if kind == "declare":
                by = self.party((*path, "party"), body["party"])
                for key in ("positions", "intents", "strikes", "zones"):
                    if key in body:
                        self.declare(at, (*path, key), _ENDPOINTS[key], body[key], by)
            elif kind == "fly":
                flight = Flight(
                    party=self.party((*path, "party"), body["party"]),
                    id=body["id"],
                    route=tuple(
                        Waypoint(
                            float(w["lat"]),
                            float(w["lon"]),
                            float(w["alt_m"]),
                            float(w["speed_mps"]),
                            None if w.get("climb_mps") is None else float(w["climb_mps"]),
                        )
                        for w in body["route"]
                    ),
                    report_every_s=float(body.get("report_every_s", 4.0)),
                )
                self.add(at, "fly", flight.party, {"flight": flight}, path)
            elif kind == "message":
                sender = self.party((*path, "from"), body["from"])
                to = [self.party((*path, "to", j), p) for j, p in enumerate(body["to"])]
                self.add(at, "message", sender, {"to": to, "text": body["text"]}, path)
            elif kind == "release":
                party = self.party((*path, "party"), body["party"])
                count, every = int(body.get("count", 1)), float(body.get("every_s", 60.0))
                last = at + (count - 1) * every
                if last > duration:
                    raise self.marks.fail(
                        (*path, "count"), f"the last release at {last:g} s is after the end"
                    )
                for k in range(count):
                    self.add(at + k * every, kind, party, {"strike": body["strike"]}, path)
            else:
                party = self.party((*path, "party"), body["party"])
                data = {k: v for k, v in body.items() if k != "party"}
                self.add(at, kind, party, data, path)
        for i, event in enumerate(d.get("events", [])):
            if "consent" in event and event["consent"]["zone"] not in self.zone_ids:
                raise self.marks.fail(
                    ("events", i, "consent", "zone"),
                    f"no zone {event['consent']['zone']!r} in the scenario",
                )

    def officers(self) -> tuple[Officer, ...]:
        """Each party's officers: names valid for the service and distinct per party."""
        out = []
        for i, p in enumerate(self.data["parties"]):
            names: set[str] = set()
            for j, o in enumerate(p.get("officers", [])):
                path = ("parties", i, "officers", j, "name")
                try:
                    name = check_officer_name(o["name"])
                except InvalidInput as exc:
                    raise self.marks.fail(path, str(exc)) from None
                if name in names:
                    raise self.marks.fail(path, f"officer {name!r} of {p['name']!r} named twice")
                names.add(name)
                out.append(
                    Officer(
                        party=p["name"],
                        name=name,
                        role=o["role"],
                        present=bool(o.get("present", True)),
                        after_s=float(o.get("after_s", 0.0)),
                    )
                )
        return tuple(out)

    def check_requests(self, officers: Sequence[Officer]) -> None:
        """A stop request's ``officer`` is one of its party's; a release names one of the
        party's declared strikes."""
        strikes = {
            (a.party, f["properties"]["id"])
            for _, _, a in self.actions
            if a.kind == "declare"
            for f in a.data["doc"]["features"]
            if f["properties"].get("kind") == "strike"
        }
        for i, event in enumerate(self.data.get("events", [])):
            if "stop" in event and "officer" in event["stop"]:
                body = event["stop"]
                mine = [o.name for o in officers if o.party == body["party"]]
                if body["officer"] not in mine:
                    raise self.marks.fail(
                        ("events", i, "stop", "officer"),
                        f"{body['officer']!r} is not an officer of {body['party']!r} "
                        f"({', '.join(mine) or 'it has none'})",
                    )
            if "release" in event:
                body = event["release"]
                if (body["party"], body["strike"]) not in strikes:
                    raise self.marks.fail(
                        ("events", i, "release", "strike"),
                        f"no strike {body['strike']!r} declared by {body['party']!r}",
                    )

    def answers(self) -> tuple[AnswerRule, ...]:
        out = []
        for i, a in enumerate(self.data.get("answers", [])):
            party = self.party(("answers", i, "party"), a["party"])
            out.append(
                AnswerRule(
                    party=party,
                    kind=a["kind"],
                    response=None if a.get("never") else a["response"],
                    after_s=float(a.get("after_s", 0.0)),
                    text=a.get("text"),
                    subjects=tuple(a.get("subjects", ())),
                )
            )
        return tuple(out)

    def borders(self) -> dict[str, Any] | None:
        given = self.data.get("borders")
        if given is None:
            return None
        doc = self._file(("borders",), given) if isinstance(given, str) else given
        try:
            parse_borders(doc, _dotted(("borders",)))
        except InvalidInput as exc:
            raise self.marks.error(str(exc), self.marks.at(("borders",))) from None
        return dict(doc)


def parse_scenario(
    text: bytes | str, name: str = "<scenario>", base: str | os.PathLike[str] = "."
) -> Scenario:
    """A :class:`Scenario` from YAML text; ``base`` is where relative file names start."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    marks = _Marks(name)
    try:
        loader = _Loader(raw.decode("utf-8"))
        try:
            node = loader.get_single_node()
            if node is None:
                raise marks.error("the file is empty", None)
            marks.walk(node)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 text ({exc.reason})") from None
    except yaml.MarkedYAMLError as exc:
        raise marks.error(f"not YAML: {exc.problem}", exc.problem_mark) from None
    _check_schema(data, marks)
    for number_path in _numbers(data, ()):
        value = _get(data, number_path)
        if not math.isfinite(value):
            raise marks.fail(number_path, f"{value} is not a finite number")
    start = _parse_start(data["start"], marks)
    names = [p["name"] for p in data["parties"]]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise marks.fail(("parties", i, "name"), f"party {n!r} named twice")
    reader = _Reader(data, marks, Path(base))
    reader.read()
    answers = reader.answers()
    officers = reader.officers()
    reader.check_requests(officers)
    borders = reader.borders()
    actions = tuple(a for _, _, a in sorted(reader.actions, key=lambda x: (x[0], x[1])))
    return Scenario(
        name=data["name"],
        start_s=start,
        duration_s=float(data["duration_s"]),
        step_s=float(data.get("step_s", 2.0)),
        parties=tuple((p["name"], p.get("language", "en")) for p in data["parties"]),
        actions=actions,
        answers=answers,
        officers=officers,
        settings=dict(data.get("settings", {})),
        borders=borders,
        description=data.get("description", ""),
        source=raw,
        path=name,
    )


def _numbers(obj: Any, path: Path_) -> Iterator[Path_]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, (*path, i))
    elif isinstance(obj, float):
        yield path


def _get(obj: Any, path: Path_) -> Any:
    for part in path:
        obj = obj[part]
    return obj


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and check a scenario file (see ``docs/scenarios.md``)."""
    name = os.fspath(path)
    try:
        raw = Path(name).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot open ({exc.strerror or exc})") from None
    return parse_scenario(raw, name, Path(name).parent)


def shift_times(feature: Mapping[str, Any], dt_s: float) -> dict[str, Any]:
    """A copy of a GeoJSON feature with its times (``start``, ``end``, ``valid_from``,
    ``valid_to``) moved by ``dt_s`` seconds (a looping demo replays them later)."""
    out: dict[str, Any] = json.loads(json.dumps(feature))
    props = out.get("properties") or {}
    for key in _TIME_PROPS:
        value = props.get(key)
        if isinstance(value, str):
            props[key] = format_time(parse_time(value) + dt_s)
    return out
