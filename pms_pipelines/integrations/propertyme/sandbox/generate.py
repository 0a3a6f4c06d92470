"""Realistic, seeded PropertyMe data (Australian addresses, AUD weekly rents) for the
sandbox, and the churn that mutates it.

Names, addresses and times: the kit's fake data (`kit.sandbox_fake`, AU locale); tenancy
dates are relative to today.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Record
from pms_pipelines.integrations.kit.sandbox_churn import Change, Gone, churn
from pms_pipelines.integrations.kit.sandbox_fake import AU, Fake
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore

SUBTYPES = ["House", "House", "Unit", "Unit", "Apartment", "Townhouse", "Villa", "Studio"]
PERIODS = ["Weekly"] * 7 + ["Fortnightly", "Fortnightly", "Monthly"]


def iso(moment: datetime) -> str:
    """PropertyMe's date-time format (UTC, `Z`), to the microsecond."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def archive(store: AgencyStore, collection: str, record_id: str, at: datetime) -> None:
    """Archive a lot or contact as PropertyMe does: flagged, `ArchivedOn`, saved."""
    record = store.records[collection][record_id]
    record.update(IsArchived=True, ArchivedOn=iso(at))
    store.put(collection, record, at)


def _address(fake: Fake, unit: str | None = None) -> dict[str, Any]:
    place = fake.place()
    address = {"Number": str(fake.rng.randint(1, 250)), "Street": fake.street(),
               "Suburb": place.locality, "State": place.region, "PostalCode": place.postcode,
               "Country": "Australia"}
    if unit:
        address["Unit"] = unit
    address["Text"] = (f"{unit + '/' if unit else ''}{address['Number']} {address['Street']}, "
                       f"{place.locality} {place.region} {place.postcode}")
    return address


def _person(fake: Fake, contact_id: str, company: str | None = None) -> dict[str, Any]:
    first, last = fake.name()
    person = {"Id": fake.uuid(), "CustomerId": "sandbox", "ContactId": contact_id,
              "FirstName": first, "LastName": last, "Email": fake.email(first, last),
              "CellPhone": fake.phone(), "IsPrimary": True, "SortOrder": 0,
              "FullName": f"{first} {last}", "PostalAddress": _address(fake),
              "IsChatAvailable": False}
    if company:
        person.update(CompanyName=company, FirstName="", LastName="", FullName=company)
    return person


def add_contact(store: AgencyStore, rng: random.Random, role: str, at: datetime) -> Record:
    """An owner or tenant contact with one primary contact person."""
    fake = Fake(rng, AU)
    contact_id = fake.uuid()
    company = f"{fake.name()[1]} Family Trust" if role == "Owner" and rng.random() < 0.2 else None
    person = _person(fake, contact_id, company)
    contact = {
        "Id": contact_id, "CustomerId": "sandbox", "Roles": [role], "RolesString": role,
        "IsOwner": role == "Owner", "IsTenant": role == "Tenant", "IsSupplier": False,
        "IsSeller": False, "IsArchived": False, "PersonMigrated": True,
        "NameText": person["FullName"], "Reference": person["FullName"].upper()[:12],
        "Email": person["Email"], "CellPhone": person["CellPhone"],
        "PrimaryContactPerson": person, "ContactPersons": [person],
        "PostalAddressText": person["PostalAddress"]["Text"],
        "CreatedOn": iso(at - timedelta(days=30)),
    }
    return store.put("contacts", contact, at)


def add_lot(store: AgencyStore, rng: random.Random, owner: Record, at: datetime) -> Record:
    subtype = rng.choice(SUBTYPES)
    unit = str(rng.randint(1, 40)) if subtype in ("Unit", "Apartment", "Studio") else None
    fake = Fake(rng, AU)
    address = _address(fake, unit)
    lot = {"Id": fake.uuid(), "CustomerId": "sandbox", "Reference": address["Text"].split(",")[0],
           "Address": address, "AddressText": address["Text"], "PrimaryType": "Residential",
           "PropertySubtype": subtype, "Bedrooms": 0 if subtype == "Studio" else rng.randint(1, 5),
           "Bathrooms": rng.randint(1, 3), "CarSpaces": rng.randint(0, 2), "IsRental": True,
           "IsArchived": False, "DisplayAddress": True, "OwnerContactId": owner["Id"],
           "OwnerContactReference": owner["Reference"], "ManagerName": "Sandbox Manager",
           "Vacant": True, "CreatedOn": iso(at - timedelta(days=60))}
    return store.put("lots", lot, at)


