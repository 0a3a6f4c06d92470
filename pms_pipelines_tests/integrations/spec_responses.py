"""Responses generated from a vendor's published response schemas, for the vendor-spec fuzz.

An operation's success response schema (OpenAPI 3 or Swagger 2) becomes a plain JSON
Schema (`$ref`s inlined, a recursive one cut after a few levels; OpenAPI's `nullable` /
`x-nullable` spelled as a `null` type; `int32`/`int64` formats as the integer bounds they
mean; documentation keywords dropped; arrays held to a few items, the fuzz test pads a
page when it wants a full one), and that a Hypothesis strategy (`body_strategy`).
hypothesis-jsonschema does the same but fails on this Hypothesis release, and the specs
use a small subset of JSON Schema. Everything else stays as the vendor wrote it: optional
fields are omitted, nulls, extremes and unicode appear because the schema allows them,
and additional properties wherever it does not forbid them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from pms_pipelines_tests.integrations.spec_check import Spec, body_schema

MAX_ITEMS = 4
MAX_DEPTH = 3  # how often one `$ref` may nest inside itself before it is cut off
# What a cut-off `$ref` becomes: an array of it stays empty, an optional property of it
# is left out, an `anyOf` takes another option (never a null the spec does not allow).
CUT = {"not": {}}
_DOCUMENTATION = {"description", "example", "examples", "title", "readOnly", "writeOnly",
                  "xml", "discriminator", "externalDocs", "deprecated", "default"}
_INTEGER_BOUNDS = {"int32": 2**31 - 1, "int64": 2**63 - 1}
_KNOWN_FORMATS = {"date", "date-time", "uuid", "email"}


@dataclass(frozen=True)
class SuccessAnswer:
    """What the spec documents for an operation's first 2xx answer."""

    status: int
    spec_schema: dict[str, Any] | None  # the body's schema as the vendor wrote it
    body: dict[str, Any] | None  # the same as a plain JSON Schema (None: no JSON body)
    headers: dict[str, Any]  # documented response headers, as plain schemas


def success_answer(spec: Spec, method: str, path: str) -> SuccessAnswer:
    """The documented success answer of the operation that serves `method path`."""
    template, _op, _params = spec.operation(method, path)
    key = (id(spec), method, template)
    if key not in _ANSWERS:
        _ANSWERS[key] = _success_answer(spec, method, template)
    return _ANSWERS[key]


_ANSWERS: dict[tuple[int, str, str], SuccessAnswer] = {}  # specs are loaded once a process


def _success_answer(spec: Spec, method: str, template: str) -> SuccessAnswer:
    op = spec.document["paths"][template][method.lower()]
    statuses = sorted(str(s) for s in op.get("responses", {}) if str(s).startswith("2"))
    if not statuses:
        raise AssertionError(f"{method} {template}: the spec documents no 2xx answer")
    response = spec.resolve(op["responses"].get(statuses[0], op["responses"].get(
        int(statuses[0]))))
    schema = body_schema(spec, response)
    headers = {}
    for name, header in (response.get("headers") or {}).items():
        header = spec.resolve(header)
        header_schema = header.get("schema", header if "type" in header else None)
        if header_schema is not None:
            headers[name] = _plain(spec, header_schema)
    return SuccessAnswer(int(statuses[0]), schema,
                         None if schema is None else _plain(spec, schema), headers)


