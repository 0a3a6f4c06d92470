"""Small builders of canonical events for the database and consumer tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pms_pipelines.canonical.model import (
    Address,
    Contact,
    Event,
    Landlord,
    Property,
    Tenancy,
    Tenant,
    make_event,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def property_record(name: str = "Flat 1", landlord_ids: tuple[str, ...] = ("L1",)) -> Property:
    return Property(
        name=name,
        address=Address(line1="1 High St", city="Leeds", postcode="LS1 1AA", country="GB"),
        property_type="apartment", property_type_raw="Flat", bedrooms=2, bedrooms_raw="2 bed",
        status="active", landlord_ids=landlord_ids, building_id="B1",
    )


def tenancy_record(tenant_ids: tuple[str, ...] = ("T1", "T2"), rent: str = "1200.50") -> Tenancy:
    return Tenancy(
        property_id="P1", tenant_ids=tenant_ids, start_date=datetime(2026, 1, 1).date(),
        is_periodic=False, rent_amount=Decimal(rent), rent_currency="GBP",
        rent_frequency="monthly", deposit_amount=Decimal("1500.00"), status="active",
    )


def tenant_record(first_name: str = "Ada") -> Tenant:
    return Tenant(first_name=first_name, last_name="Lovelace", contact=Contact(email="a@x.io"))


def landlord_record(company: str = "Acme Lets") -> Landlord:
    # An unmapped country: the raw value must still reach the address_country_raw column.
    return Landlord(kind="company", company_name=company,
                    address=Address(city="York", country_raw="Yorkshire Republic"))


def event(
    entity: str, source_id: str, data: object | None, seconds: int, agency_id: str = "acme"
) -> Event:
    """An event observed `seconds` after T0, so its version grows with `seconds`."""
    return make_event(
        source="buildium", agency_id=agency_id, entity=entity, source_id=source_id,
        data=data, observed_at=at(seconds),  # type: ignore[arg-type]
    )
