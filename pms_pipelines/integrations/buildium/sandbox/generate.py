"""Realistic, seeded Buildium data for the sandbox, and the churn that mutates it.

Names, addresses and times: the kit's fake data (`kit.sandbox_fake`, US locale).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Record
from pms_pipelines.integrations.kit.sandbox_churn import Change, Gone, churn
from pms_pipelines.integrations.kit.sandbox_fake import ANCHOR, US, Fake
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore

BEDROOMS = ["Studio", "OneBed", "TwoBed", "TwoBed", "ThreeBed", "FourBed", "NotSet"]
CYCLES = ["Monthly"] * 8 + ["Weekly", "Every2Weeks"]


def _phones(fake: Fake) -> list[dict[str, Any]]:
    kinds = fake.rng.sample(["Cell", "Home", "Office", "Fax"], fake.rng.randint(0, 2))
    return [{"Number": fake.phone(kind == "Cell"), "Type": kind} for kind in kinds]


def _person(fake: Fake) -> dict[str, Any]:
    first, last = fake.name()
    return {"FirstName": first, "LastName": last, "PhoneNumbers": _phones(fake),
            "Email": fake.email(first, last)}


def _address(fake: Fake, line2: str | None = None) -> dict[str, Any]:
    place = fake.place()
    return {"AddressLine1": f"{fake.rng.randint(1, 9999)} {fake.street()}",
            "AddressLine2": line2, "AddressLine3": None, "City": place.town,
            "State": place.region, "PostalCode": place.postcode, "Country": "UnitedStates"}


def generate_agency(store: AgencyStore, units: int, rng: random.Random) -> AgencyStore:
    """Rentals of 1–12 units until `units` units exist, their owners, leases and tenants."""
    store.next_id = rng.randint(100, 900) * 10_000  # distinct id ranges per agency
    fake = Fake(rng, US)
    rentals: list[Record] = []
    while sum(r["NumberUnits"] for r in rentals) < units:
        kind = rng.choice(["SingleFamily", "CondoTownhome", "MultiFamily", "MultiFamily",
                           "Office"])
        count = {"SingleFamily": 1, "CondoTownhome": rng.randint(1, 4),
                 "MultiFamily": rng.randint(4, 12), "Office": rng.randint(1, 3)}[kind]
        count = min(count, units - sum(r["NumberUnits"] for r in rentals))
        rid = store.new_id()
        rental = {"Id": rid, "Name": f"{fake.street()} {rid % 1000}",
                  "StructureDescription": None, "NumberUnits": count,
                  "IsActive": rng.random() > 0.03, "OperatingBankAccountId": 1,
                  "Reserve": 0.0, "Address": _address(fake),
                  "YearBuilt": rng.randint(1920, 2022),
                  "RentalType": "Commercial" if kind == "Office" else "Residential",
                  "RentalSubType": kind, "RentalManager": None}
        rentals.append(store.put("rentals", rental, fake.past()))
        for n in range(count):
            _add_unit(store, rng, rental, f"{n + 1}" if count > 1 else None)
    for start in range(0, len(rentals), 3):
        owned = [r["Id"] for r in rentals[start:start + 3]]
        company = rng.random() < 0.2
        person = _person(fake)
        owner = {"Id": store.new_id(), "IsCompany": company, "IsActive": True,
                 "FirstName": None if company else person["FirstName"],
                 "LastName": None if company else person["LastName"],
                 "CompanyName": f"{person['LastName']} Holdings LLC" if company else None,
                 "PhoneNumbers": person["PhoneNumbers"], "Email": person["Email"],
                 "AlternateEmail": None, "Comment": None, "Address": _address(fake),
                 "ManagementAgreementStartDate": "2020-01-01",
                 "ManagementAgreementEndDate": None, "PropertyIds": owned,
                 "TaxInformation": None}
        store.put("owners", owner, fake.past())
    for unit in list(store.records["units"].values()):
        roll = rng.random()
        if roll < 0.85:
            add_lease(store, rng, unit, "Active", fake.past())
        elif roll < 0.9:
            add_lease(store, rng, unit, "Future", fake.past())
        if rng.random() < 0.15:
            add_lease(store, rng, unit, "Past", fake.past())
    return store


def _add_unit(store: AgencyStore, rng: random.Random, rental: Record, number: str | None,
              at: datetime | None = None) -> Record:
    address = dict(rental["Address"], AddressLine2=f"Unit {number}" if number else None)
    unit = {"Id": store.new_id(), "PropertyId": rental["Id"], "BuildingName": None,
            "UnitNumber": number, "Description": None,
            "MarketRent": float(rng.randrange(900, 4000, 25)), "Address": address,
            "UnitBedrooms": rng.choice(BEDROOMS), "UnitBathrooms": "OneBath",
            "UnitSize": rng.randint(350, 2400), "IsUnitListed": False, "IsUnitOccupied": True}
    return store.put("units", unit, at or Fake(rng, US).past())


def add_lease(store: AgencyStore, rng: random.Random, unit: Record, status: str,
              at: datetime) -> Record:
    """A lease with its tenants (1–2) and one rent schedule, consistent with `status`."""
    today, fake = ANCHOR.date(), Fake(rng, US)
    lease_type = rng.choice(["Fixed", "Fixed", "FixedWithRollover", "AtWill"])
    if status == "Active":
        # Only rolling leases outlive their first year while still active.
        start = today - timedelta(days=rng.randint(10, 300 if lease_type == "Fixed" else 900))
    elif status == "Future":
        start = today + timedelta(days=rng.randint(5, 60))
    else:
        start = today - timedelta(days=rng.randint(800, 1500))
    end = None if lease_type == "AtWill" else start + timedelta(days=364)
    if status == "Past":
        end = start + timedelta(days=364)
    tenants = []
    for _ in range(rng.randint(1, 2)):
        tenant = {"Id": store.new_id(), **_person(fake), "AlternateEmail": None,
                  "CreatedDateTime": f"{start.isoformat()}T09:00:00Z", "EmergencyContact": None,
                  "DateOfBirth": fake.birth_date(),
                  "SMSOptInStatus": "NotSet", "Address": unit["Address"], "AlternateAddress": None,
                  "MailingPreference": "PrimaryAddress", "Leases": None, "Comment": None,
                  "TaxId": None}
        tenants.append(store.put("tenants", tenant, at))
    rent = float(rng.randrange(900, 4000, 25))
    lease_id = store.new_id()
    standing = {"Past": "MovedOut", "Future": "Future"}.get(status, "Current")
    statuses = {t["Id"]: standing for t in tenants}
    moved_out = {t["Id"]: end for t in tenants} if status == "Past" else {}
    if status == "Active" and len(tenants) == 2 and (today - start).days > 60 and rng.random() < 0.3:
        # A co-tenant who left while the lease goes on: still on it, as MovedOut.
        statuses[tenants[1]["Id"]] = "MovedOut"
        moved_out[tenants[1]["Id"]] = start + timedelta(days=rng.randint(30, (today - start).days))
    lease = {
        "Id": lease_id, "PropertyId": unit["PropertyId"], "UnitId": unit["Id"],
        "UnitNumber": unit["UnitNumber"], "LeaseFromDate": start.isoformat(),
        "LeaseToDate": end.isoformat() if end else None, "LeaseType": lease_type,
        "LeaseStatus": status, "IsEvictionPending": False,
        "TermType": "MonthToMonth" if lease_type == "AtWill" else "Standard",
        "RenewalOfferStatus": "NotSet",
        "CurrentTenants": [t for t in tenants if statuses[t["Id"]] == "Current"],
        "CurrentNumberOfOccupants": sum(s == "Current" for s in statuses.values()),
        "AccountDetails": {"SecurityDeposit": rent, "Rent": rent}, "Cosigners": [],
        "AutomaticallyMoveOutTenants": False,
        "CreatedDateTime": f"{start.isoformat()}T09:00:00Z",
        "MoveOutData": [{"TenantId": tenant_id, "MoveOutDate": day.isoformat(),
                         "NoticeGivenDate": None} for tenant_id, day in moved_out.items()],
        "PaymentDueDay": 1,
        "Tenants": [{"Id": t["Id"], "Status": statuses[t["Id"]], "MoveInDate": start.isoformat()}
                    for t in tenants],
    }
    store.put("leases", lease, at)
    store.put("rents", {
        "Id": store.new_id(), "LeaseId": lease_id, "StartDate": start.isoformat(),
        "EndDate": None, "TotalAmount": rent, "RentCycle": rng.choice(CYCLES),
        "BackdateCharges": False, "CreatedDateTime": f"{start.isoformat()}T09:00:00Z",
        "CreatedByUserId": 1, "Charges": [],
    }, at)
    return lease


def churn_once(store: AgencyStore, rng: random.Random, now: datetime) -> dict[str, int]:
    """Rents and market rents change, tenants' phones, a future lease arrives and a past
    one is deleted (with its rents)."""
    return churn(store, rng, now, [
        Change("units", lambda u, r: u.update(MarketRent=float(r.randrange(900, 4000, 25)))),
        Change("rents", lambda t, r: t.update(
            TotalAmount=round(t["TotalAmount"] * r.uniform(1.01, 1.06), 2))),
        Change("tenants", lambda t, r: t.update(PhoneNumbers=_phones(Fake(r, US))), most=2),
    ], add=lambda s, r, at: add_lease(s, r, r.choice(list(s.records["units"].values())),
                                      "Future", at),
        gone=Gone("leases", lambda le: le["LeaseStatus"] == "Past"))
