"""Hypothesis strategies for what anyone may put on the stream: valid events of a few keys
(newer, older, repeated, deleted), arbitrary bytes, arbitrary JSON, and valid events with
one field, anywhere in the document, replaced by a hostile value (huge and negative
integers, floats, NaN, U+0000, lone surrogates, 1 MB strings, wrong types, nested
objects, unknown ops and entities), written as JSON or as raw invalid UTF-8."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from pms_pipelines.canonical import Tenancy, Tenant, make_event
from pms_pipelines_tests.reliability.common import T0

SOURCE_IDS = ("1", "2", "3")


@dataclass(frozen=True)
class StreamInput:
    kind: str  # 'valid' | 'bytes' | 'json' | 'hostile field'
    partition_key: str
    data: bytes


any_text = st.text(st.characters(exclude_categories=()), max_size=12)  # surrogates too
hostile_scalars = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**63, 2**63 - 1, 2**64, -1, -(2**63) - 1, 0, 10**400]),
    st.floats(),  # NaN and infinities too: json.dumps writes them, JSON forbids them
    st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x\udfff", "\ud83d", "🏠", "9" * 5000,
                     "erase", "UPSERT", "parking_space", "pms.event/v2", "2026-02-30",
                     "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "ZZZ",
                     "-1e308", "NaN"]),
    any_text, st.booleans(), st.none(),
)
json_values = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(any_text, inner, max_size=3)),
    max_leaves=8)
huge_string = st.just("x" * 1_000_000)  # a 1 MB value still inside Kinesis' record limit


@st.composite
def valid_events(draw: Any, agency: str) -> StreamInput:
    source_id = draw(st.sampled_from(SOURCE_IDS))
    entity = draw(st.sampled_from(["tenant", "tenancy"]))
    observed_at = T0 + timedelta(seconds=draw(st.integers(0, 50)))
    data: Tenant | Tenancy | None
    if draw(st.integers(0, 5)) == 0:
        data = None
    elif entity == "tenant":
        data = Tenant(first_name=draw(st.sampled_from(["Ada", "Zoë", "李", "O'Brien"])),
                      last_name=source_id)
    else:
        data = Tenancy(property_id="P" + source_id, tenant_ids=(source_id,),
                       is_periodic=draw(st.booleans()), rent_frequency="monthly",
                       rent_amount=Decimal(draw(st.integers(0, 10**6))) / 100,
                       rent_currency="GBP", status="active")
    event = make_event(source="buildium", agency_id=agency, entity=entity,
                       source_id=source_id, data=data, observed_at=observed_at)
    return StreamInput("valid", event.key, event.to_bytes())


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document a value can be replaced (the document's own too)."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            paths.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            paths.extend(_paths(inner, (*prefix, index)))
    return paths


def _replaced(document: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[head] = _replaced(document[head], tuple(rest), new)
    return copy


@st.composite
def hostile_field_events(draw: Any, agency: str) -> StreamInput:
    """A valid event with one value replaced, or one unknown field added."""
    base = draw(valid_events(agency))
    document = json.loads(base.data)
    value = draw(st.one_of(json_values, huge_string) if draw(st.integers(0, 30)) == 0
                 else json_values)
    if draw(st.integers(0, 6)) == 0:
        parent = draw(st.sampled_from([p for p in _paths(document)
                                       if isinstance(_get(document, p), dict)]))
        name = draw(any_text)
        document = _replaced(document, parent, {**_get(document, parent), name: value})
    else:
        document = _replaced(document, draw(st.sampled_from(_paths(document)[1:])), value)
    return StreamInput("hostile field", base.partition_key, _dumps(draw, document))


def _get(document: Any, path: tuple) -> Any:
    for part in path:
        document = document[part]
    return document


def _dumps(draw: Any, document: Any) -> bytes:
    """As JSON with escapes (a lone surrogate travels as `\\ud800`), or raw (it becomes
    bytes that are not UTF-8)."""
    if draw(st.booleans()):
        return json.dumps(document).encode()
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def arbitrary_json(draw: Any) -> StreamInput:
    return StreamInput("json", "json", _dumps(draw, draw(json_values)))


arbitrary_bytes = st.builds(lambda data: StreamInput("bytes", "bytes", data),
                            st.binary(min_size=1, max_size=300))


def stream_inputs(agency: str) -> st.SearchStrategy[list[StreamInput]]:
    """A stream's worth: mostly valid events, with every kind of hostile record mixed in."""
    one = st.one_of(valid_events(agency), valid_events(agency), hostile_field_events(agency),
                    arbitrary_json(), arbitrary_bytes)
    return st.lists(one, min_size=4, max_size=30)
