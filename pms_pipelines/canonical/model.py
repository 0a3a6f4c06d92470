"""The canonical model v1: one envelope for every PMS record, and the four entities.

This module is the contract between integrations (producers) and the consumer. It
imports nothing else from the project. Money is `Decimal` (serialised as a string),
never float. Each enum keeps the provider's raw value beside the normalised one, so a
value we do not know becomes `other` without losing information.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Annotated, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

import orjson

from pms_pipelines.canonical.currencies import ISO_4217

SCHEMA_V1 = "pms.event/v1"
# How far a producer's clock may run ahead: a version may exceed its own `observed_at`
# (in µs) by this much, and the consumer refuses an event observed this much after it
# arrived on the stream. A version from the future would make every real later update
# of its record look stale; one beyond `bigint` cannot be stored at all.
CLOCK_SKEW = timedelta(minutes=5)
MAX_VERSION = 2**63 - 1  # Postgres bigint

Entity = Literal["property", "landlord", "tenant", "tenancy"]
ENTITIES: tuple[str, ...] = ("property", "landlord", "tenant", "tenancy")
Op = Literal["upsert", "delete"]



def _without_nul(value: object) -> object:
    # Postgres `text` cannot hold U+0000, and no PMS means anything by it in a name:
    # dropped here, so one such character cannot stall a shard. Other characters stay.
    return value.replace("\x00", "") if isinstance(value, str) else value


# The length is checked after the NULs are dropped (pydantic-core applies validators
# listed later around earlier ones), natively rather than by a Python call per field.
Text = Annotated[str, StringConstraints(max_length=2000), BeforeValidator(_without_nul)]
# An id is identity: one with U+0000 is refused rather than silently changed.
Key = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2, ge=0)]

PropertyType = Literal[
    "house", "apartment", "townhouse", "condo", "room", "commercial", "other"
]
PropertyStatus = Literal["active", "inactive", "other"]
RentFrequency = Literal[
    "weekly", "fortnightly", "four_weekly", "monthly", "bimonthly", "quarterly",
    "half_yearly", "yearly", "one_time", "other",
]
TenancyStatus = Literal["pending", "future", "active", "ended", "cancelled", "other"]
# One tenant's standing on a tenancy: living there, yet to move in, or moved out while
# the tenancy goes on (a co-tenant who left).
TenantStatus = Literal["current", "future", "moved_out", "other"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Record):
    line1: Text | None = None
    line2: Text | None = None
    line3: Text | None = None
    city: Text | None = None
    region: Text | None = None
    postcode: Text | None = None
    country: CountryCode | None = None
    # The provider's country when it maps to no ISO code, so an unmapped value is not lost.
    country_raw: Text | None = None


class Contact(_Record):
    email: Text | None = None
    phone: Text | None = None


class Property(_Record):
    """A lettable dwelling: a Buildium/Propertyware unit, a Reapit property, a PropertyMe lot."""

    name: Text | None = None
    address: Address
    property_type: PropertyType
    property_type_raw: Text | None = None
    bedrooms: Annotated[int, Field(ge=0, le=100)] | None = None
    # Providers send bedrooms as enums ("OneBed", "NotSet"); the raw value survives a miss.
    bedrooms_raw: Text | None = None
    status: PropertyStatus
    status_raw: Text | None = None
    landlord_ids: tuple[Key, ...] = ()
    # Source id of the parent building (Buildium rental property, Propertyware building) at
    # the same PMS, so the app can group units; buildings are not records of their own.
    building_id: Key | None = None


class Landlord(_Record):
    kind: Literal["person", "company"]
    first_name: Text | None = None
    last_name: Text | None = None
    company_name: Text | None = None
    contact: Contact = Contact()
    address: Address | None = None


class Tenant(_Record):
    first_name: Text | None = None
    last_name: Text | None = None
    date_of_birth: date | None = None
    contact: Contact = Contact()


class TenancyTenant(_Record):
    """What a PMS says about one tenant of a tenancy, where it says anything."""

    tenant_id: Key
    status: TenantStatus | None = None
    status_raw: Text | None = None
    move_in_date: date | None = None
    move_out_date: date | None = None


class Tenancy(_Record):
    property_id: Key
    tenant_ids: tuple[Key, ...] = ()
    # Per tenant, for PMSs that state it; each names a tenant of `tenant_ids`, once.
    tenants: tuple[TenancyTenant, ...] = ()
    start_date: date | None = None
    end_date: date | None = None
    move_in_date: date | None = None
    move_out_date: date | None = None
    is_periodic: bool
    rent_amount: Money | None = None
    rent_currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    rent_frequency: RentFrequency
    rent_frequency_raw: Text | None = None
    deposit_amount: Money | None = None
    status: TenancyStatus
    status_raw: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Tenancy:
        if self.rent_currency is not None and self.rent_currency not in ISO_4217:
            raise ValueError(f"rent_currency {self.rent_currency!r} is not an ISO-4217 code")
        if self.rent_amount is not None and self.rent_currency is None:
            raise ValueError("rent_amount needs rent_currency")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        named = [t.tenant_id for t in self.tenants]
        if len(set(named)) != len(named):
            raise ValueError("tenants names a tenant twice")
        if not set(named) <= set(self.tenant_ids):
            raise ValueError("tenants names a tenant who is not in tenant_ids")
        return self


RECORD_TYPES: dict[str, type[_Record]] = {
    "property": Property,
    "landlord": Landlord,
    "tenant": Tenant,
    "tenancy": Tenancy,
}
CanonicalRecord = Union[Property, Landlord, Tenant, Tenancy]


class Event(BaseModel):
    """The envelope published to the stream, one per observation of one record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["pms.event/v1"] = Field(SCHEMA_V1, alias="schema")
    event_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    op: Op
    entity: Entity
    source: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    agency_id: Key
    source_id: Key
    # Strict: a JSON number only (no "12", true or 1.0), from 0 to bigint's maximum.
    version: Annotated[int, Field(
        strict=True, ge=0, le=MAX_VERSION,
        description="Grows with each newer observation of the key (ours: observed_at in "
                    "µs since the epoch); at most observed_at, in µs, plus "
                    f"{CLOCK_SKEW.total_seconds() / 60:.0f} minutes of clock skew")]
    observed_at: datetime
    source_updated_at: datetime | None = None
    data: CanonicalRecord | None = None

    @model_validator(mode="before")
    @classmethod
    def _typed_data(cls, values: object) -> object:
        # Pick the record type from `entity`, so a tenancy can never validate as a tenant.
        if isinstance(values, dict) and isinstance(values.get("data"), dict):
            entity = values.get("entity")
            # Not a string (a JSON array, say): left to the `entity` field's own error.
            record_type = RECORD_TYPES.get(entity) if isinstance(entity, str) else None
            if record_type is not None:
                values = {**values, "data": record_type.model_validate(values["data"])}
        return values

    @model_validator(mode="after")
    def _op_matches_data(self, info: ValidationInfo) -> Event:
        if self.op == "delete" and self.data is not None:
            raise ValueError("a delete event carries no data")
        if self.op == "upsert":
            if self.data is None:
                raise ValueError("an upsert event needs data")
            if not isinstance(self.data, RECORD_TYPES[self.entity]):
                raise ValueError(f"data is not a {self.entity}")
        for name in ("observed_at", "source_updated_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must carry a timezone")
        if self.version - _CLOCK_SKEW_US > version_at(self.observed_at):
            raise ValueError(
                f"version is more than {CLOCK_SKEW.total_seconds():.0f} s (the clock skew "
                "allowed) after observed_at: a version from the future would freeze its record")
        context = info.context or {}
        if context.get("event_id_from") is _MAKE_EVENT:
            return self  # make_event computed the id from these very fields
        key = record_key(self.source, self.agency_id, self.entity, self.source_id)
        parsed = context.get("parsed")
        if isinstance(parsed, _ParsedData) and self.event_id == parsed.event_id(key, self.op):
            return self  # see event_from_json
        data = None if self.data is None else self.data.model_dump(mode="json")
        if self.event_id != _event_id(key, self.op, data):
            raise ValueError("event_id does not match the event's key and content")
        return self

    @property
    def key(self) -> str:
        """The partition key: all events of one record land on one shard, in order."""
        return record_key(self.source, self.agency_id, self.entity, self.source_id)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


