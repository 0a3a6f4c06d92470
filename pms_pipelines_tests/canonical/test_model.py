"""The envelope and the entities: what validates, what is refused, and why."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import jsonschema
import pytest
from pydantic import ValidationError

from pms_pipelines.canonical import (
    Address,
    Event,
    Property,
    Tenancy,
    TenancyTenant,
    Tenant,
    make_event,
)
from pms_pipelines.canonical.json_schema import SCHEMA_FILE, render_schema

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def _tenancy(**changes) -> Tenancy:
    fields = dict(property_id="P1", tenant_ids=("T1",), start_date=date(2026, 1, 1),
                  end_date=date(2026, 12, 31), is_periodic=False, rent_amount=Decimal("950.00"),
                  rent_currency="GBP", rent_frequency="monthly", status="active")
    return Tenancy(**{**fields, **changes})


def _event(data=None, **changes) -> Event:
    fields = dict(source="buildium", agency_id="acme", entity="tenancy", source_id="501",
                  data=data if data is not None else _tenancy(), observed_at=NOW)
    return make_event(**{**fields, **changes})


def test_the_shipped_json_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text() == render_schema(), (
        "the model changed: run `make schema` and commit the file"
    )


def test_events_validate_against_the_shipped_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    delete = make_event(source="buildium", agency_id="acme", entity="tenant",
                        source_id="9", data=None, observed_at=NOW)
    for event in (_event(), delete):
        jsonschema.validate(json.loads(event.to_bytes()), schema)


def test_round_trip_keeps_money_decimal_and_id() -> None:
    event = _event()
    raw = event.to_bytes()
    assert b'"rent_amount":"950.00"' in raw  # a string in JSON, never a float
    again = Event.model_validate_json(raw)
    assert again == event
    assert again.data.rent_amount == Decimal("950.00")


def test_event_id_is_deterministic_in_key_and_content_only() -> None:
    first = _event()
    assert _event(observed_at=NOW + timedelta(hours=1)).event_id == first.event_id
    assert _event(data=_tenancy(rent_amount=Decimal("951.00"))).event_id != first.event_id
    assert _event(agency_id="other").event_id != first.event_id
    assert _event(observed_at=NOW + timedelta(hours=1)).version > first.version


def test_partition_key_is_the_record_key() -> None:
    assert _event().key == "buildium/acme/tenancy/501"


def test_delete_has_no_data_and_upsert_needs_it() -> None:
    delete = make_event(source="buildium", agency_id="acme", entity="tenancy", source_id="1",
                        data=None, observed_at=NOW)
    assert delete.op == "delete" and delete.data is None
    body = json.loads(_event().to_bytes())
    with pytest.raises(ValidationError, match="needs data"):
        Event.model_validate({**body, "data": None})
    with pytest.raises(ValidationError, match="carries no data"):
        Event.model_validate({**body, "op": "delete"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"entity": "tenant"}, "event_id does not match|Extra inputs"),
        ({"entity": "parking"}, "entity"),
        ({"schema": "pms.event/v2"}, "schema"),
        ({"event_id": "0" * 32}, "event_id does not match"),
        ({"version": -1}, "greater than or equal"),
        ({"observed_at": "2026-11-26T09:30:00"}, "timezone"),
        ({"source": "Not A Source!"}, "pattern"),
        ({"agency_id": ""}, "at least 1"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_envelope_refusals(change: dict, message: str) -> None:
    body = {**json.loads(_event().to_bytes()), **change}
    with pytest.raises(ValidationError, match=message):
        Event.model_validate(body)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rent_currency": "XYZ"}, "not an ISO-4217"),
        ({"rent_currency": "gbp"}, "pattern"),
        ({"rent_amount": Decimal("-1")}, "greater than or equal"),
        ({"rent_amount": Decimal("1.001")}, "decimal places"),
        ({"rent_currency": None}, "needs rent_currency"),
        ({"end_date": date(2025, 1, 1)}, "before start_date"),
        ({"rent_frequency": "hourly"}, "rent_frequency"),
        ({"status": "evicted"}, "status"),
        ({"tenants": (TenancyTenant(tenant_id="T9"),)}, "not in tenant_ids"),
        ({"tenants": (TenancyTenant(tenant_id="T1"), TenancyTenant(tenant_id="T1"))},
         "names a tenant twice"),
        ({"tenants": ({"tenant_id": "T1", "status": "evicted"},)}, "status"),
    ],
)
def test_tenancy_refusals(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _tenancy(**change)


def test_other_entities_validate_their_fields() -> None:
    with pytest.raises(ValidationError, match="pattern"):
        Address(country="United Kingdom")
    with pytest.raises(ValidationError, match="less than or equal"):
        Property(address=Address(), property_type="house", bedrooms=1000, status="active")
    assert Tenant(first_name="Zoë 🏠", last_name="O'Brien; DROP TABLE").first_name == "Zoë 🏠"
    tz_event = _event(observed_at=datetime(2026, 11, 26, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    assert tz_event.observed_at == NOW and tz_event.version == _event().version


def test_raw_fields_and_building_round_trip_and_change_the_event_id() -> None:
    unit = Property(address=Address(country=None, country_raw="Atlantis"),
                    property_type="apartment", bedrooms=None, bedrooms_raw="TwelveBed",
                    status="active", building_id="B7")
    event = _event(data=unit, entity="property", source_id="20")
    again = Event.model_validate_json(event.to_bytes())
    assert again == event and again.data.building_id == "B7"
    assert again.data.address.country_raw == "Atlantis"
    assert _event(data=unit.model_copy(update={"building_id": "B8"}), entity="property",
                  source_id="20").event_id != event.event_id
    jsonschema.validate(json.loads(event.to_bytes()), json.loads(SCHEMA_FILE.read_text()))


def test_building_id_is_a_key() -> None:
    with pytest.raises(ValidationError, match="at least 1"):
        Property(address=Address(), property_type="house", status="active", building_id="")


def test_only_make_event_skips_recomputing_the_id() -> None:
    body = {**json.loads(_event().to_bytes()), "event_id": "0" * 32}
    for context in (None, {}, {"event_id_from": object()}, {"event_id_from": "make_event"}):
        with pytest.raises(ValidationError, match="event_id does not match"):
            Event.model_validate(body, context=context)
    event = _event()  # make_event's id is the one the full check computes
    assert Event.model_validate_json(event.to_bytes()) == event
