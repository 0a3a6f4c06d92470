"""Realistic, seeded UK lettings data for the Alto sandbox, and the churn that mutates it.

Names, addresses and times: the kit's fake data (`kit.sandbox_fake`, GB locale). Ids
are numbers (inventory and contact ids served as strings, tenancy ids as integers, as
the spec types them).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pms_pipelines.integrations.kit.sandbox_api import Record
from pms_pipelines.integrations.kit.sandbox_churn import Change, Gone, churn
from pms_pipelines.integrations.kit.sandbox_fake import ANCHOR, GB, Fake
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore

TYPES = ["House", "Terraced House", "Semi-Detached House", "Flat", "Flat", "Maisonette",
         "Bungalow", "Studio", "Town House"]
FREQUENCIES = ["Monthly"] * 8 + ["Weekly", "FourWeekly"]
STATUSES = {"current": ("Current", "Let"), "future": ("Pending", "LetAgreed"),
            "ended": ("Vacated", "Available")}


def _address(fake: Fake, flat: str | None = None) -> dict[str, str | None]:
    place = fake.place()
    return {"subDwelling": flat, "nameNo": str(fake.rng.randint(1, 240)),
            "street": fake.street(), "locality": place.locality, "town": place.town,
            "county": place.region, "postcode": place.postcode, "countryCode": "GB"}


def add_contact(store: AgencyStore, fake: Fake, persona: str, at: datetime) -> Record:
    first, last = fake.name()
    company = persona == "Landlord" and fake.rng.random() < 0.2
    contact = {
        "id": str(store.new_id()), "isActive": True, "potentialVendor": False,
        "potentialLandlord": persona == "Landlord", "branch": {"id": "1"},
        "contactType": {"category": "Client", "persona": [persona]},
        "contactInformation": [{"title": fake.rng.choice(["Mr", "Mrs", "Ms", "Dr"]),
                                "foreName": None if company else first,
                                "surname": None if company else last,
                                "phoneNumber": fake.phone(), "emailAddress":
                                fake.email(first, last)}],
        "companyName": f"{last} Lettings Ltd" if company else None,
    }
    return store.put("contacts", contact, at)


def add_property(store: AgencyStore, fake: Fake, landlord: Record, at: datetime) -> Record:
    kind = fake.rng.choice(TYPES)
    flat = f"Flat {fake.rng.randint(1, 12)}" if kind in ("Flat", "Studio") else None
    address = _address(fake, flat)
    person = landlord["contactInformation"][0]
    item = {
        "id": str(store.new_id()), "branchId": "1", "category": "Residential",
        "recordType": "Rent", "address": address,
        "displayAddress": ", ".join(p for p in (flat, f"{address['nameNo']} {address['street']}",
                                                address["town"]) if p),
        "price": fake.money(650, 2800), "currency": "GBP", "rentalFrequency": "Monthly",
        "propertyType": kind, "bedrooms": 0 if kind == "Studio" else fake.rng.randint(1, 5),
        "bathrooms": fake.rng.randint(1, 2), "status": "To Let", "inventoryStatus": "Let",
        "archived": False, "isAtActiveStatus": True, "managementType": "FullyManaged",
        "maintenanceType": "MaintainedByUs", "tenancyType": "AssuredShortholdTenancy",
        "owners": [{"ownerId": str(store.new_id()), "contactId": int(landlord["id"]),
                    "name": {"title": person["title"], "forename": person["foreName"],
                             "surname": person["surname"]},
                    "phoneNumbers": [], "emailAddresses": []}],
    }
    return store.put("inventory", item, at)


def add_tenancy(store: AgencyStore, fake: Fake, item: Record, standing: str,
                at: datetime) -> Record:
    """A tenancy of `item` (current, future or ended) with 1–2 new tenant contacts."""
    today, rng = ANCHOR.date(), fake.rng
    start = today + timedelta(days={"current": -rng.randint(10, 700), "future": rng.randint(
        5, 60), "ended": -rng.randint(800, 1500)}[standing])
    end = start + timedelta(days=364) if standing != "current" or rng.random() < 0.7 else None
    tenants = [add_contact(store, fake, "Tenant", at) for _ in range(rng.randint(1, 2))]
    frequency, status = rng.choice(FREQUENCIES), STATUSES[standing][0]
    rent = float(item["price"]) if frequency == "Monthly" else round(item["price"] * 12 / 52, 2)
    tenancy_id = store.new_id()
    tenancy = {
        "id": tenancy_id, "groupId": tenancy_id, "branchId": 1, "propertyId": int(item["id"]),
        "termYears": 1, "termMonths": 0, "occupantCount": len(tenants), "rent": rent,
        "rentalFrequency": frequency, "depositRequested": round(item["price"] * 12 / 52 * 5, 2),
        "depositSchemeType": "DisputeServiceCustodial", "currencyCode": "GBP",
        "rentalAddress": {**{k: v for k, v in item["address"].items() if k != "countryCode"},
                          "country": "United Kingdom"},
        "startDate": f"{start.isoformat()}T00:00:00+00:00",
        "endDate": f"{end.isoformat()}T00:00:00+00:00" if end else None,
        "targetVacateDate": f"{end.isoformat()}T00:00:00+00:00" if standing == "ended" else None,
        "status": status, "nextTermTenancyId": 0,
    }
    store.put("tenant_ids", {"__id": tenancy_id, "totalCount": len(tenants), "items": [
        {"tenantId": store.new_id(), "contactId": int(t["id"])} for t in tenants]})
    if standing != "ended":
        item["inventoryStatus"] = STATUSES[standing][1]
    return store.put("tenancies", tenancy, at)


def _let(store: AgencyStore, fake: Fake, at: datetime, landlord: Record | None = None,
         standing: str = "current") -> tuple[Record, Record]:
    """A let: its landlord (a new one unless given), the property and its tenancy."""
    landlord = landlord or add_contact(store, fake, "Landlord", at)
    item = add_property(store, fake, landlord, at)
    add_tenancy(store, fake, item, standing, at)
    return landlord, item


def generate_agency(store: AgencyStore, units: int, rng: random.Random) -> AgencyStore:
    """`units` lettings properties, their landlords (1–3 properties each), tenancies and
    tenants, plus a few applicants who are neither."""
    store.next_id = rng.randint(100, 900) * 10_000
    fake = Fake(rng, GB)
    landlord: Record | None = None
    for _ in range(units):
        again = landlord if landlord is not None and rng.random() >= 0.45 else None
        landlord, item = _let(store, fake, fake.past(), again,
                              "current" if rng.random() < 0.85 else "future")
        if rng.random() < 0.15:
            add_tenancy(store, fake, item, "ended", fake.past())
    for _ in range(max(1, units // 10)):
        add_contact(store, fake, "Applicant", fake.past())
    return store


def churn_once(store: AgencyStore, rng: random.Random, now: datetime) -> dict[str, int]:
    """Rent reviews, tenants' phones, a new let, and now and then an archived property."""
    return churn(store, rng, now, [
        Change("tenancies", lambda t, r: t.update(rent=round(t["rent"] * 1.03, 2)), most=3),
        Change("contacts", lambda c, r: c["contactInformation"][0].update(
            phoneNumber=Fake(r, GB).phone()), which=lambda c: c["isActive"], most=2),
    ], add=lambda s, r, at: _let(s, Fake(r, GB), at),
        gone=Gone("inventory", lambda i: not i["archived"], chance=0.5, keep=1))
