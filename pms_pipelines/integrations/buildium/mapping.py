"""Buildium records → canonical records: pure functions, one per entity.

Inputs are the JSON objects exactly as the Buildium API returns them (`RentalUnitMessage`,
`RentalMessage`, `RentalOwnerMessage`, `TenantMessage`, `LeaseMessage`, `RentMessage`).
A record that cannot be mapped raises `MappingError` (or pydantic's `ValidationError`
from the canonical model); `pull.py` turns both into `Rejected`.

Enum tables (unknown values map to `other` with the raw value kept; see README.md):

| Buildium `RentalSubType` | property_type |   | `RentCycle`  | rent_frequency |
|---|---|---|---|---|
| SingleFamily   | house      |   | Weekly       | weekly      |
| CondoTownhome  | condo      |   | Every2Weeks  | fortnightly |
| MultiFamily    | apartment  |   | Monthly      | monthly     |
| Industrial, Office, Retail, ShoppingCenter | commercial | | Every2Months | bimonthly |
| Storage, ParkingSpace | other | | Quarterly | quarterly |
| (none; RentalType Commercial) | commercial | | Every6Months | half_yearly |
| (none; RentalType Residential/None) | other | | Yearly | yearly |
|   |   |   | OneTime      | one_time    |
|   |   |   | Daily, None  | other       |

`LeaseStatus`: Active → active, Future → future, Past → ended (Buildium has no
pending/cancelled lease). Per tenant (`Tenants[].Status`): Current → current, Future →
future, MovedOut → moved_out; a tenant only in `CurrentTenants` is current. A
`FixedWithRollover` lease still Active after its `LeaseToDate` has turned at-will:
periodic. `UnitBedrooms`: Studio → 0, OneBed…EightBed → 1…8,
NineBedPlus → 9, NotSet/null/unknown → null; `bedrooms_raw` always keeps the value
Buildium sent, like the other raw fields here, because NineBedPlus → 9 is lossy and
NotSet/unknown would otherwise vanish. Rental `IsActive` → property status
active/inactive (raw `Active`/`InActive`, Buildium's own filter values). `building_id`
is the unit's rental property (`PropertyId`). `Country` → ISO-3166 via `countries.py`;
`country_raw` only when it does not map (a mapped name is one-to-one with its code).

Deletes: Buildium signals none for these records. An inactive rental stays an upsert
with status `inactive`, a `Past` lease an upsert with status `ended`, an inactive owner
an upsert; records that vanish are caught by the generic full-snapshot diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
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
from pms_pipelines.integrations.buildium.countries import BUILDIUM_COUNTRY_TO_ISO
from pms_pipelines.integrations.kit import values
from pms_pipelines.integrations.kit.values import MappingError, id_order, money

Raw = Mapping[str, Any]


PROPERTY_TYPES: dict[str, str] = {
    "SingleFamily": "house", "CondoTownhome": "condo", "MultiFamily": "apartment",
    "Industrial": "commercial", "Office": "commercial", "Retail": "commercial",
    "ShoppingCenter": "commercial", "Storage": "other", "ParkingSpace": "other",
}
RENT_FREQUENCIES: dict[str, str] = {
    "Weekly": "weekly", "Every2Weeks": "fortnightly", "Monthly": "monthly",
    "Every2Months": "bimonthly", "Quarterly": "quarterly", "Every6Months": "half_yearly",
    "Yearly": "yearly", "OneTime": "one_time", "Daily": "other", "None": "other",
}
TENANCY_STATUSES: dict[str, str] = {"Active": "active", "Future": "future", "Past": "ended"}
TENANT_STATUSES: dict[str, str] = {"Current": "current", "Future": "future", "MovedOut": "moved_out"}
BEDROOMS: dict[str, int | None] = {
    "NotSet": None, "Studio": 0, "OneBed": 1, "TwoBed": 2, "ThreeBed": 3, "FourBed": 4,
    "FiveBed": 5, "SixBed": 6, "SevenBed": 7, "EightBed": 8, "NineBedPlus": 9,
}
# Which phone number becomes the contact phone: mobiles reach tenants best; never a fax.
PHONE_PREFERENCE = ("Cell", "Personal", "Home", "Office", "Other", "NotSet")


def map_property(unit: Raw, rental: Raw | None, landlord_ids: Iterable[str]) -> Property:
    """A Buildium rental unit (plus its rental property) → a canonical property."""
    if rental is None:
        raise MappingError(f"rental property {unit.get('PropertyId')} of the unit not found")
    subtype, rental_type = rental.get("RentalSubType"), rental.get("RentalType")
    if subtype:
        property_type = PROPERTY_TYPES.get(subtype, "other")
    else:
        property_type = "commercial" if rental_type == "Commercial" else "other"
    address = map_address(unit.get("Address"))
    if address is None or address.line1 is None:
        address = map_address(rental.get("Address")) or Address()
    name_parts = [values.text(rental.get("Name")), values.text(unit.get("UnitNumber"))]
    is_active = rental.get("IsActive")
    bedrooms_raw = values.text(unit.get("UnitBedrooms"))
    return Property(
        name=" - ".join(p for p in name_parts if p) or None,
        address=address,
        property_type=property_type,
        property_type_raw=subtype or rental_type,
        bedrooms=BEDROOMS.get(bedrooms_raw or "NotSet"),
        bedrooms_raw=bedrooms_raw,
        status={True: "active", False: "inactive"}.get(is_active, "other"),
        status_raw={True: "Active", False: "InActive"}.get(is_active),
        landlord_ids=tuple(sorted(set(landlord_ids), key=id_order)),
        building_id=values.text(unit.get("PropertyId")),
    )


def map_landlord(owner: Raw) -> Landlord:
    """A Buildium rental owner → a canonical landlord."""
    is_company = bool(owner.get("IsCompany"))
    return Landlord(
        kind="company" if is_company else "person",
        first_name=values.text(owner.get("FirstName")),
        last_name=values.text(owner.get("LastName")),
        company_name=values.text(owner.get("CompanyName")),
        contact=_contact(owner),
        address=map_address(owner.get("Address")),
    )


def map_tenant(tenant: Raw) -> Tenant:
    """A Buildium lease tenant → a canonical tenant."""
    return Tenant(
        first_name=values.text(tenant.get("FirstName")),
        last_name=values.text(tenant.get("LastName")),
        date_of_birth=values.iso_date(tenant.get("DateOfBirth")),
        contact=_contact(tenant),
    )


def map_tenancy(lease: Raw, rents: Sequence[Raw], today: date) -> Tenancy:
    """A Buildium lease plus its rent schedules → a canonical tenancy.

    Rent comes from the schedule in force `today` (else the latest started, else the
    first upcoming); without any schedule, the lease's `AccountDetails.Rent` with
    frequency `other`, because Buildium then says nothing about the cycle.
    """
    unit_id = lease.get("UnitId")
    if not unit_id:
        raise MappingError("lease has no UnitId")
    details = lease.get("AccountDetails") or {}
    schedule = current_rent(rents, today)
    if schedule is not None:
        amount = money(schedule.get("TotalAmount"))
        cycle = schedule.get("RentCycle")
        frequency = RENT_FREQUENCIES.get(cycle, "other") if cycle else "other"
    else:
        amount, cycle, frequency = money(details.get("Rent")), None, "other"
    tenants = lease_tenants(lease)
    move_ins = [t.move_in_date for t in tenants if t.move_in_date]
    move_outs = [t.move_out_date for t in tenants if t.move_out_date]
    status = lease.get("LeaseStatus")
    end_date = values.iso_date(lease.get("LeaseToDate"))
    # At-will and month-to-month leases roll on with no fixed end: periodic. So does a
    # FixedWithRollover lease still active after its end date (it turns at-will).
    rolled_over = (lease.get("LeaseType") == "FixedWithRollover" and status == "Active"
                   and end_date is not None and end_date < today)
    return Tenancy(
        property_id=str(unit_id),
        tenant_ids=tuple(t.tenant_id for t in tenants),
        tenants=tenants,
        start_date=values.iso_date(lease.get("LeaseFromDate")),
        end_date=end_date,
        move_in_date=min(move_ins) if move_ins else None,
        # The tenancy's occupation ends when its last tenant leaves, not its first.
        move_out_date=max(move_outs) if move_outs and len(move_outs) == len(tenants) else None,
        is_periodic=(lease.get("LeaseType") == "AtWill" or rolled_over
                     or lease.get("TermType") == "MonthToMonth"),
        rent_amount=amount,
        rent_currency="USD" if amount is not None else None,  # Buildium accounts are in USD
        rent_frequency=frequency,
        rent_frequency_raw=cycle,
        deposit_amount=money(details.get("SecurityDeposit")),
        status=TENANCY_STATUSES.get(status, "other") if status else "other",
        status_raw=status,
    )


def lease_tenants(lease: Raw) -> tuple[TenancyTenant, ...]:
    """Every tenant ever on the lease, in id order: those of `Tenants` with their
    `Status` and `MoveInDate`, and any only in `CurrentTenants` (current by being
    listed there); each with its date in `MoveOutData`."""
    listed: dict[str, Raw] = {str(t["Id"]): t for t in lease.get("Tenants") or [] if t.get("Id")}
    current = {str(t["Id"]) for t in lease.get("CurrentTenants") or [] if t.get("Id")}
    leaving = {str(m["TenantId"]): values.iso_date(m.get("MoveOutDate"))
               for m in lease.get("MoveOutData") or [] if m.get("TenantId")}
    out = []
    for tenant_id in sorted(listed.keys() | current, key=id_order):
        raw = (listed.get(tenant_id) or {}).get("Status")
        status = (TENANT_STATUSES.get(raw, "other") if raw
                  else "current" if tenant_id in current else None)
        out.append(TenancyTenant(
            tenant_id=tenant_id, status=status, status_raw=raw,
            move_in_date=values.iso_date((listed.get(tenant_id) or {}).get("MoveInDate")),
            move_out_date=leaving.get(tenant_id)))
    return tuple(out)


def current_rent(rents: Sequence[Raw], today: date) -> Raw | None:
    """The rent schedule in force on `today`; else the latest started; else the first upcoming."""
    dated = [(r, values.iso_date(r.get("StartDate")) or date.min, values.iso_date(r.get("EndDate"))) for r in rents]
    in_force = [x for x in dated if x[1] <= today and (x[2] is None or x[2] >= today)]
    started = [x for x in dated if x[1] <= today]
    upcoming = sorted((x for x in dated if x[1] > today), key=lambda x: x[1])
    for pool in (in_force, started):
        if pool:
            return max(pool, key=lambda x: (x[1], x[0].get("Id") or 0))[0]
    return upcoming[0][0] if upcoming else None


def map_address(raw: Raw | None) -> Address | None:
    if not raw:
        return None
    country = values.text(raw.get("Country"))
    iso = BUILDIUM_COUNTRY_TO_ISO.get(country) if country else None
    address = Address(
        line1=values.text(raw.get("AddressLine1")), line2=values.text(raw.get("AddressLine2")),
        line3=values.text(raw.get("AddressLine3")), city=values.text(raw.get("City")),
        region=values.text(raw.get("State")), postcode=values.text(raw.get("PostalCode")),
        country=iso,
        # Kept only when unmapped: a mapped name says nothing its ISO code does not.
        country_raw=country if iso is None else None,
    )
    return address if address != Address() else None


def _contact(raw: Raw) -> Contact:
    phones = {p.get("Type") or "NotSet": values.text(p.get("Number"))
              for p in reversed(raw.get("PhoneNumbers") or [])}
    phone = next((phones[t] for t in PHONE_PREFERENCE if phones.get(t)), None)
    return Contact(email=values.text(raw.get("Email")) or values.text(raw.get("AlternateEmail")), phone=phone)
