"""Error bodies: only the fields an integration declares from its spec's error schema reach
an error text, as text and bounded; any other body is known by its size alone."""

from __future__ import annotations

import json

import pytest

from pms_pipelines.integrations.kit.vendor_errors import OAUTH_ERROR, ErrorFields, read_error

SERVICESTACK = ErrorFields(code=("ResponseStatus.ErrorCode",), message=("ResponseStatus.Message",),
                           details="ResponseStatus.Errors", detail_keys=("FieldName", "Message"))
CONTACT = {"NameText": "Chloe Ryan", "Email": "chloe@example.com", "CellPhone": "0412 345 678",
           "BankAccountNumber": "123456789", "message": "Chloe's note"}


@pytest.mark.parametrize("body, kind", [
    (json.dumps([CONTACT, CONTACT]).encode(), "a JSON array"),  # PropertyMe's documented 400
    (json.dumps({"contact": CONTACT, "note": "Chloe Ryan"}).encode(), "a JSON object"),
    (json.dumps({"ResponseStatus": {"Message": CONTACT}}).encode(), "a JSON object"),
    (b"<html><body>Chloe Ryan, 0412 345 678</body></html>", "a non-JSON body"),
    (b"", "an empty body"),
    (b"null", "a JSON value"),
])
def test_an_unknown_body_is_known_by_its_size_alone(body: bytes, kind: str) -> None:
    said = read_error(body, (SERVICESTACK, OAUTH_ERROR))
    assert str(said) == f"no error fields the kit knows in {kind} ({len(body)}-byte body)"
    assert said.code is None and said.body_bytes == len(body)


def test_declared_fields_are_read_with_their_field_errors() -> None:
    body = json.dumps({"ResponseStatus": {
        "ErrorCode": "ArgumentException", "Message": "Invalid timestamp value",
        "StackTrace": "at Contact(Chloe Ryan)",
        "Errors": [{"FieldName": "Timestamp", "Message": "must be a number"}]}}).encode()
    said = read_error(body, (SERVICESTACK, OAUTH_ERROR))
    assert said.code == "ArgumentException"
    assert said.message == "Invalid timestamp value (Timestamp: must be a number)"
    assert "Chloe" not in str(said) and str(said).endswith(f"({len(body)}-byte body)")


def test_a_later_schema_answers_when_the_first_finds_nothing() -> None:
    said = read_error(b'{"error": "invalid_grant", "error_description": "used"}',
                      (SERVICESTACK, OAUTH_ERROR))
    assert (said.code, said.message) == ("invalid_grant", "used")
    assert str(said).startswith("invalid_grant: used (")


def test_declared_fields_are_bounded() -> None:
    body = json.dumps({"error": "x" * 5000, "error_description": "y\n" * 5000}).encode()
    said = read_error(body, (OAUTH_ERROR,))
    assert len(str(said)) < 500
