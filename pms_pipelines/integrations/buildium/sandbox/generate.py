"""Realistic, seeded Buildium data for the sandbox, and the churn that mutates it.

Generated timestamps hang off a fixed anchor (not the wall clock) so the same seed gives
the same records every run; churn stamps its changes with the real current time, so an
incremental pull with a recent watermark sees exactly the churned records.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Record
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore

ANCHOR = datetime(2026, 1, 1, tzinfo=timezone.utc)
FIRST = ["Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Sofia", "Ethan", "Zoe", "Omar",
         "Priya", "Chen", "Maria", "José", "Aisha", "Owen", "Grace", "Mateo", "Leah", "Ivan"]
LAST = ["Smith", "Johnson", "Garcia", "Nguyen", "Patel", "Brown", "Miller", "Davis",
        "Lopez", "Kim", "O'Brien", "Wilson", "Moore", "Clark", "Hughes", "Silva"]
STREETS = ["Maple Ave", "Oak St", "Pine Rd", "Cedar Ln", "Elm St", "Harbor Blvd",
           "Sunset Dr", "Lake Shore Dr", "Main St", "River Rd"]
CITIES = [("Boston", "MA", "021"), ("Austin", "TX", "787"), ("Denver", "CO", "802"),
          ("Seattle", "WA", "981"), ("Atlanta", "GA", "303"), ("Chicago", "IL", "606")]
BEDROOMS = ["Studio", "OneBed", "TwoBed", "TwoBed", "ThreeBed", "FourBed", "NotSet"]
CYCLES = ["Monthly"] * 8 + ["Weekly", "Every2Weeks"]


def _phones(rng: random.Random) -> list[dict[str, Any]]:
    kinds = rng.sample(["Cell", "Home", "Office", "Fax"], rng.randint(0, 2))
    return [{"Number": f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}", "Type": k}
            for k in kinds]


def _person(rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {"FirstName": first, "LastName": last, "PhoneNumbers": _phones(rng),
            "Email": f"{first}.{last}{rng.randint(1, 999)}@example.com".lower()}


def _address(rng: random.Random, line2: str | None = None) -> dict[str, Any]:
    city, state, zip3 = rng.choice(CITIES)
    return {"AddressLine1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
            "AddressLine2": line2, "AddressLine3": None, "City": city, "State": state,
            "PostalCode": f"{zip3}{rng.randint(10, 99)}", "Country": "UnitedStates"}


def _past(rng: random.Random, max_days: int = 400) -> datetime:
    return ANCHOR - timedelta(days=rng.randint(1, max_days), seconds=rng.randint(0, 86399))


def generate_agency(store: AgencyStore, units: int, rng: random.Random) -> AgencyStore:
    """Rentals of 1–12 units until `units` units exist, their owners, leases and tenants."""
    store.next_id = rng.randint(100, 900) * 10_000  # distinct id ranges per agency
    rentals: list[Record] = []
    while sum(r["NumberUnits"] for r in rentals) < units:
        kind = rng.choice(["SingleFamily", "CondoTownhome", "MultiFamily", "MultiFamily",
                           "Office"])
        count = {"SingleFamily": 1, "CondoTownhome": rng.randint(1, 4),
                 "MultiFamily": rng.randint(4, 12), "Office": rng.randint(1, 3)}[kind]
        count = min(count, units - sum(r["NumberUnits"] for r in rentals))
        rid = store.new_id()
        rental = {"Id": rid, "Name": f"{rng.choice(STREETS)} {rid % 1000}",
                  "StructureDescription": None, "NumberUnits": count,
                  "IsActive": rng.random() > 0.03, "OperatingBankAccountId": 1,
                  "Reserve": 0.0, "Address": _address(rng), "YearBuilt": rng.randint(1920, 2022),
                  "RentalType": "Commercial" if kind == "Office" else "Residential",
                  "RentalSubType": kind, "RentalManager": None}
        rentals.append(store.put("rentals", rental, _past(rng)))
        for n in range(count):
            _add_unit(store, rng, rental, f"{n + 1}" if count > 1 else None)
    for start in range(0, len(rentals), 3):
        owned = [r["Id"] for r in rentals[start:start + 3]]
        company = rng.random() < 0.2
        person = _person(rng)
        owner = {"Id": store.new_id(), "IsCompany": company, "IsActive": True,
                 "FirstName": None if company else person["FirstName"],
                 "LastName": None if company else person["LastName"],
                 "CompanyName": f"{person['LastName']} Holdings LLC" if company else None,
                 "PhoneNumbers": person["PhoneNumbers"], "Email": person["Email"],
                 "AlternateEmail": None, "Comment": None, "Address": _address(rng),
                 "ManagementAgreementStartDate": "2020-01-01",
                 "ManagementAgreementEndDate": None, "PropertyIds": owned,
                 "TaxInformation": None}
        store.put("owners", owner, _past(rng))
    for unit in list(store.records["units"].values()):
        roll = rng.random()
        if roll < 0.85:
            add_lease(store, rng, unit, "Active", _past(rng))
        elif roll < 0.9:
            add_lease(store, rng, unit, "Future", _past(rng))
        if rng.random() < 0.15:
            add_lease(store, rng, unit, "Past", _past(rng))
    return store


def _add_unit(store: AgencyStore, rng: random.Random, rental: Record, number: str | None,
              at: datetime | None = None) -> Record:
    address = dict(rental["Address"], AddressLine2=f"Unit {number}" if number else None)
    unit = {"Id": store.new_id(), "PropertyId": rental["Id"], "BuildingName": None,
            "UnitNumber": number, "Description": None,
            "MarketRent": float(rng.randrange(900, 4000, 25)), "Address": address,
            "UnitBedrooms": rng.choice(BEDROOMS), "UnitBathrooms": "OneBath",
            "UnitSize": rng.randint(350, 2400), "IsUnitListed": False, "IsUnitOccupied": True}
    return store.put("units", unit, at or _past(rng))


def add_lease(store: AgencyStore, rng: random.Random, unit: Record, status: str,
              at: datetime) -> Record:
    """A lease with its tenants (1–2) and one rent schedule, consistent with `status`."""
    today = ANCHOR.date()
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
        tenant = {"Id": store.new_id(), **_person(rng), "AlternateEmail": None,
                  "CreatedDateTime": f"{start.isoformat()}T09:00:00Z", "EmergencyContact": None,
                  "DateOfBirth": date(rng.randint(1950, 2004), rng.randint(1, 12),
                                      rng.randint(1, 28)).isoformat(),
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
    """Change, add and remove a few records, stamping each change with `now`."""
    changed = added = removed = 0
    with store.lock:
        units = list(store.records["units"].values())
        for unit in rng.sample(units, max(1, len(units) // 50)) if units else []:
            unit["MarketRent"] = float(rng.randrange(900, 4000, 25))
            store.put("units", unit, now)
            changed += 1
        rents = list(store.records["rents"].values())
        for rent in rng.sample(rents, max(1, len(rents) // 50)) if rents else []:
            rent["TotalAmount"] = round(rent["TotalAmount"] * rng.uniform(1.01, 1.06), 2)
            store.put("rents", rent, now)
            changed += 1
        tenants = list(store.records["tenants"].values())
        for tenant in rng.sample(tenants, min(2, len(tenants))):
            tenant["PhoneNumbers"] = _phones(rng)
            store.put("tenants", tenant, now)
            changed += 1
        if units:
            add_lease(store, rng, rng.choice(units), "Future", now)
            added += 1
        past = [le for le in store.records["leases"].values() if le["LeaseStatus"] == "Past"]
        if past:
            gone = rng.choice(past)
            store.remove("leases", gone["Id"])
            for rent in [r for r in rents if r["LeaseId"] == gone["Id"]]:
                store.remove("rents", rent["Id"])
            removed += 1
    return {"changed": changed, "added": added, "removed": removed}
