"""Realistic, seeded Propertyware data for the sandbox (US portfolios, USD), and the churn
that mutates it.

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

# (building propertyType, unit type, category, min units, max units, bedrooms)
KINDS = [("HOUSE", "Single Family", "RESIDENTIAL", 1, 1, (2, 5)),
         ("HOUSE", "Single Family", "RESIDENTIAL", 1, 1, (2, 5)),
         ("DU_FOUR_PLEX", "Duplex", "RESIDENTIAL", 2, 4, (1, 3)),
         ("APARTMENT", "Apartment", "RESIDENTIAL", 4, 12, (0, 3)),
         ("TOWNHOUSE", "Townhome", "RESIDENTIAL", 2, 6, (2, 4)),
         ("CONDO", "Condo", "RESIDENTIAL", 1, 4, (1, 3)),
         ("COMMERCIAL", "Office", "COMMERCIAL", 1, 3, (0, 0))]


def _person(fake: Fake) -> dict[str, Any]:
    first, last = fake.name()
    person = {"firstName": first, "lastName": last, "mobilePhone": fake.phone(),
              "email": fake.email(first, last)}
    if fake.rng.random() < 0.3:
        person["homePhone"] = fake.phone(mobile=False)
    return person


def _address(fake: Fake) -> dict[str, Any]:
    place = fake.place()
    return {"address": f"{fake.rng.randint(1, 9999)} {fake.street()}", "city": place.town,
            "stateRegion": place.region, "postalCode": place.postcode,
            "country": "United States"}


def generate_agency(store: AgencyStore, units: int, rng: random.Random) -> AgencyStore:
    """Portfolios with their owners, buildings of 1–12 units until `units` units exist,
    and leases with their tenants."""
    store.next_id = rng.randint(100, 900) * 100_000  # distinct id ranges per agency
    fake = Fake(rng, US)
    portfolios = []
    for _ in range(max(1, units // 10)):
        owners = []
        for _ in range(rng.choice([1, 1, 2])):
            person, company = _person(fake), rng.random() < 0.2
            owner = {"id": store.new_id(), "type": "OWNER", "address": _address(fake),
                     "email": person["email"], "mobilePhone": person["mobilePhone"]}
            if company:
                owner["company"] = f"{person['lastName']} Holdings LLC"
            else:
                owner.update(firstName=person["firstName"], lastName=person["lastName"])
            owners.append(store.put("contacts", owner, fake.past()))
        name = owners[0].get("company") or f"{owners[0]['lastName']} Portfolio"
        portfolios.append(store.put("portfolios", {
            "id": store.new_id(), "name": name, "abbreviation": name[:8].upper(),
            "active": True, "cashAccrual": "COMPANY_DEFAULT",
            "owners": [{"id": o["id"], "name": o.get("company") or
                        f"{o['firstName']} {o['lastName']}", "email": o["email"],
                        "percentageOwnership": round(100 / len(owners), 2)} for o in owners],
        }, fake.past()))
    made = 0
    while made < units:
        ptype, utype, category, low, high, beds = rng.choice(KINDS)
        count = min(rng.randint(low, high), units - made)
        portfolio = rng.choice(portfolios)
        bid, address = store.new_id(), _address(fake)
        building = store.put("buildings", {
            "id": bid, "idNumber": bid % 100_000, "name": address["address"],
            "abbreviation": f"B{bid % 100_000}", "active": rng.random() > 0.03,
            "address": address, "category": category, "countUnit": count,
            "multiUnit": "Single Family" if high == 1 else "Multi Family",
            "portfolioID": portfolio["id"], "propertyType": ptype, "status": "Occupied",
            "yearBuilt": rng.randint(1925, 2023), "rentable": True,
        }, fake.past())
        for n in range(count):
            label = building["name"] if high == 1 else f"Unit {n + 1:02d}"
            unit = {"id": store.new_id(), "name": label, "abbreviation": label[:10],
                    "active": building["active"], "buildingID": bid,
                    "portfolioID": portfolio["id"], "category": category, "type": utype,
                    "address": dict(address, **({} if high == 1 else {"addressCont": label})),
                    "numberOfBedrooms": rng.randint(*beds), "numberOfBathrooms": 1.0,
                    "status": "Occupied", "targetRent": float(rng.randrange(850, 3600, 25)),
                    "targetRentUnits": "DOLLAR_PER_MONTH", "rentable": True}
            store.put("units", unit, fake.past())
            roll = rng.random()
            if roll < 0.85:
                add_lease(store, rng, unit, "Active", fake.past())
            elif roll < 0.9:
                add_lease(store, rng, unit, "Future", fake.past())
            if rng.random() < 0.15:
                add_lease(store, rng, unit, "Terminated", fake.past())
        made += count
    return store


def add_lease(store: AgencyStore, rng: random.Random, unit: Record, status: str,
              at: datetime) -> Record:
    """A lease with its tenants (1–2), consistent with `status`."""
    today, fake = ANCHOR.date(), Fake(rng, US)
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
        tenant = {"id": store.new_id(), "type": "TENANT", **_person(fake),
                  "birthDate": fake.birth_date(),
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
    """Target and base rents change, tenants' phones, a future lease arrives and a
    terminated one is deleted (Propertyware deletes outright)."""
    return churn(store, rng, now, [
        Change("units", lambda u, r: u.update(targetRent=float(r.randrange(850, 3600, 25)))),
        Change("leases", lambda le, r: le.update(
            baseRent=round(le["baseRent"] * r.uniform(1.01, 1.06), 2)),
            which=lambda le: le["status"] == "Active"),
        Change("contacts", lambda c, r: c.update(mobilePhone=Fake(r, US).phone()),
               which=lambda c: c["type"] == "TENANT", most=2),
    ], add=lambda s, r, at: add_lease(s, r, r.choice(list(s.records["units"].values())),
                                      "Future", at),
        gone=Gone("leases", lambda le: le["status"] == "Terminated"))