def add_tenancy(store: AgencyStore, rng: random.Random, lot: Record, state: str,
                at: datetime) -> Record:
    """A tenancy of `lot` with a new tenant contact; `state` is active, future or closed."""
    tenant = add_contact(store, rng, "Tenant", at)
    today = date.today()
    if state == "future":
        start = today + timedelta(days=rng.randint(5, 60))
    elif state == "closed":
        start = today - timedelta(days=rng.randint(800, 1500))
    else:
        start = today - timedelta(days=rng.randint(10, 700))
    end = start + timedelta(days=364)
    periodic = state == "active" and end < today
    rent = float(rng.randrange(380, 1200, 5))
    period = rng.choice(PERIODS)
    rent = rent * {"Weekly": 1, "Fortnightly": 2, "Monthly": 4.35}[period]
    tenancy = {
        "Id": Fake(rng, AU).uuid(), "CustomerId": "sandbox", "LotId": lot["Id"], "ContactId": tenant["Id"],
        "ContactReference": tenant["Reference"], "LotAddress": lot["AddressText"],
        "LotReference": lot["Reference"], "Name": tenant["NameText"],
        "ContactEmail": tenant["Email"], "ContactCellPhone": tenant["CellPhone"],
        "IsActive": state == "active", "IsClosed": state == "closed",
        "TenancyStart": f"{start.isoformat()}T00:00:00Z",
        "AgreementStart": f"{start.isoformat()}T00:00:00Z",
        "AgreementEnd": f"{end.isoformat()}T00:00:00Z", "Periodic": periodic,
        "RentAmount": round(rent, 2), "RentPeriod": period,
        "BondAmount": round(rent * {"Weekly": 4, "Fortnightly": 2, "Monthly": 1}[period], 2),
        "FolioNumber": rng.randint(1000, 9999), "TaxOnRent": False, "GenerateRentInvoice": False,
        "CreatedOn": f"{start.isoformat()}T00:00:00Z",
    }
    if state == "closed":
        tenancy["TenancyEnd"] = f"{end.isoformat()}T00:00:00Z"
    if state == "active":
        lot.update(Vacant=False, ActiveTenancyId=tenancy["Id"], TenantContactId=tenant["Id"],
                   RentAmount=tenancy["RentAmount"], RentPeriod=period)
    return store.put("tenancies", tenancy, at)


def generate_agency(store: AgencyStore, units: int, rng: random.Random) -> AgencyStore:
    """`units` lots, their owners (one per 1–3 lots), tenancies and tenants."""
    owner: Record | None = None
    fake = Fake(rng, AU)
    for n in range(units):
        if owner is None or n % rng.randint(1, 3) == 0:
            owner = add_contact(store, rng, "Owner", fake.past(300))
        lot = add_lot(store, rng, owner, fake.past(300))
        roll = rng.random()
        if roll < 0.85:
            add_tenancy(store, rng, lot, "active", fake.past(300))
        elif roll < 0.92:
            add_tenancy(store, rng, lot, "future", fake.past(300))
        if rng.random() < 0.15:
            add_tenancy(store, rng, lot, "closed", fake.past(300))
    return store


def _new_phone(contact: Record, rng: random.Random) -> None:
    contact["CellPhone"] = contact["PrimaryContactPerson"]["CellPhone"] = Fake(rng, AU).phone()


def churn_once(store: AgencyStore, rng: random.Random, now: datetime) -> dict[str, int]:
    """Rents change, contacts' phones, a future tenancy arrives, and now and then a lot
    is archived."""
    return churn(store, rng, now, [
        Change("tenancies", lambda t, r: t.update(
            RentAmount=round(t["RentAmount"] * r.uniform(1.01, 1.06), 2)),
            which=lambda t: not t["IsClosed"]),
        Change("contacts", _new_phone, which=lambda c: not c["IsArchived"], most=2),
    ], add=lambda s, r, at: add_tenancy(s, r, r.choice(
        [lot for lot in s.records["lots"].values() if not lot["IsArchived"]]), "future", at),
        gone=Gone("lots", lambda lot: not lot["IsArchived"], chance=0.5, keep=1))