def record_key(source: str, agency_id: str, entity: str, source_id: str) -> str:
    return f"{source}/{agency_id}/{entity}/{source_id}"


def event_id_for(
    source: str, agency_id: str, entity: str, source_id: str, op: str,
    data: CanonicalRecord | None,
) -> str:
    """Deterministic from the key and the content, so a re-published record keeps its id.

    The SHA-256 of `json.dumps(body, sort_keys=True, separators=(",", ":"))`, with body
    `{"key", "op", "data": data.model_dump(mode="json")}` (first 32 hex digits)."""
    return _event_id(record_key(source, agency_id, entity, source_id), op,
                     None if data is None else data.model_dump(mode="json"))


def _event_id(key: str, op: str, data: object) -> str:
    body = {"data": data, "key": key, "op": op}
    return hashlib.sha256(_sorted_compact_json(body)).hexdigest()[:32]


class _ParsedData:
    """The `data` of a document as parsed from JSON, handed to the id check."""

    __slots__ = ("data",)

    def __init__(self, data: object) -> None:
        self.data = data

    def event_id(self, key: str, op: str) -> str | None:
        try:
            return _event_id(key, op, self.data)
        except (TypeError, ValueError, RecursionError):
            return None  # not JSON after all: the check dumps the record instead


def event_from_json(document: object) -> Event:
    """`Event.model_validate(document)` for a document just parsed from JSON.

    The id check first hashes the document's own `data`, as parsed: a producer that
    serialised the model (every one of ours) sent exactly `data.model_dump(mode="json")`,
    so the id matches without dumping the validated record again (half the check's
    cost). Otherwise the check goes on as `Event.model_validate` does. Either way an id
    names one content: the hashed JSON determines the parsed data, and the parsed data
    the validated record."""
    data = document.get("data") if isinstance(document, dict) else None
    return Event.model_validate(document, context={"parsed": _ParsedData(data)})


