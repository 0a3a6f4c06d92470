"""Reapit Foundations records → canonical records: pure functions, one per entity.

Inputs are the JSON objects exactly as the platform API returns them (`PropertyModel`,
`LandlordModel`, `ContactModel`, `TenancyModel`). A record that cannot be mapped raises
`MappingError` (or pydantic's `ValidationError`); the kit turns both into `Rejected`.

Enum tables (unknown values → `other`, raw value kept; see README.md):

| property `type` (first) | property_type |   | `letting.status` | property status |
|---|---|---|---|---|
| house, bungalow, cottage | house |   | toLet, toLetUnavailable, underOffer, underOfferUnavailable, arrangingTenancy, arrangingTenancyUnavailable, tenancyCurrent, tenancyCurrentUnavailable | active |
| flatApartment, maisonette, studio | apartment | | valuation, provisional, tenancyFinished, tenancyCancelled, sold, letByOtherAgent, letPrivately, withdrawn | inactive |
| townhouse | townhouse |   |   |   |
| land, farm, developmentPlot | other |   |   |   |

| tenancy `status` | status |   | `rentFrequency` | rent_frequency |
|---|---|---|---|---|
| offerPending, arranging | pending | | weekly | weekly |
| current | active | | monthly | monthly |
| finished | ended | | annually | yearly |
| offerWithdrawn, offerRejected, cancelled | cancelled | | | |

Addresses: `buildingName`, `buildingNumber` + `line1` (street) and `line2` (locality)
become lines 1–3, `line3` the town (city), `line4` the county (region); `countryId` is
ISO-3166 already ("UK" is read as GB). Money is `Decimal`; the currency is the
property's `currency` (Reapit's platform default, GBP, when the property gives none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pms_pipelines.canonical import (
    Address,
    Contact,
    Landlord,
    Property,
    Tenancy,
    TenancyTenant,
    Tenant,
)
from pms_pipelines.integrations.kit import values
from pms_pipelines.integrations.kit.values import MappingError, money

Raw = Mapping[str, Any]
DEFAULT_CURRENCY = "GBP"


PROPERTY_TYPES: dict[str, str] = {
    "house": "house", "bungalow": "house", "cottage": "house",
    "flatApartment": "apartment", "maisonette": "apartment", "studio": "apartment",
    "townhouse": "townhouse", "land": "other", "farm": "other", "developmentPlot": "other",
}
LETTING_STATUSES: dict[str, str] = {
    **dict.fromkeys(("toLet", "toLetUnavailable", "underOffer", "underOfferUnavailable",
                     "arrangingTenancy", "arrangingTenancyUnavailable", "tenancyCurrent",
                     "tenancyCurrentUnavailable"), "active"),
    **dict.fromkeys(("valuation", "provisional", "tenancyFinished", "tenancyCancelled",
                     "sold", "letByOtherAgent", "letPrivately", "withdrawn"), "inactive"),
}
TENANCY_STATUSES: dict[str, str] = {
    "offerPending": "pending", "arranging": "pending", "current": "active",
    "finished": "ended", "offerWithdrawn": "cancelled", "offerRejected": "cancelled",
    "cancelled": "cancelled",
}
RENT_FREQUENCIES: dict[str, str] = {"weekly": "weekly", "monthly": "monthly",
                                    "annually": "yearly"}
COUNTRY_ALIASES: dict[str, str] = {"UK": "GB"}  # seen in agents' data; not ISO-3166


def map_property(prop: Raw) -> Property:
    """A Reapit property (letting side) → a canonical property."""
    types = [str(t) for t in prop.get("type") or [] if t]
    letting = prop.get("letting") or {}
    status = values.text(letting.get("status"))
    landlord = values.text(letting.get("landlordId"))
    bedrooms = prop.get("bedrooms")
    address = map_address(prop.get("address"))
    if address is None:
        raise MappingError("property has no address")
    return Property(
        address=address,
        property_type=PROPERTY_TYPES.get(types[0], "other") if types else "other",
        property_type_raw=",".join(types) or None,
        bedrooms=bedrooms,
        status=LETTING_STATUSES.get(status, "other") if status else "other",
        status_raw=status,
        landlord_ids=(landlord,) if landlord else (),
    )


def map_landlord(landlord: Raw) -> Landlord:
    """A Reapit landlord → a canonical landlord, from its primary related contact/company."""
    related = landlord.get("related") or []
    if not related:
        raise MappingError("landlord has no related contact or company")
    primary = related[0]
    if primary.get("type") == "company":
        return Landlord(kind="company", company_name=values.text(primary.get("name")),
                        contact=_contact(primary),
                        address=map_address(primary.get("primaryAddress")))
    return Landlord(
        kind="person", first_name=values.text(primary.get("forename")),
        last_name=values.text(primary.get("surname")), contact=_contact(primary),
        address=map_address(primary.get("primaryAddress")),
    )


def is_tenant(contact: Raw) -> bool:
    """A contact with a tenancy role (served in `relationships`, or `_embedded` by embed)."""
    roles = contact.get("relationships")
    if roles is None:
        roles = (contact.get("_embedded") or {}).get("relationships") or []
    return any(r.get("associatedType") == "tenancy" for r in roles)


def map_tenant(contact: Raw) -> Tenant:
    """A Reapit contact with a tenancy role → a canonical tenant."""
    first, last = values.text(contact.get("forename")), values.text(contact.get("surname"))
    if first is None and last is None:
        raise MappingError("tenant contact has no forename or surname")
    return Tenant(first_name=first, last_name=last,
                  date_of_birth=values.iso_date(contact.get("dateOfBirth")), contact=_contact(contact))


def map_tenancy(tenancy: Raw, currency: str | None) -> Tenancy:
    """A Reapit tenancy → a canonical tenancy; `currency` is its property's."""
    property_id = values.text(tenancy.get("propertyId"))
    if not property_id:
        raise MappingError("tenancy has no propertyId")
    related = [r for r in tenancy.get("related") or [] if r.get("type", "contact") == "contact"]
    # Per tenant, Reapit states its dates and no status; a tenant listed twice keeps
    # its first entry.
    firsts: dict[str, Raw] = {}
    for r in related:
        if r.get("id"):
            firsts.setdefault(str(r["id"]), r)
    tenants = tuple(TenancyTenant(tenant_id=tenant_id,
                                  move_in_date=values.iso_date(r.get("occupyOn")),
                                  move_out_date=values.iso_date(r.get("vacateOn")))
                    for tenant_id, r in firsts.items())
    move_ins = [d for d in (values.iso_date(r.get("occupyOn")) for r in related) if d]
    move_outs = [d for d in (values.iso_date(r.get("vacateOn")) for r in related) if d]
    rent = money(tenancy.get("rent"))
    frequency = values.text(tenancy.get("rentFrequency"))
    status = values.text(tenancy.get("status"))
    return Tenancy(
        property_id=property_id,
        tenant_ids=tuple(t.tenant_id for t in tenants),
        tenants=tenants,
        start_date=values.iso_date(tenancy.get("startDate")),
        end_date=values.iso_date(tenancy.get("endDate")),
        move_in_date=min(move_ins) if move_ins else None,
        # Only when every tenant has a vacate date: one staying on means not moved out.
        move_out_date=max(move_outs) if move_outs and len(move_outs) == len(related) else None,
        is_periodic=bool(tenancy.get("isPeriodic")),
        rent_amount=rent,
        rent_currency=(currency or DEFAULT_CURRENCY) if rent is not None else None,
        rent_frequency=RENT_FREQUENCIES.get(frequency, "other") if frequency else "other",
        rent_frequency_raw=frequency,
        deposit_amount=money((tenancy.get("deposit") or {}).get("sum")),
        status=TENANCY_STATUSES.get(status, "other") if status else "other",
        status_raw=status,
    )


def map_address(raw: Raw | None) -> Address | None:
    if not raw:
        return None
    street = " ".join(p for p in (values.text(raw.get("buildingNumber")), values.text(raw.get("line1")))
                      if p) or None
    lines = [x for x in (values.text(raw.get("buildingName")), street, values.text(raw.get("line2"))) if x]
    lines += [None] * (3 - len(lines))
    country = values.text(raw.get("countryId"))
    iso = COUNTRY_ALIASES.get(country.upper(), country.upper()) if country else None
    if iso is not None and not (len(iso) == 2 and iso.isalpha() and iso.isascii()):
        iso = None
    address = Address(
        line1=lines[0], line2=lines[1], line3=lines[2], city=values.text(raw.get("line3")),
        region=values.text(raw.get("line4")), postcode=values.text(raw.get("postcode")), country=iso,
        country_raw=country if country and iso is None else None,
    )
    return address if address != Address() else None


def _contact(raw: Raw) -> Contact:
    # A mobile reaches a tenant best; then home, then work.
    phones: Sequence[Any] = (raw.get("mobilePhone"), raw.get("homePhone"), raw.get("workPhone"))
    return Contact(email=values.text(raw.get("email")),
                   phone=next((p for p in map(values.text, phones) if p), None))
