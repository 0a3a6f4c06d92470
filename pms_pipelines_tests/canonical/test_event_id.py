"""`event_id_for` keeps its published definition (ids already in the stream and the lake
depend on it) while encoding through orjson: same bytes as `json.dumps`."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from pms_pipelines.canonical.model import (
    RECORD_TYPES,
    Address,
    Contact,
    Landlord,
    Property,
    Tenancy,
    event_from_json,
    event_id_for,
    record_key,
)

TRICKY_TEXT = ["Zoë Brontë", "line\nbreak\ttab", 'say "hi" \\ back', "del\x7fete", "emoji 😀",
               "\u2028 separator", "ctl \x01\x1f", "plain / slash"]


def _reference(source, agency_id, entity, source_id, op, data) -> str:
    """The definition as first written: json.dumps with sorted keys, then SHA-256."""
    body = {"key": record_key(source, agency_id, entity, source_id), "op": op,
            "data": None if data is None else data.model_dump(mode="json")}
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def _records(text: str) -> list:
    address = Address(line1=text, city="Leeds", country="GB", postcode=None)
    return [
        Property(name=text, address=address, property_type="house", status="active",
                 landlord_ids=("L1", text), bedrooms=3),
        Landlord(kind="person", first_name=text, contact=Contact(email=text), address=address),
        Tenancy(property_id="P1", tenant_ids=(text,), start_date=date(2026, 1, 1),
                is_periodic=True, rent_amount=Decimal("1200.50"), rent_currency="GBP",
                rent_frequency="monthly", status="active", status_raw=text),
    ]


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_event_id_matches_the_json_dumps_definition(text: str) -> None:
    for record in _records(text):
        entity = type(record).__name__.lower()
        for op, data in (("upsert", record), ("delete", None)):
            args = ("buildium", f"agency {text}", entity, f"id-{text}", op, data)
            assert event_id_for(*args) == _reference(*args)


def test_a_key_pydantic_cannot_encode_still_gets_its_id() -> None:
    args = ("buildium", "acme", "tenant", "lone \ud800 surrogate", "delete", None)
    assert event_id_for(*args) == _reference(*args)


def test_event_id_changes_with_content() -> None:
    first, second = _records("a")[0], _records("b")[0]
    args = ("buildium", "acme", "property", "P1", "upsert")
    assert event_id_for(*args, first) != event_id_for(*args, second)


def test_dicts_inside_lists_are_sorted_as_json_dumps_sorts_them() -> None:
    """No record has a list of sub-objects yet; when one does, its ids must not change
    definition silently (the validator uses the same encoder)."""
    from pms_pipelines.canonical.model import _sorted_compact_json

    document = {"z": [{"b": 1, "a": {"d": [{"y": 2, "x": 1}], "c": 0}}, ("t", {"q": 1, "p": 2})],
                "a": None}
    expected = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert _sorted_compact_json(document) == expected


def test_no_record_has_a_float_field() -> None:
    """orjson writes some floats unlike json.dumps (1e-7 against 1e-07), so the fast
    encoder is exact only while records carry none (money is Decimal, dumped as text)."""
    def floats(schema: object) -> list[object]:
        if isinstance(schema, dict):
            found = [schema] if schema.get("type") == "float" else []
            return found + [f for value in schema.values() for f in floats(value)]
        if isinstance(schema, list):
            return [f for value in schema for f in floats(value)]
        return []

    for name, record_type in RECORD_TYPES.items():
        assert floats(record_type.__pydantic_core_schema__) == [], name


def _document(data: dict | None, event_id: str) -> dict:
    return {"schema": "pms.event/v1", "event_id": event_id,
            "op": "delete" if data is None else "upsert", "entity": "tenant",
            "source": "buildium", "agency_id": "a1", "source_id": "t1", "version": 1,
            "observed_at": "2026-01-01T00:00:00Z", "data": data}


def _id(data: dict | None) -> str:
    model = None if data is None else RECORD_TYPES["tenant"].model_validate(data)
    return event_id_for("buildium", "a1", "tenant", "t1", "delete" if data is None else
                        "upsert", model)


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_event_from_json_takes_the_ids_our_producers_write(text: str) -> None:
    data = {"first_name": text, "last_name": None, "date_of_birth": "1990-02-03",
            "contact": {"email": None, "phone": "+44"}}
    event = event_from_json(json.loads(json.dumps(_document(data, _id(data)))))
    assert event.data.first_name == text
    assert event_from_json(_document(None, _id(None))).op == "delete"


def test_event_from_json_checks_the_record_when_the_sent_data_is_not_its_dump() -> None:
    # Sent without its defaults and with a NUL the model drops: the id of the record.
    sent = {"first_name": "Ann\x00"}
    event = event_from_json(_document(sent, _id({"first_name": "Ann"})))
    assert event.data.first_name == "Ann"


@pytest.mark.parametrize("document", [
    _document({"first_name": "Ann"}, _id({"first_name": "Bob"})),
    _document({"first_name": "Ann"}, _id(None)),
    {**_document({"first_name": "Ann"}, _id({"first_name": "Ann"})), "source_id": "t2"},
])
def test_event_from_json_refuses_an_id_of_other_content(document: dict) -> None:
    with pytest.raises(ValidationError, match="event_id does not match"):
        event_from_json(document)


def test_event_from_json_takes_python_objects_too() -> None:
    # Not JSON after all (a model where JSON has an object): the record's dump decides.
    record = RECORD_TYPES["tenant"].model_validate({"first_name": "Ann"})
    assert event_from_json(_document(record, _id({"first_name": "Ann"}))).data == record


def test_event_from_json_hashes_what_was_sent_before_dumping_the_record(monkeypatch) -> None:
    data = {"first_name": "Ann", "last_name": None, "date_of_birth": None,
            "contact": {"email": None, "phone": None}}
    document = _document(data, _id(data))

    def no_dump(*args, **kwargs):
        raise RuntimeError("dumped the record")

    monkeypatch.setattr(RECORD_TYPES["tenant"], "model_dump", no_dump)
    assert event_from_json(document).data.first_name == "Ann"
    with pytest.raises(RuntimeError, match="dumped"):
        event_from_json({**document, "data": {"first_name": "Ann"}})
