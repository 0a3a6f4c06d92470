"""Realistic, seeded Propertyware data for the sandbox (US portfolios, USD), and the churn
that mutates it.

Generated stamps hang off a fixed anchor (not the wall clock) so the same seed gives the
same records every run; churn stamps its changes with the real current time, so an
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
STREETS = ["Magnolia Ave", "Peachtree St", "Live Oak Dr", "Palmetto Rd", "Cypress Ln",
           "Bayou Blvd", "Mesquite Trl", "Main St", "Church St", "Riverside Dr"]
CITIES = [("Charlotte", "NC", "282"), ("Jacksonville", "FL", "322"), ("Dallas", "TX", "752"),
          ("Phoenix", "AZ", "850"), ("Nashville", "TN", "372"), ("Columbus", "OH", "432")]
# (building propertyType, unit type, category, min units, max units, bedrooms)
KINDS = [("HOUSE", "Single Family", "RESIDENTIAL", 1, 1, (2, 5)),
         ("HOUSE", "Single Family", "RESIDENTIAL", 1, 1, (2, 5)),
         ("DU_FOUR_PLEX", "Duplex", "RESIDENTIAL", 2, 4, (1, 3)),
         ("APARTMENT", "Apartment", "RESIDENTIAL", 4, 12, (0, 3)),
         ("TOWNHOUSE", "Townhome", "RESIDENTIAL", 2, 6, (2, 4)),
         ("CONDO", "Condo", "RESIDENTIAL", 1, 4, (1, 3)),
         ("COMMERCIAL", "Office", "COMMERCIAL", 1, 3, (0, 0))]


def _phone(rng: random.Random) -> str:
    return f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}"


def _person(rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    person = {"firstName": first, "lastName": last, "mobilePhone": _phone(rng),
              "email": f"{first}.{last}{rng.randint(1, 999)}@example.com".lower()}
    if rng.random() < 0.3:
        person["homePhone"] = _phone(rng)
    return person


def _address(rng: random.Random) -> dict[str, Any]:
    city, state, zip3 = rng.choice(CITIES)
    return {"address": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "city": city,
            "stateRegion": state, "postalCode": f"{zip3}{rng.randint(10, 99)}",
            "country": "United States"}


def _past(rng: random.Random, max_days: int = 400) -> datetime:
    return ANCHOR - timedelta(days=rng.randint(1, max_days), seconds=rng.randint(0, 86399))


def generate_agency(store: AgencyStore, units: int, rng: random.Random) -> AgencyStore:
    """Portfolios with their owners, buildings of 1–12 units until `units` units exist,
    and leases with their tenants."""
    store.next_id = rng.randint(100, 900) * 100_000  # distinct id ranges per agency
    portfolios = []
    for _ in range(max(1, units // 10)):
        owners = []
        for _ in range(rng.choice([1, 1, 2])):
            person, company = _person(rng), rng.random() < 0.2
            owner = {"id": store.new_id(), "type": "OWNER", "address": _address(rng),
                     "email": person["email"], "mobilePhone": person["mobilePhone"]}
            if company:
                owner["company"] = f"{person['lastName']} Holdings LLC"
            else:
                owner.update(firstName=person["firstName"], lastName=person["lastName"])
            owners.append(store.put("contacts", owner, _past(rng)))
        name = owners[0].get("company") or f"{owners[0]['lastName']} Portfolio"
        portfolios.append(store.put("portfolios", {
            "id": store.new_id(), "name": name, "abbreviation": name[:8].upper(),
            "active": True, "cashAccrual": "COMPANY_DEFAULT",
            "owners": [{"id": o["id"], "name": o.get("company") or
                        f"{o['firstName']} {o['lastName']}", "email": o["email"],
                        "percentageOwnership": round(100 / len(owners), 2)} for o in owners],
        }, _past(rng)))
    made = 0
    while made < units:
        ptype, utype, category, low, high, beds = rng.choice(KINDS)
        count = min(rng.randint(low, high), units - made)
        portfolio = rng.choice(portfolios)
        bid, address = store.new_id(), _address(rng)
        building = store.put("buildings", {
            "id": bid, "idNumber": bid % 100_000, "name": address["address"],
            "abbreviation": f"B{bid % 100_000}", "active": rng.random() > 0.03,
            "address": address, "category": category, "countUnit": count,
            "multiUnit": "Single Family" if high == 1 else "Multi Family",
            "portfolioID": portfolio["id"], "propertyType": ptype, "status": "Occupied",
            "yearBuilt": rng.randint(1925, 2023), "rentable": True,
        }, _past(rng))
        for n in range(count):
            label = building["name"] if high == 1 else f"Unit {n + 1:02d}"
            unit = {"id": store.new_id(), "name": label, "abbreviation": label[:10],
                    "active": building["active"], "buildingID": bid,
                    "portfolioID": portfolio["id"], "category": category, "type": utype,
                    "address": dict(address, **({} if high == 1 else {"addressCont": label})),
                    "numberOfBedrooms": rng.randint(*beds), "numberOfBathrooms": 1.0,
                    "status": "Occupied", "targetRent": float(rng.randrange(850, 3600, 25)),
                    "targetRentUnits": "DOLLAR_PER_MONTH", "rentable": True}
            store.put("units", unit, _past(rng))
            roll = rng.random()
            if roll < 0.85:
                add_lease(store, rng, unit, "Active", _past(rng))
            elif roll < 0.9:
                add_lease(store, rng, unit, "Future", _past(rng))
            if rng.random() < 0.15:
                add_lease(store, rng, unit, "Terminated", _past(rng))
        made += count
    return store


def add_lease(store: AgencyStore, rng: random.Random, unit: Record, status: str,
              at: datetime) -> Record:
    """A lease with its tenants (1–2), consistent with `status`."""
    today = ANCHOR.date()
    month_to_month = rng.random() < 0.2
    if status == "Active":
        start = today - timedelta(days=rng.randint(10, 900 if month_to_month else 330))
    elif status == "Future":
        start = today + timedelta(days=rng.randint(5, 60))
    else:
        start = today - timedelta(days=rng.randint(800, 1500))
    end = None if month_to_month and status != "Terminated" else start + timedelta(days=364)
    contacts = []
    for n in range(rng.randint(1, 2)):
        tenant = {"id": store.new_id(), "type": "TENANT", **_person(rng),
                  "birthDate": date(rng.randint(1950, 2004), rng.randint(1, 12),
                                    rng.randint(1, 28)).isoformat(),
                  "gender": rng.choice(["UNKNOWN", "MALE", "FEMALE", "DECLINE_TO_STATE"]),
                  "address": unit["address"], "namedOnLease": True}
        store.put("contacts", tenant, at)
        contacts.append({k: tenant[k] for k in ("id", "firstName", "lastName", "email",
                                                "mobilePhone", "namedOnLease")}
                        | {"primary": n == 0})
    rent = float(rng.randrange(850, 3600, 25))
    lease = {
        "id": store.new_id(), "active": status == "Active", "baseRent": rent,
        "buildingID": unit["buildingID"], "unitID": unit["id"],
        "portfolioID": unit["portfolioID"], "contacts": contacts, "status": status,
        "leaseName": f"{contacts[0]['lastName']} - {unit['name']}",
        "location": unit["name"], "startDate": start.isoformat(),
        "signedDate": (start - timedelta(days=14)).isoformat(),
    }
    if end is not None:
        lease["endDate"] = end.isoformat()
    if status != "Future":
        lease["moveInDate"] = start.isoformat()
    if status == "Terminated":
        lease["moveOutDate"] = lease["terminatedDate"] = end.isoformat()  # type: ignore[union-attr]
    lease["idNumber"] = lease["id"] % 100_000
    return store.put("leases", lease, at)


def churn_once(store: AgencyStore, rng: random.Random, now: datetime) -> dict[str, int]:
    """Change, add and remove a few records, stamping each change with `now`."""
    changed = added = removed = 0
    with store.lock:
        units = list(store.records["units"].values())
        for unit in rng.sample(units, max(1, len(units) // 50)) if units else []:
            unit["targetRent"] = float(rng.randrange(850, 3600, 25))
            store.put("units", unit, now)
            changed += 1
        leases = [le for le in store.records["leases"].values() if le["status"] == "Active"]
        for lease in rng.sample(leases, max(1, len(leases) // 50)) if leases else []:
            lease["baseRent"] = round(lease["baseRent"] * rng.uniform(1.01, 1.06), 2)
            store.put("leases", lease, now)
            changed += 1
        tenants = [c for c in store.records["contacts"].values() if c["type"] == "TENANT"]
        for tenant in rng.sample(tenants, min(2, len(tenants))):
            tenant["mobilePhone"] = _phone(rng)
            store.put("contacts", tenant, now)
            changed += 1
        if units:
            add_lease(store, rng, rng.choice(units), "Future", now)
            added += 1
        ended = [le for le in store.records["leases"].values() if le["status"] == "Terminated"]
        if ended:
            store.remove("leases", rng.choice(ended)["id"])  # Propertyware deletes outright
            removed += 1
    return {"changed": changed, "added": added, "removed": removed}
