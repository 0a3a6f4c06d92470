"""Alto records → canonical records: pure functions, one per entity.

Inputs are the JSON objects exactly as the API returns them: a full inventory item
(`InventoryDetailItem`), a contact list item (`ContactListItem`), a tenancy list item
(`TenancyListItem`) with its tenants' contact ids (`/tenancies/{id}/tenantIds`). A record
that cannot be mapped raises `MappingError` (or pydantic's `ValidationError`); the kit
turns both into `Rejected`. Alto leaves `propertyType`, `rentalFrequency` and a tenancy's
`status` free text: the tables below read them case-insensitively, anything else is
`other` with the raw value kept (see README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pms_pipelines.canonical import Address, Contact, Landlord, Property, Tenancy, Tenant
from pms_pipelines.integrations.kit import values
from pms_pipelines.integrations.kit.values import MappingError, money

Raw = Mapping[str, Any]
DEFAULT_CURRENCY = "GBP"
# Words of `propertyType` → property_type (the first that appears wins).
PROPERTY_WORDS: tuple[tuple[str, str], ...] = (
    ("townhouse", "townhouse"), ("house", "house"), ("bungalow", "house"),
    ("cottage", "house"), ("flat", "apartment"), ("apartment", "apartment"),
    ("maisonette", "apartment"), ("studio", "apartment"), ("room", "room"),
    ("commercial", "commercial"), ("office", "commercial"), ("retail", "commercial"),
    ("shop", "commercial"),
)
INVENTORY_STATUSES: dict[str, str] = {
    **dict.fromkeys(("Available", "UnderOffer", "Let", "LetAgreed", "LetMarketing",
                     "Instructed", "UnderOfferMarketing", "UnderOfferAvailable", "Reserved"),
                    "active"),
    **dict.fromkeys(("Appraisal", "Completed", "Archived", "Suspended", "Withdrawn",
                     "NotInstructed", "ExternallyLet", "Exchanged", "ExternallySold"),
                    "inactive"),
}
RENT_FREQUENCIES: dict[str, str] = {
    "weekly": "weekly", "fortnightly": "fortnightly", "fourweekly": "four_weekly",
    "monthly": "monthly", "monthlyonlastday": "monthly", "quarterly": "quarterly",
    "quarterlyonquarterdays": "quarterly", "halfyearly": "half_yearly",
    "halfyearlyonquarterdays": "half_yearly", "yearly": "yearly", "annually": "yearly",
}


def map_property(row: Raw, item: Raw | None) -> Property:
    """An inventory row (`/inventory/filter`) and its full item → a canonical property."""
    if item is None:
        raise MappingError("inventory item not found for this row")
    address = map_address(item.get("address") or row.get("address"))
    if address is None:
        raise MappingError("property has no address")
    kind = values.text(item.get("propertyType"))
    status = values.text(item.get("inventoryStatus"))
    owners = [o.get("contactId") for o in item.get("owners") or []]
    return Property(
        name=values.text(item.get("displayAddress")), address=address,
        property_type=_property_type(kind), property_type_raw=kind,
        bedrooms=item.get("bedrooms"),
        status="inactive" if item.get("archived") else
        INVENTORY_STATUSES.get(status, "other") if status else "other",
        status_raw=status,
        landlord_ids=tuple(str(o) for o in owners if o),
    )


def _property_type(kind: str | None) -> str:
    lowered = (kind or "").lower()
    return next((canonical for word, canonical in PROPERTY_WORDS if word in lowered), "other")


def map_landlord(contact: Raw) -> Landlord:
    """A contact with the Landlord persona → a canonical landlord (a company when it has
    a company name and no person's name)."""
    person = _person(contact)
    first, last = values.text(person.get("foreName")), values.text(person.get("surname"))
    company = values.text(contact.get("companyName"))
    if company and not (first or last):
        return Landlord(kind="company", company_name=company, contact=_contact(person))
    if not (first or last):
        raise MappingError("landlord contact has no name and no company name")
    return Landlord(kind="person", first_name=first, last_name=last, contact=_contact(person))


def map_tenant(contact: Raw) -> Tenant:
    """A contact with the Tenant persona → a canonical tenant."""
    person = _person(contact)
    first, last = values.text(person.get("foreName")), values.text(person.get("surname"))
    if first is None and last is None:
        raise MappingError("tenant contact has no forename or surname")
    return Tenant(first_name=first, last_name=last, contact=_contact(person))


def map_tenancy(tenancy: Raw, tenant_ids: Raw, today: date) -> Tenancy:
    """A tenancy list item and its `tenantIds` answer → a canonical tenancy. Alto's `status` is
    free text: the canonical status comes from the dates (raw status kept): future before
    `startDate`, ended once `targetVacateDate` has come, else active (periodic once past
    `endDate`, or without one)."""
    property_id = tenancy.get("propertyId")
    if not property_id:
        raise MappingError("tenancy has no propertyId")
    start = values.iso_date(tenancy.get("startDate"))
    end = values.iso_date(tenancy.get("endDate"))
    vacate = values.iso_date(tenancy.get("targetVacateDate"))
    # A UK tenancy outlives its fixed term (it rolls on, periodic) until the tenants
    # leave: only a vacate date that has come ends it.
    status = ("future" if start and start > today else
              "ended" if vacate and vacate <= today else "active" if start else "other")
    rent = money(tenancy.get("rent"))
    frequency = values.text(tenancy.get("rentalFrequency"))
    key = (frequency or "").replace(" ", "").replace("-", "").lower()
    tenants = tenant_ids.get("items", [])
    if not isinstance(tenants, list):
        raise MappingError("the tenancy's tenantIds answer holds no list of tenants")
    contacts = tuple(dict.fromkeys(str(t["contactId"]) for t in tenants if t.get("contactId")))
    return Tenancy(
        property_id=str(property_id), tenant_ids=contacts,
        start_date=start, end_date=end,
        move_out_date=vacate if vacate and vacate <= today else None,
        is_periodic=status == "active" and (end is None or end < today),
        rent_amount=rent,
        rent_currency=(values.text(tenancy.get("currencyCode")) or DEFAULT_CURRENCY)
        if rent is not None else None,
        rent_frequency=RENT_FREQUENCIES.get(key, "other") if key else "other",
        rent_frequency_raw=frequency,
        deposit_amount=money(tenancy.get("depositRequested")),
        status=status, status_raw=values.text(tenancy.get("status")),
    )


def map_address(raw: Raw | None) -> Address | None:
    """Alto's address (`subDwelling`, `nameNo`, `street`, `locality`, `town`, `county`,
    `postcode`, `countryCode`)."""
    if not raw:
        return None
    street = " ".join(p for p in (values.text(raw.get("nameNo")), values.text(raw.get("street")))
                      if p) or None
    lines = [x for x in (values.text(raw.get("subDwelling")), street,
                         values.text(raw.get("locality"))) if x]
    lines += [None] * (3 - len(lines))
    country = values.text(raw.get("countryCode"))
    iso = "GB" if country and country.upper() == "UK" else country.upper() if country else None
    if iso is not None and not (len(iso) == 2 and iso.isalpha() and iso.isascii()):
        iso = None
    address = Address(line1=lines[0], line2=lines[1], line3=lines[2],
                      city=values.text(raw.get("town")), region=values.text(raw.get("county")),
                      postcode=values.text(raw.get("postcode")), country=iso,
                      country_raw=country if country and iso is None else None)
    return address if address != Address() else None


def _person(contact: Raw) -> Raw:
    """The contact's first person (`contactInformation[0]`)."""
    people = contact.get("contactInformation") or []
    return people[0] if people and isinstance(people[0], Mapping) else {}


def _contact(person: Raw) -> Contact:
    return Contact(email=values.text(person.get("emailAddress")),
                   phone=values.text(person.get("phoneNumber")))
