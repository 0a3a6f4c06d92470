"""PropertyMe records → canonical records: pure functions, one per entity.

Inputs are the JSON objects exactly as the PropertyMe API returns them: `MobLotGridData`
(/v1/lots), `MobContactData` (/v1/contacts) and `TenancyApiData` (/v1/tenancies). A
record that cannot be mapped raises `MappingError` (or pydantic's `ValidationError`);
the kit turns both into `Rejected`. The spec publishes no enum for any field read here,
so the tables below are PropertyMe's values as its UI offers them; anything else maps to
`other` with the raw value kept (README.md has the same tables).

| `PropertySubtype` | property_type |   | `RentPeriod` | rent_frequency |
|---|---|---|---|---|
| House, SemiDetached, Cottage | house | | Weekly | weekly |
| Unit, Apartment, Flat, Studio | apartment | | Fortnightly | fortnightly |
| Townhouse, Villa, Terrace, Duplex | townhouse | | FourWeekly | four_weekly |
| Room | room | | Monthly | monthly |
| (none; `PrimaryType` Commercial) | commercial | | Quarterly | quarterly |
| anything else | other | | Yearly, Annually | yearly |

Tenancy status (PropertyMe has no status enum, only flags): `IsClosed` → a delete event
(pull.py); `IsActive` → active; not active and starting after today → future; not active
and vacated (`TenancyEnd`) by today → ended; else other. `status_raw` keeps the flags.
Lot status: `IsRental` → active, a sales-only lot → inactive. Money is AUD (PropertyMe
trust accounts are AUD; NZ portfolios are not supported yet, see README).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pms_pipelines.canonical import Address, Contact, Landlord, Property, Tenancy, Tenant
from pms_pipelines.integrations.kit import values
from pms_pipelines.integrations.kit.values import MappingError, money

Raw = Mapping[str, Any]
CURRENCY = "AUD"


PROPERTY_TYPES: dict[str, str] = {
    "House": "house", "SemiDetached": "house", "Cottage": "house",
    "Unit": "apartment", "Apartment": "apartment", "Flat": "apartment", "Studio": "apartment",
    "Townhouse": "townhouse", "Villa": "townhouse", "Terrace": "townhouse",
    "Duplex": "townhouse", "Room": "room",
}
RENT_FREQUENCIES: dict[str, str] = {
    "Weekly": "weekly", "Fortnightly": "fortnightly", "FourWeekly": "four_weekly",
    "Monthly": "monthly", "Quarterly": "quarterly", "Yearly": "yearly", "Annually": "yearly",
}
COUNTRIES: dict[str, str] = {
    "australia": "AU", "au": "AU", "aus": "AU", "new zealand": "NZ", "nz": "NZ", "nzl": "NZ",
}
# A lot without a country but with an Australian state is in Australia.
AU_STATES = {"NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"}
# Which phone becomes the contact phone: mobiles reach people best.
PHONE_FIELDS = ("CellPhone", "NormalisedMobilePhone", "HomePhone", "WorkPhone")


def map_property(lot: Raw) -> Property:
    """A PropertyMe lot (`MobLotGridData`) → a canonical property."""
    subtype, primary = values.text(lot.get("PropertySubtype")), values.text(lot.get("PrimaryType"))
    if subtype and subtype in PROPERTY_TYPES:
        property_type = PROPERTY_TYPES[subtype]
    elif primary == "Commercial":
        property_type = "commercial"
    else:
        property_type = "other"
    address = map_address(lot.get("Address"))
    if address is None:
        text = values.text(lot.get("AddressText"))
        if text is None:
            raise MappingError("lot has neither Address nor AddressText")
        address = Address(line1=text)
    bedrooms = lot.get("Bedrooms")
    is_rental = lot.get("IsRental")
    owner = values.text(lot.get("OwnerContactId"))
    return Property(
        name=values.text(lot.get("Reference")) or values.text(lot.get("AddressText")),
        address=address,
        property_type=property_type,
        property_type_raw=subtype or primary,
        bedrooms=bedrooms,
        bedrooms_raw=None if bedrooms is None else str(bedrooms),
        status={True: "active", False: "inactive"}.get(is_rental, "other"),
        status_raw={True: "Rental", False: "NotRental"}.get(is_rental),
        landlord_ids=(owner,) if owner else (),
    )


def map_landlord(contact: Raw) -> Landlord:
    """A PropertyMe contact with the owner role → a canonical landlord."""
    person = primary_person(contact)
    first, last = values.text(person.get("FirstName")), values.text(person.get("LastName"))
    company = values.text(person.get("CompanyName")) or values.text(contact.get("TradeName"))
    if not (first or last or company):
        raise MappingError("owner contact has no person or company name")
    return Landlord(
        kind="company" if company and not (first or last) else "person",
        first_name=first, last_name=last, company_name=company,
        contact=_contact(contact, person),
        address=map_address(person.get("PostalAddress")) or map_address(
            person.get("PhysicalAddress")),
    )


def map_tenant(contact: Raw) -> Tenant:
    """A PropertyMe contact with the tenant role → a canonical tenant (the household's
    primary person; PropertyMe keeps no date of birth)."""
    person = primary_person(contact)
    first, last = values.text(person.get("FirstName")), values.text(person.get("LastName"))
    if not (first or last):
        raise MappingError("tenant contact has no person name")
    return Tenant(first_name=first, last_name=last, contact=_contact(contact, person))


def map_tenancy(tenancy: Raw, today: date) -> Tenancy:
    """An open PropertyMe tenancy (`TenancyApiData`) → a canonical tenancy."""
    lot_id = values.text(tenancy.get("LotId"))
    if not lot_id:
        raise MappingError("tenancy has no LotId")
    contact_id = values.text(tenancy.get("ContactId"))
    amount = money(tenancy.get("RentAmount"))
    period = values.text(tenancy.get("RentPeriod"))
    move_in, move_out = values.iso_date(tenancy.get("TenancyStart")), values.iso_date(tenancy.get("TenancyEnd"))
    start = values.iso_date(tenancy.get("AgreementStart")) or move_in
    active = bool(tenancy.get("IsActive"))
    if active:
        status = "active"
    elif start is not None and start > today:
        status = "future"
    elif move_out is not None and move_out <= today:
        status = "ended"
    else:
        status = "other"
    return Tenancy(
        property_id=lot_id,
        tenant_ids=(contact_id,) if contact_id else (),
        start_date=start,
        end_date=values.iso_date(tenancy.get("AgreementEnd")),
        move_in_date=move_in,
        move_out_date=move_out,
        is_periodic=bool(tenancy.get("Periodic")),
        rent_amount=amount,
        rent_currency=CURRENCY if amount is not None else None,
        rent_frequency=RENT_FREQUENCIES.get(period, "other") if period else "other",
        rent_frequency_raw=period,
        deposit_amount=money(tenancy.get("BondAmount")),
        status=status,
        status_raw=f"IsActive={str(active).lower()}",
    )


def is_owner(contact: Raw) -> bool:
    return bool(contact.get("IsOwner")) or "Owner" in (contact.get("Roles") or [])


def is_tenant(contact: Raw) -> bool:
    return bool(contact.get("IsTenant")) or "Tenant" in (contact.get("Roles") or [])


def primary_person(contact: Raw) -> Raw:
    """The contact person PropertyMe marks primary (else the first one)."""
    people = [p for p in contact.get("ContactPersons") or [] if isinstance(p, Mapping)]
    primary = contact.get("PrimaryContactPerson")
    if isinstance(primary, Mapping) and primary:
        return primary
    return next((p for p in people if p.get("IsPrimary")), people[0] if people else {})


def map_address(raw: Raw | None) -> Address | None:
    """PropertyMe's `AddressDetail`; Australian style line 1 ("3/12 Smith St")."""
    if not raw:
        return None
    unit, number, street = (values.text(raw.get(k)) for k in ("Unit", "Number", "Street"))
    house = f"{unit}/{number}" if unit and number else (number or (f"Unit {unit}" if unit else None))
    line1 = " ".join(p for p in (house, street) if p) or None
    state = values.text(raw.get("State"))
    country = values.text(raw.get("Country"))
    iso = COUNTRIES.get(country.lower()) if country else ("AU" if state in AU_STATES else None)
    address = Address(
        line1=line1, line2=values.text(raw.get("BuildingName")),
        city=values.text(raw.get("Suburb")), region=state, postcode=values.text(raw.get("PostalCode")),
        country=iso, country_raw=country if country and iso is None else None,
    )
    if address == Address():
        text = values.text(raw.get("Text"))
        return Address(line1=text) if text else None
    return address


def _contact(contact: Raw, person: Raw) -> Contact:
    phone = next((values.text(person.get(f)) for f in PHONE_FIELDS if values.text(person.get(f))), None)
    phone = phone or next((values.text(contact.get(f)) for f in PHONE_FIELDS
                           if values.text(contact.get(f))), None)
    return Contact(email=values.text(person.get("Email")) or values.text(contact.get("Email")), phone=phone)
