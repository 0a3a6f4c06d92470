"""The sanitizer: failures that carry a credential, an email, a phone number, a bearer
token, a URL with a token or a response body come out without them."""

from __future__ import annotations

import pytest

from pms_pipelines.alerts.sanitize import FIRST_LINE_LIMIT, safe_identifier, scrub_first_line

SECRETS = {
    "credential": "hunter2-Sup3rSecret",
    "email": "jane.doe+rent@example.co.uk",
    "phone": "+44 20 7946 0958",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
    "url_token": "tok_9f8e7d6c5b4a39281716",
    "name": "Jane Doe",
    "aws_key": "AKIAIOSFODNN7EXAMPLE",
}

CASES = [
    ("login failed: password=hunter2-Sup3rSecret for client buildium", "credential"),
    ("tenant jane.doe+rent@example.co.uk has no lease", "email"),
    ("could not reach landlord on +44 20 7946 0958 today", "phone"),
    ("GET /v1/leases returned 401 for Authorization: Bearer "
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "bearer"),
    ("retrying https://api.example.com/v1/tenants?access_token=tok_9f8e7d6c5b4a39281716",
     "url_token"),
    ("GET /v1/tenants failed with HTTP 400 after 1 attempt(s): Tenant Jane Doe is archived",
     "name"),
    ("mapping failed: {\"FirstName\": \"Jane\", \"LastName\": \"Doe\", \"Phone\": \"0207\"}",
     "name"),
    ("not a date: 'Jane Doe'", "name"),
    ("boto3 used AKIAIOSFODNN7EXAMPLE", "aws_key"),
]


@pytest.mark.parametrize(("text", "kind"), CASES)
def test_secret_and_personal_data_are_removed(text: str, kind: str) -> None:
    scrubbed = scrub_first_line(text)
    assert SECRETS[kind] not in scrubbed
    for part in SECRETS[kind].replace("+", " ").replace(".", " ").split():
        if len(part) > 3 and part.lower() not in {"bearer"}:
            assert part not in scrubbed, (part, scrubbed)


def test_the_useful_part_stays() -> None:
    assert scrub_first_line("GET /v1/rentals failed with HTTP 503 after 4 attempt(s): busy") == (
        "GET /v1/rentals failed with HTTP 503 after 4 attempt(s): [vendor message withheld]")
    assert scrub_first_line("stream pms-events has no shard shardId-000000000003") == (
        "stream pms-events has no shard shardId-000000000003")
    assert scrub_first_line("password=x") == "password=[redacted]"
    assert "[email]" in scrub_first_line("mail a@b.io")


def test_basic_auth_in_a_url_is_removed() -> None:
    scrubbed = scrub_first_line("connect https://svc:pa55w0rd@db.internal:5432/pms failed")
    assert "pa55w0rd" not in scrubbed and "svc" not in scrubbed
    assert "db.internal" in scrubbed


def test_only_the_first_line_and_bounded() -> None:
    text = "\n\nfirst line here\nsecond line with jane@example.com\n" + "x" * 500
    assert scrub_first_line(text) == "first line here"
    long = scrub_first_line("word " * 200)
    assert len(long) == FIRST_LINE_LIMIT and long.endswith("…")
    assert scrub_first_line(None) == "" and scrub_first_line("  \n ") == ""


def test_control_characters_are_dropped() -> None:
    assert scrub_first_line("bell\x07 and \x1b[31mred") == "bell and [body removed]"


def test_identifiers_keep_only_safe_characters() -> None:
    assert safe_identifier("buildium_pull_job") == "buildium_pull_job"
    assert safe_identifier("lake/tenant") == "lake/tenant"
    assert safe_identifier("jane@example.com <script>") == "jane_example.com__script_"
    assert safe_identifier(None) is None
    assert len(safe_identifier("a" * 500)) == 120
