"""The shape of each `pms` table: how a canonical record flattens into its columns.

Kept apart from the loader so the table layout reads in one place and matches
`migrations/` and `docs/rds_schema.md` column for column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pms_pipelines.canonical.model import (
    Address,
    Event,
    Landlord,
    Property,
    Tenancy,
    Tenant,
)

_ADDRESS_FIELDS = (
    "line1", "line2", "line3", "city", "region", "postcode", "country", "country_raw",
)
ADDRESS_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (f"address_{name}", "text") for name in _ADDRESS_FIELDS
)
_ADDRESS_KEYS = tuple(zip((column for column, _ in ADDRESS_COLUMNS), _ADDRESS_FIELDS))
_NO_ADDRESS = dict.fromkeys(column for column, _ in ADDRESS_COLUMNS)


@dataclass(frozen=True)
class Link:
    """A link table replaced whole by its owner's winning upsert."""

    table: str
    owner_column: str
    member_column: str
    # An owner's members in the PMS's order: each its id, then its `detail_columns`.
    members: Callable[[Any], tuple[tuple[Any, ...], ...]]
    detail_columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TableLayout:
    table: str
    # (column, SQL type) of the data columns, in the order `flatten` fills them (the
    # loader sends `flatten(...).values()` in this order).
    columns: tuple[tuple[str, str], ...]
    flatten: Callable[[Any], dict[str, Any]]
    link: Link | None = None


def _address(address: Address | None) -> dict[str, Any]:
    if address is None:
        return _NO_ADDRESS
    return {column: getattr(address, name) for column, name in _ADDRESS_KEYS}


def _property(p: Property) -> dict[str, Any]:
    return {
        "name": p.name, **_address(p.address), "property_type": p.property_type,
        "property_type_raw": p.property_type_raw, "bedrooms": p.bedrooms,
        "bedrooms_raw": p.bedrooms_raw, "status": p.status, "status_raw": p.status_raw,
        "building_id": p.building_id,
    }


def _landlord(landlord: Landlord) -> dict[str, Any]:
    return {
        "kind": landlord.kind, "first_name": landlord.first_name,
        "last_name": landlord.last_name, "company_name": landlord.company_name,
        "email": landlord.contact.email, "phone": landlord.contact.phone,
        **_address(landlord.address),
    }


def _tenant(tenant: Tenant) -> dict[str, Any]:
    return {
        "first_name": tenant.first_name, "last_name": tenant.last_name,
        "date_of_birth": tenant.date_of_birth, "email": tenant.contact.email,
        "phone": tenant.contact.phone,
    }


def _tenancy(t: Tenancy) -> dict[str, Any]:
    return {
        "property_id": t.property_id, "start_date": t.start_date, "end_date": t.end_date,
        "move_in_date": t.move_in_date, "move_out_date": t.move_out_date,
        "is_periodic": t.is_periodic, "rent_amount": t.rent_amount,
        "rent_currency": t.rent_currency, "rent_frequency": t.rent_frequency,
        "rent_frequency_raw": t.rent_frequency_raw, "deposit_amount": t.deposit_amount,
        "status": t.status, "status_raw": t.status_raw,
    }


def _tenancy_tenants(t: Tenancy) -> tuple[tuple[Any, ...], ...]:
    """Each tenant with what the PMS said of it (nulls where it said nothing)."""
    said = {detail.tenant_id: detail for detail in t.tenants}
    rows = []
    for tenant_id in t.tenant_ids:
        d = said.get(tenant_id)
        rows.append((tenant_id, None, None, None, None) if d is None else
                    (tenant_id, d.status, d.status_raw, d.move_in_date, d.move_out_date))
    return tuple(rows)


LAYOUTS: dict[str, TableLayout] = {
    "property": TableLayout(
        "pms.property",
        (("name", "text"), *ADDRESS_COLUMNS, ("property_type", "text"),
         ("property_type_raw", "text"), ("bedrooms", "integer"), ("bedrooms_raw", "text"),
         ("status", "text"), ("status_raw", "text"), ("building_id", "text")),
        _property,
        Link("pms.property_landlord", "property_id", "landlord_id",
             lambda p: tuple((landlord_id,) for landlord_id in p.landlord_ids)),
    ),
    "landlord": TableLayout(
        "pms.landlord",
        (("kind", "text"), ("first_name", "text"), ("last_name", "text"),
         ("company_name", "text"), ("email", "text"), ("phone", "text"), *ADDRESS_COLUMNS),
        _landlord,
    ),
    "tenant": TableLayout(
        "pms.tenant",
        (("first_name", "text"), ("last_name", "text"), ("date_of_birth", "date"),
         ("email", "text"), ("phone", "text")),
        _tenant,
    ),
    "tenancy": TableLayout(
        "pms.tenancy",
        (("property_id", "text"), ("start_date", "date"), ("end_date", "date"),
         ("move_in_date", "date"), ("move_out_date", "date"), ("is_periodic", "boolean"),
         ("rent_amount", "numeric"), ("rent_currency", "text"), ("rent_frequency", "text"),
         ("rent_frequency_raw", "text"), ("deposit_amount", "numeric"), ("status", "text"),
         ("status_raw", "text")),
        _tenancy,
        Link("pms.tenancy_tenant", "tenancy_id", "tenant_id", _tenancy_tenants,
             (("status", "text"), ("status_raw", "text"), ("move_in_date", "date"),
              ("move_out_date", "date"))),
    ),
}


ENVELOPE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "text"), ("agency_id", "text"), ("source_id", "text"), ("version", "bigint"),
    ("observed_at", "timestamptz"), ("source_updated_at", "timestamptz"), ("event_id", "text"),
)


def envelope_values(event: Event) -> tuple[Any, ...]:
    """The columns every pms table shares (`ENVELOPE_COLUMNS`), from the envelope."""
    return (event.source, event.agency_id, event.source_id, event.version,
            event.observed_at, event.source_updated_at, event.event_id)
