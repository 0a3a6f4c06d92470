"""decode_event: each kind of malformed input gets its own, specific reason."""

from __future__ import annotations

import json

import pytest

from pms_pipelines.consumer.decode import MAX_REASON_CHARS, InvalidEvent, decode_event
from pms_pipelines_tests.db.sample_events import event, tenancy_record, tenant_record

GOOD = event("tenancy", "TY1", tenancy_record(), 10)


def _mutated(**changes: object) -> bytes:
    document = json.loads(GOOD.to_bytes())
    for name, value in changes.items():
        if value is ...:
            del document[name]
        else:
            document[name] = value
    return json.dumps(document).encode()


def _with_data(**changes: object) -> bytes:
    document = json.loads(GOOD.to_bytes())
    document["data"].update(changes)
    return json.dumps(document).encode()


MALFORMED = {
    "oversized": (b" " * (1024 * 1024 + 1), "oversized: 1048577 bytes"),
    "not utf-8": (b'{"a": "\xff"}', "not UTF-8: invalid byte at offset 7"),
    "empty": (b"", "not JSON: Expecting value at line 1 column 1"),
    "truncated": (GOOD.to_bytes()[:40], "not JSON: "),
    "NaN": (b'{"version": NaN}', "not JSON: NaN is not allowed"),
    "deeply nested": (b"[" * 100_000, "not JSON"),
    "array": (b"[1, 2]", "not a JSON object: got array"),
    "string": (b'"hello"', "not a JSON object: got string"),
    "null": (b"null", "not a JSON object: got null"),
    "number": (b"42", "not a JSON object: got number"),
    "no schema": (_mutated(schema=...), "unknown schema version: missing"),
    "future schema": (_mutated(schema="pms.event/v2"), "unknown schema version: 'pms.event/v2'"),
    "bad op": (_mutated(op="merge"), "invalid event: op: Input should be 'upsert' or 'delete'"),
    "unknown entity": (_mutated(entity="owner"), "invalid event: entity: Input should be"),
    "negative version": (_mutated(version=-1), "invalid event: version: Input should be greater"),
    "missing key": (_mutated(source_id=...), "invalid event: source_id: Field required"),
    "extra field": (_mutated(colour="red"), "invalid event: colour: Extra inputs are not"),
    "bad data field": (_with_data(rent_amount="-5"),
                       "invalid event: data.rent_amount: Input should be greater than"),
    "bad data rule": (_with_data(rent_currency="XXQ"),
                      "invalid event: data: Value error, rent_currency 'XXQ' is not"),
    "wrong entity data": (_mutated(data=json.loads(
        tenant_record().model_dump_json())), "invalid event: data.property_id: Field required"),
    "naive timestamp": (_mutated(observed_at="2026-01-01T00:00:00"),
                        "invalid event: Value error, observed_at must carry a timezone"),
    "tampered content": (_with_data(status="ended"),
                         "invalid event: Value error, event_id does not match"),
    "delete with data": (_mutated(op="delete"), "invalid event: Value error, a delete event"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_input_has_a_specific_reason(case: str) -> None:
    raw, expected_start = MALFORMED[case]
    with pytest.raises(InvalidEvent) as err:
        decode_event(raw)
    assert err.value.reason.startswith(expected_start), err.value.reason
    assert str(err.value) == err.value.reason
    assert len(err.value.reason) <= MAX_REASON_CHARS


def test_many_errors_are_summarised_short() -> None:
    document = {"schema": "pms.event/v1", **{f"field_{i}": i for i in range(200)}}
    with pytest.raises(InvalidEvent) as err:
        decode_event(json.dumps(document).encode())
    assert len(err.value.reason) <= MAX_REASON_CHARS and err.value.reason.endswith("...")


def test_reasons_do_not_echo_personal_data() -> None:
    raw = _mutated(data={"first_name": "Secret Person", "bogus": 1}, entity="tenant")
    with pytest.raises(InvalidEvent) as err:
        decode_event(raw)
    assert "Secret Person" not in err.value.reason


@pytest.mark.parametrize("good", [
    GOOD, event("tenant", "T1", None, 5), event("tenant", "T1", tenant_record(), 5),
], ids=["tenancy", "delete", "tenant"])
def test_valid_events_round_trip(good) -> None:
    assert decode_event(good.to_bytes()) == good
