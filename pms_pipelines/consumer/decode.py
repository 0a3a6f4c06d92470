"""Turns a stream record's bytes into a canonical `Event`, or says precisely why not.

The reason lands in the dead-letter table, where a person reads it: it names the first
thing wrong (size, encoding, JSON, shape, schema version, fields) and stays short.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import orjson
from pydantic import ValidationError

from pms_pipelines.canonical.model import (
    CLOCK_SKEW,
    RECORD_TYPES,
    SCHEMA_V1,
    Event,
    event_from_json,
)
from pms_pipelines.db.storable_text import storable_text

MAX_EVENT_BYTES = 1024 * 1024  # the Kinesis record limit; anything larger was not ours
MAX_REASON_CHARS = 500
KNOWN_SCHEMAS = (SCHEMA_V1,)


class InvalidEvent(ValueError):
    """The bytes are not a valid canonical event; `reason` says why."""

    def __init__(self, reason: str) -> None:
        # A reason can quote the input (an unknown field's name): always storable and short.
        reason = storable_text(reason, MAX_REASON_CHARS)
        super().__init__(reason)
        self.reason = reason


def decode_event(raw: bytes, arrived_at: datetime | None = None) -> Event:
    """Decode and validate one record's bytes; raise `InvalidEvent` if they are not an event.

    An event observed more than the clock skew after the record `arrived_at` the stream
    (default: now) is refused: its version would make the record's real later updates
    look stale. The arrival time comes with the record, so a replay decides the same."""
    event = _decode(raw)
    arrived = arrived_at or datetime.now(timezone.utc)
    if event.observed_at > arrived + CLOCK_SKEW:
        raise InvalidEvent(
            f"observed_at {event.observed_at.isoformat()} is more than "
            f"{CLOCK_SKEW.total_seconds():.0f} s after the record arrived "
            f"({arrived.isoformat(timespec='seconds')}): an event from the future would "
            "freeze its record")
    return event


def _decode(raw: bytes) -> Event:
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"oversized: {len(raw)} bytes, the limit is {MAX_EVENT_BYTES}")
    # The usual case: orjson parses, pydantic validates the objects (the envelope's
    # record is validated from Python objects in any case). It accepts what the path
    # below accepts, except that it would fill in a missing `schema` and that money sent
    # as a JSON number (producers write a string) loses trailing zeros, as it did with
    # pydantic's own JSON parser. Whatever it refuses goes the path below, which names
    # the reason.
    try:
        event = event_from_json(orjson.loads(raw))
    except (orjson.JSONDecodeError, ValidationError):
        pass
    else:
        if "schema_" in event.model_fields_set:
            return event
    return _decode_precisely(raw)


def _decode_precisely(raw: bytes) -> Event:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidEvent(f"not UTF-8: invalid byte at offset {err.start}") from None
    try:
        # Decimal keeps money exact; NaN and Infinity are not JSON.
        document = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise InvalidEvent(
            _clip(f"not JSON: {err.msg} at line {err.lineno} column {err.colno}")
        ) from None
    except (ValueError, RecursionError) as err:
        raise InvalidEvent(_clip(f"not JSON: {err}")) from None
    if not isinstance(document, dict):
        raise InvalidEvent(f"not a JSON object: got {_json_type(document)}")
    schema = document.get("schema")
    if schema not in KNOWN_SCHEMAS:
        shown = "missing" if "schema" not in document else repr(schema)[:80]
        raise InvalidEvent(f"unknown schema version: {shown}, expected one of {KNOWN_SCHEMAS}")
    try:
        return Event.model_validate(document)
    except ValidationError as err:
        raise InvalidEvent(_data_problems(document) or summarise_validation_error(err)) from None


def summarise_validation_error(err: ValidationError, prefix: tuple[str, ...] = ()) -> str:
    """'invalid event: <field>: <message>; ...' without echoing the input values."""
    problems = []
    for error in err.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in (*prefix, *error["loc"]))
        problems.append(f"{where}: {error['msg']}" if where else error["msg"])
    return _clip(f"invalid event: {'; '.join(problems)}")


def _data_problems(document: dict) -> str | None:
    """The record's own errors, located under `data.`; only on the error path.

    The envelope validates `data` in a before-validator, whose errors lose the `data`
    prefix; validating the record alone tells a person where to look.
    """
    entity = document.get("entity")
    record_type = RECORD_TYPES.get(entity) if isinstance(entity, str) else None
    data = document.get("data")
    if record_type is None or not isinstance(data, dict):
        return None
    try:
        record_type.model_validate(data)
    except ValidationError as err:
        return summarise_validation_error(err, prefix=("data",))
    return None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _clip(reason: str) -> str:
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    return reason[: MAX_REASON_CHARS - 3] + "..."
