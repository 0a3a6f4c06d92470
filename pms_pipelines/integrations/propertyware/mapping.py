"""Propertyware records → canonical records: pure functions, one per entity.

Inputs are the JSON objects exactly as the Propertyware API returns them (`Unit`,
`Building`, `Portfolio`, `Contact`, `Lease` with its embedded `LeaseContact`s). A record
that cannot be mapped raises `MappingError` (or pydantic's `ValidationError` from the
canonical model); the kit turns both into `Rejected`. The enum tables are documented in
README.md; unknown values map to `other` with the raw value kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pms_pipelines.canonical import Address, Contact, Landlord, Property, Tenancy, Tenant
from pms_pipelines.integrations.kit import values
from pms_pipelines.integrations.kit.values import MappingError, id_order, money
from pms_pipelines.integrations.propertyware.countries import COUNTRY_TO_ISO, country_key

Raw = Mapping[str, Any]
CURRENCY = "USD"  # Propertyware accounts are US accounts, kept in US dollars


def _key(value: str) -> str:
    """Spelling-blind key: "Single-Family", "single_family" and "SINGLE FAMILY" agree."""
    return re.sub(r"[^a-z0-9]", "", value.lower())


# Unit `type` is free text set up per account; keys are lower-case, '-'/'_' as spaces.
UNIT_TYPES: dict[str, str] = {
    "apartment": "apartment", "apt": "apartment", "flat": "apartment",
    "duplex": "apartment", "triplex": "apartment", "fourplex": "apartment",
    "multi family": "apartment", "condo": "condo", "condominium": "condo",
    "townhouse": "townhouse", "townhome": "townhouse", "house": "house",
    "single family": "house", "single family home": "house", "sfh": "house",
    "room": "room", "bedroom": "room", "commercial": "commercial", "office": "commercial",
    "retail": "commercial", "industrial": "commercial", "warehouse": "commercial",
    "mobile home": "other", "parking": "other", "storage": "other", "garage": "other",
}
# Building `propertyType`, the spec's enum; NONE says nothing, so the next rule decides.
BUILDING_TYPES: dict[str, str] = {
    "APARTMENT": "apartment", "CONDO": "condo", "COMMERCIAL": "commercial",
    "DU_FOUR_PLEX": "apartment", "HOUSE": "house", "TOWNHOUSE": "townhouse",
    "SECTION_8_AFFORDABLE": "other", "SENIOR": "other", "SHORT_TERM_VACATION": "other",
    "STUDENT": "other", "OTHER": "other",
}
# Lease `status` is an account-configurable list (GET /leases/statuses); these are the
# stock names. An unknown name on a lease whose `active` flag is set counts as active.
LEASE_STATUSES: dict[str, str] = {
    "active": "active", "active - notice given": "active", "notice given": "active",
    "active - eviction": "active", "eviction": "active", "month to month": "active",
    "future": "future", "pending": "pending", "pending move in": "pending",
    "draft": "pending", "terminated": "ended", "closed": "ended", "inactive": "ended",
    "past": "ended", "moved out": "ended", "expired": "ended", "evicted": "ended",
    "cancelled": "cancelled", "canceled": "cancelled",
}
UNIT_TYPE_KEYS = {_key(k): v for k, v in UNIT_TYPES.items()}
LEASE_STATUS_KEYS = {_key(k): v for k, v in LEASE_STATUSES.items()}
# Which number becomes the contact phone: mobiles reach people best; never the fax.
PHONE_PREFERENCE = ("mobilePhone", "homePhone", "workPhone", "otherPhone")


def map_property(unit: Raw, building: Raw | None, landlord_ids: Iterable[str]) -> Property:
    """A Propertyware unit (plus its building) → a canonical property."""
    building = building or {}
    property_type, type_raw = _property_type(unit, building)
    bedrooms = unit.get("numberOfBedrooms")
    if bedrooms is not None and not isinstance(bedrooms, int):
        raise MappingError(f"numberOfBedrooms is not a whole number: {bedrooms!r}")
    address = map_address(unit.get("address"))
    if address is None or address.line1 is None:
        address = map_address(building.get("address")) or Address()
    names = [values.text(building.get("name")), values.text(unit.get("name"))]
    active = unit.get("active")
    if building.get("active") is False:
        active = False  # a deactivated building's units cannot be let either
    return Property(
        name=" - ".join(dict.fromkeys(n for n in names if n)) or None,
        address=address,
        property_type=property_type,
        property_type_raw=type_raw,
        bedrooms=bedrooms if bedrooms is not None and 0 <= bedrooms <= 100 else None,
        bedrooms_raw=None if bedrooms is None else str(bedrooms),
        status={True: "active", False: "inactive"}.get(active, "other"),
        status_raw={True: "Active", False: "Deactivated"}.get(active),
        landlord_ids=tuple(sorted(set(landlord_ids), key=id_order)),
        building_id=values.text(unit.get("buildingID")),
    )


def _property_type(unit: Raw, building: Raw) -> tuple[str, str | None]:
    """The unit's own type when known, else its building's, else its category; the raw
    value is the one that decided (the unit's, else the building's, when none did)."""
    unit_type, building_type = values.text(unit.get("type")), values.text(building.get("propertyType"))
    if unit_type and _key(unit_type) in UNIT_TYPE_KEYS:
        return UNIT_TYPE_KEYS[_key(unit_type)], unit_type
    if building_type in BUILDING_TYPES:
        return BUILDING_TYPES[building_type], building_type
    if "COMMERCIAL" in (unit.get("category"), building.get("category")):
        return "commercial", "COMMERCIAL"
    return "other", unit_type or building_type


def map_landlord(owner: Raw) -> Landlord:
    """A Propertyware contact of type OWNER → a canonical landlord."""
    first, last = values.text(owner.get("firstName")), values.text(owner.get("lastName"))
    company = values.text(owner.get("company"))
    # An owner entered as a business has a company and no personal name.
    is_company = company is not None and first is None and last is None
    return Landlord(
        kind="company" if is_company else "person", first_name=first, last_name=last,
        company_name=company, contact=_contact(owner), address=map_address(owner.get("address")),
    )


def map_tenant(contact: Raw) -> Tenant:
    """A Propertyware contact of type TENANT → a canonical tenant."""
    return Tenant(
        first_name=values.text(contact.get("firstName")), last_name=values.text(contact.get("lastName")),
        date_of_birth=values.iso_date(contact.get("birthDate")), contact=_contact(contact),
    )


def map_tenancy(lease: Raw, today: date) -> Tenancy:
    """A Propertyware lease (with its embedded contacts) → a canonical tenancy.

    `baseRent` is the lease's monthly base rent: Propertyware's lease has no rent cycle
    field (other cycles live in per-lease auto charges, which we do not read).
    """
    unit_id = values.text(lease.get("unitID"))
    if unit_id is None:
        raise MappingError(f"lease is attached to building {lease.get('buildingID')} "
                           "with no unit; only units are canonical properties")
    status_raw = values.text(lease.get("status"))
    status = LEASE_STATUS_KEYS.get(_key(status_raw), "other") if status_raw else "other"
    if status == "other" and lease.get("active") is True:
        status = "active"
    end = values.iso_date(lease.get("endDate"))
    rent = money(lease.get("baseRent"))
    tenant_ids = {str(c["id"]) for c in lease.get("contacts") or [] if c.get("id") is not None}
    return Tenancy(
        property_id=unit_id,
        tenant_ids=tuple(sorted(tenant_ids, key=id_order)),
        start_date=values.iso_date(lease.get("startDate")),
        end_date=end,
        move_in_date=values.iso_date(lease.get("moveInDate")),
        move_out_date=values.iso_date(lease.get("moveOutDate")),
        # No end date, or still active past it: the lease runs on month to month.
        is_periodic=end is None or (status == "active" and end < today),
        rent_amount=rent,
        rent_currency=CURRENCY if rent is not None else None,
        rent_frequency="monthly" if rent is not None else "other",
        rent_frequency_raw=None,
        deposit_amount=None,  # the lease message carries no deposit
        status=status,  # type: ignore[arg-type]
        status_raw=status_raw,
    )


def map_address(raw: Raw | None) -> Address | None:
    if not raw:
        return None
    country = values.text(raw.get("country"))
    iso = COUNTRY_TO_ISO.get(country_key(country)) if country else None
    address = Address(
        line1=values.text(raw.get("address")), line2=values.text(raw.get("addressCont")),
        city=values.text(raw.get("city")), region=values.text(raw.get("stateRegion")),
        postcode=values.text(raw.get("postalCode")), country=iso,
        # Kept only when unmapped: a mapped spelling says nothing its ISO code does not.
        country_raw=country if iso is None else None,
    )
    return address if address != Address() else None


def _contact(raw: Raw) -> Contact:
    phone = next((p for p in (values.text(raw.get(k)) for k in PHONE_PREFERENCE) if p), None)
    return Contact(email=values.text(raw.get("email")) or values.text(raw.get("altEmail")), phone=phone)
