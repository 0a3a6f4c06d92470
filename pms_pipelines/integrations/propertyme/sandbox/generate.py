"""Realistic, seeded PropertyMe data (Australian addresses, AUD weekly rents) for the
sandbox, and the churn that mutates it.

Generated change stamps hang off a fixed anchor in the past, so the same seed gives the
same records and a recent watermark sees only what churn, `touch` or `remove` changed
(they stamp with the real current time). Tenancy dates are relative to today.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Record
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore

ANCHOR = datetime(2026, 1, 1, tzinfo=timezone.utc)
FIRST = ["Olivia", "Jack", "Charlotte", "William", "Amelia", "Noah", "Isla", "Oliver", "Mia",
         "Thomas", "Chloe", "Lachlan", "Ruby", "Cooper", "Sienna", "Mei", "Arjun", "Aroha"]
LAST = ["Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Kelly",
        "Ryan", "Chen", "Singh", "Papadopoulos", "O'Connor", "Walker", "Murphy"]
STREETS = ["Crown St", "Brunswick St", "Oxford St", "Chapel St", "James St", "Rokeby Rd",
           "The Parade", "Hampden Rd", "King William St", "Lonsdale St"]
SUBURBS = [("Surry Hills", "NSW", "2010"), ("Newtown", "NSW", "2042"), ("Fitzroy", "VIC", "3065"),
           ("Richmond", "VIC", "3121"), ("New Farm", "QLD", "4005"), ("Subiaco", "WA", "6008"),
           ("Norwood", "SA", "5067"), ("Battery Point", "TAS", "7004"), ("Braddon", "ACT", "2612")]
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


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _past(rng: random.Random, max_days: int = 300) -> datetime:
    return ANCHOR - timedelta(days=rng.randint(1, max_days), seconds=rng.randint(0, 86399))


def _address(rng: random.Random, unit: str | None = None) -> dict[str, Any]:
    suburb, state, postcode = rng.choice(SUBURBS)
    address = {"Number": str(rng.randint(1, 250)), "Street": rng.choice(STREETS),
               "Suburb": suburb, "State": state, "PostalCode": postcode, "Country": "Australia"}
    if unit:
        address["Unit"] = unit
    address["Text"] = (f"{unit + '/' if unit else ''}{address['Number']} {address['Street']}, "
                       f"{suburb} {state} {postcode}")
    return address


def _person(rng: random.Random, contact_id: str, company: str | None = None) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    person = {"Id": _id(rng), "CustomerId": "sandbox", "ContactId": contact_id,
              "FirstName": first, "LastName": last,
              "Email": f"{first}.{last}{rng.randint(1, 99)}@example.com.au".lower().replace("'", ""),
              "CellPhone": f"04{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
              "IsPrimary": True, "SortOrder": 0, "FullName": f"{first} {last}",
              "PostalAddress": _address(rng), "IsChatAvailable": False}
    if company:
        person.update(CompanyName=company, FirstName="", LastName="", FullName=company)
    return person


def add_contact(store: AgencyStore, rng: random.Random, role: str, at: datetime) -> Record:
    """An owner or tenant contact with one primary contact person."""
    contact_id = _id(rng)
    company = f"{rng.choice(LAST)} Family Trust" if role == "Owner" and rng.random() < 0.2 else None
    person = _person(rng, contact_id, company)
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
    address = _address(rng, unit)
    lot = {"Id": _id(rng), "CustomerId": "sandbox", "Reference": address["Text"].split(",")[0],
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
        "Id": _id(rng), "CustomerId": "sandbox", "LotId": lot["Id"], "ContactId": tenant["Id"],
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
    for n in range(units):
        if owner is None or n % rng.randint(1, 3) == 0:
            owner = add_contact(store, rng, "Owner", _past(rng))
        lot = add_lot(store, rng, owner, _past(rng))
        roll = rng.random()
        if roll < 0.85:
            add_tenancy(store, rng, lot, "active", _past(rng))
        elif roll < 0.92:
            add_tenancy(store, rng, lot, "future", _past(rng))
        if rng.random() < 0.15:
            add_tenancy(store, rng, lot, "closed", _past(rng))
    return store


def churn_once(store: AgencyStore, rng: random.Random, now: datetime) -> dict[str, int]:
    """Change, add and archive a few records, stamping each change with `now`."""
    changed = added = removed = 0
    with store.lock:
        tenancies = [t for t in store.records["tenancies"].values() if not t["IsClosed"]]
        for tenancy in rng.sample(tenancies, max(1, len(tenancies) // 50)) if tenancies else []:
            tenancy["RentAmount"] = round(tenancy["RentAmount"] * rng.uniform(1.01, 1.06), 2)
            store.put("tenancies", tenancy, now)
            changed += 1
        contacts = [c for c in store.records["contacts"].values() if not c["IsArchived"]]
        for contact in rng.sample(contacts, min(2, len(contacts))):
            contact["CellPhone"] = f"04{rng.randint(10, 99)} {rng.randint(100, 999)} 000"
            contact["PrimaryContactPerson"]["CellPhone"] = contact["CellPhone"]
            store.put("contacts", contact, now)
            changed += 1
        lots = [lot for lot in store.records["lots"].values() if not lot["IsArchived"]]
        if lots:
            add_tenancy(store, rng, rng.choice(lots), "future", now)
            added += 1
        if len(lots) > 1 and rng.random() < 0.5:
            archive(store, "lots", rng.choice(lots)["Id"], now)
            removed += 1
    return {"changed": changed, "added": added, "removed": removed}