def _plain(spec: Spec, node: Any, seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [_plain(spec, item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if seen.count(ref) >= MAX_DEPTH:
            return dict(CUT)  # deep enough: the recursive value is left out
        return _plain(spec, spec.resolve(node), (*seen, ref))
    out = {key: _plain(spec, value, seen) for key, value in node.items()
           if key not in _DOCUMENTATION and not key.startswith("x-")
           and key not in ("nullable", "format", "properties")}
    if isinstance(node.get("properties"), dict):  # property names are data, not keywords
        out["properties"] = {name: _plain(spec, value, seen)
                             for name, value in node["properties"].items()}
    fmt = node.get("format")
    if fmt in _INTEGER_BOUNDS and out.get("type") == "integer":
        out.setdefault("maximum", _INTEGER_BOUNDS[fmt])
        out.setdefault("minimum", -_INTEGER_BOUNDS[fmt] - 1)
    elif fmt in _KNOWN_FORMATS:
        out["format"] = fmt
    if out.get("type") == "array":
        out["maxItems"] = min(out.get("maxItems", MAX_ITEMS), MAX_ITEMS)
    if node.get("nullable") or node.get("x-nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def body_strategy(schema: Any) -> st.SearchStrategy[Any]:
    """JSON values valid under `schema` (a plain schema from `success_schema`)."""
    return _strategy(json.dumps(schema, sort_keys=True))


@functools.lru_cache(maxsize=None)
def _strategy(schema_text: str) -> st.SearchStrategy[Any]:
    return _of(json.loads(schema_text))


_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
_JSON = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=6), inner, max_size=2)),
    max_leaves=4)
_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date": st.dates().map(lambda d: d.isoformat()),
    # RFC 3339: always an offset, in whole minutes.
    "date-time": st.datetimes(timezones=st.integers(-1439, 1439).map(
        lambda minutes: timezone(timedelta(minutes=minutes)))).map(
        lambda moment: moment.isoformat()),
    "uuid": st.uuids().map(str),
    "email": st.emails(),
}


def _of(schema: Any) -> st.SearchStrategy[Any]:
    if schema is True or schema == {}:
        return _JSON
    if schema is False or schema == CUT:
        return st.nothing()
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        return st.one_of([_of(_merged(rest, option))
                          for option in schema.get("anyOf", schema.get("oneOf"))])
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged = _merged(merged, part)
        return _of(merged)
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_of({**schema, "type": one}) for one in kind])
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    if kind is None:
        return _JSON
    return _TYPES[kind](schema)


def _merged(base: dict[str, Any], extra: Any) -> dict[str, Any]:
    if not isinstance(extra, dict):
        return base
    if extra == CUT:
        return dict(CUT)
    out = {**base, **extra}
    out["properties"] = {**base.get("properties", {}), **extra.get("properties", {})}
    out["required"] = sorted({*base.get("required", ()), *extra.get("required", ())})
    if not out["properties"]:
        del out["properties"]
    if not out["required"]:
        del out["required"]
    return out


def _integer(schema: dict[str, Any]) -> st.SearchStrategy[int]:
    return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))


def _number(schema: dict[str, Any]) -> st.SearchStrategy[float]:
    return st.floats(min_value=schema.get("minimum"), max_value=schema.get("maximum"),
                     allow_nan=False, allow_infinity=False)


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    low = schema.get("minLength", 0)
    return st.text(min_size=low, max_size=max(low, min(schema.get("maxLength", 20), 20)))


def _array(schema: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    low = schema.get("minItems", 0)
    if schema.get("items") == CUT:
        return st.just([]) if low == 0 else st.nothing()
    return st.lists(_of(schema.get("items", {})), min_size=low,
                    max_size=max(low, schema.get("maxItems", MAX_ITEMS)))


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = [name for name in schema.get("required", ()) if name in properties]
    known = st.fixed_dictionaries(
        {name: _of(properties[name]) for name in required},
        optional={name: _of(value) for name, value in properties.items()
                  if name not in required and value != CUT})
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return known
    others = st.dictionaries(st.text(max_size=8).filter(lambda k: k not in properties),
                             _of(extra), max_size=2)
    return st.builds(lambda more, mine: {**more, **mine}, others, known)


_TYPES = {"null": lambda _s: st.none(), "boolean": lambda _s: st.booleans(),
          "integer": _integer, "number": _number, "string": _string, "array": _array,
          "object": _object}