def _sorted_compact_json(body: dict) -> bytes:
    """`json.dumps(body, sort_keys=True, separators=(",", ":")).encode()`, byte for byte,
    several times faster: orjson sorts every dict (in lists too) and escapes as json does,
    except that it writes non-ASCII characters and U+007F as they are, which are then
    escaped as json's `ensure_ascii` escapes them. Whatever orjson refuses (lone
    surrogates, integers beyond 64 bits) takes the definition itself. No record has a
    float field (money is `Decimal`, written as a string): orjson writes some floats
    differently (`1e-7` for `1e-07`), and a test keeps it so."""
    try:
        encoded = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    if encoded.isascii() and b"\x7f" not in encoded:
        return encoded
    # Outside strings the output is plain ASCII, so these characters are all in strings.
    return _NOT_PRINTABLE_ASCII.sub(_json_escape, encoded.decode()).encode()


_NOT_PRINTABLE_ASCII = re.compile(r"[^\x00-\x7e]")


def _json_escape(match: re.Match[str]) -> str:
    return encode_basestring_ascii(match.group())[1:-1]  # \uXXXX, surrogate pairs beyond


def make_event(
    *,
    source: str,
    agency_id: str,
    entity: str,
    source_id: str,
    data: CanonicalRecord | None,
    observed_at: datetime,
    source_updated_at: datetime | None = None,
) -> Event:
    """Build an event; `data=None` makes a delete. The version is the observation time in µs."""
    op = "delete" if data is None else "upsert"
    observed_at = observed_at.astimezone(timezone.utc)
    return Event.model_validate({
        "schema": SCHEMA_V1,
        "event_id": event_id_for(source, agency_id, entity, source_id, op, data),
        "op": op,
        "entity": entity,
        "source": source,
        "agency_id": agency_id,
        "source_id": source_id,
        "version": version_at(observed_at),
        "observed_at": observed_at,
        "source_updated_at": source_updated_at,
        "data": data,
    }, context={"event_id_from": _MAKE_EVENT})  # every other check still runs


# Only make_event holds it: a context naming anything else gets the full id check.
_MAKE_EVENT = object()


def version_at(moment: datetime) -> int:
    """Microseconds since the epoch: grows with every newer observation of a record.

    An aware moment is subtracted as it is (no conversion that could pass year 9999)."""
    if moment.tzinfo is None:
        moment = moment.astimezone(timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_CLOCK_SKEW_US = CLOCK_SKEW // timedelta(microseconds=1)
