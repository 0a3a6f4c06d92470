"""Realistic, seeded UK lettings data for the Reapit sandbox, and the churn that mutates it.

Names, addresses and times: the kit's fake data (`kit.sandbox_fake`, GB locale).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from pms_pipelines.integrations.kit.sandbox_store import AgencyStore
from pms_pipelines.integrations.kit.sandbox_api import Record
from pms_pipelines.integrations.kit.sandbox_churn import Change, Gone, churn
from pms_pipelines.integrations.kit.sandbox_fake import ANCHOR, GB, Fake

TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr"]
# Office code → the town it lets in (the kit's GB places).
OFFICES = [("OXF", "Oxford"), ("RDG", "Reading"), ("BRI", "Bristol"), ("MAN", "Manchester"),
           ("LDS", "Leeds")]
TYPES = [["house"], ["house"], ["flatApartment"], ["flatApartment"], ["maisonette"],
         ["bungalow"], ["cottage"], ["townhouse"], ["studio"]]
STYLES = ["terraced", "semiDetached", "detached", "endTerrace", "groundFloor", "upperFloor"]


def new_id(store: AgencyStore, office: str, year: int = 24) -> str:
    """Reapit style: office code, two-digit year, sequence (`OXF240012`)."""
    return f"{office}{year:02d}{store.new_id():04d}"


def _address(fake: Fake, office: tuple, flat: str | None = None) -> dict[str, Any]:
    place = fake.place(office[1])
    return {"buildingName": flat, "buildingNumber": str(fake.rng.randint(1, 240)),
            "line1": fake.street(), "line2": place.locality, "line3": place.town,
            "line4": place.region, "postcode": place.postcode, "countryId": "GB"}


def _person(fake: Fake) -> dict[str, Any]:
    forename, surname = fake.name()
    rng = fake.rng
    return {"title": rng.choice(TITLES), "forename": forename, "surname": surname,
            "dateOfBirth": fake.birth_date(),
            "homePhone": fake.phone(mobile=False) if rng.random() < 0.4 else None,
            "mobilePhone": fake.phone() if rng.random() < 0.9 else None,
            "email": fake.email(forename, surname)}


def add_contact(store: AgencyStore, rng: random.Random, office: tuple,
                roles: list[tuple[str, str]], at: datetime) -> Record:
    """A contact with roles (associatedType, associatedId), e.g. ("tenancy", "OXF240031")."""
    contact_id = new_id(store, office[0])
    fake = Fake(rng, GB)
    contact = {"id": contact_id, **_person(fake), "active": True, "marketingConsent": "notAsked",
               "archivedOn": None, "fromArchive": False,
               "primaryAddress": {"type": "primary", **_address(fake, office)},
               "officeIds": [office[0]], "negotiatorIds": ["JAS"],
               "relationships": [{"id": f"RL{contact_id}{n}", "contactId": contact_id,
                                  "associatedType": kind, "associatedId": target,
                                  "fromArchive": False}
                                 for n, (kind, target) in enumerate(roles)]}
    return store.put("contacts", contact, at)


def _related(contact: Record, occupy: date | None = None,
             vacate: date | None = None) -> Record:
    keys = ("id", "title", "forename", "surname", "dateOfBirth", "homePhone", "mobilePhone",
            "email", "primaryAddress")
    related = {k: contact.get(k) for k in keys}
    related["primaryAddress"] = {k: v for k, v in contact["primaryAddress"].items() if k != "type"}
    related.update(name=f"{contact['title']} {contact['forename']} {contact['surname']}",
                   type="contact", fromArchive=False,
                   occupyOn=occupy.isoformat() if occupy else None,
                   vacateOn=vacate.isoformat() if vacate else None)
    return related


def add_property(store: AgencyStore, rng: random.Random, office: tuple, landlord_id: str,
                 at: datetime) -> Record:
    kind = rng.choice(TYPES)
    flat = f"Flat {rng.randint(1, 12)}" if kind[0] in ("flatApartment", "studio") else None
    rent = float(rng.randrange(650, 2800, 25))
    prop = {"id": new_id(store, office[0]), "marketingMode": "letting", "currency": "GBP",
            "address": _address(Fake(rng, GB), office, flat),
            "bedrooms": 0 if kind == ["studio"] else rng.randint(1, 5),
            "bathrooms": rng.randint(1, 2), "type": kind,
            "style": [rng.choice(STYLES)], "officeIds": [office[0]], "archivedOn": None,
            "fromArchive": False, "councilTax": rng.choice("ABCDE"),
            "letting": {"rent": rent, "rentFrequency": "monthly", "status": "tenancyCurrent",
                        "agentRole": rng.choice(["managed", "rentCollection", "lettingOnly"]),
                        "landlordId": landlord_id, "term": "long"}}
    return store.put("properties", prop, at)


def add_tenancy(store: AgencyStore, rng: random.Random, office: tuple, prop: Record,
                status: str, at: datetime) -> Record:
    """A tenancy with 1–2 tenant contacts, consistent with `status`."""
    today = ANCHOR.date()
    start = {"current": today - timedelta(days=rng.randint(10, 700)),
             "arranging": today + timedelta(days=rng.randint(5, 60)),
             "finished": today - timedelta(days=rng.randint(800, 1500))}[status]
    end = start + timedelta(days=364)
    periodic = status == "current" and end < today
    tenancy_id = new_id(store, office[0])
    tenants = [add_contact(store, rng, office, [("tenancy", tenancy_id)], at)
               for _ in range(rng.randint(1, 2))]
    weekly = rng.random() < 0.1
    rent = prop["letting"]["rent"]
    tenancy = {
        "id": tenancy_id, "startDate": start.isoformat(), "endDate": end.isoformat(),
        "status": status, "agentRole": prop["letting"]["agentRole"],
        "rent": round(rent * 12 / 52, 2) if weekly else rent,
        "rentFrequency": "weekly" if weekly else "monthly", "isPeriodic": periodic,
        "endDateConfirmed": status == "finished", "propertyId": prop["id"],
        "typeId": "AST", "negotiatorId": "JAS", "fromArchive": False,
        "deposit": {"heldBy": "depositProtectionScheme", "type": "weeksRent", "period": 5,
                    "sum": round(rent * 12 / 52 * 5, 2)},
        # Reapit fills `related` once the tenant moves in.
        "related": [] if status == "arranging" else [
            _related(t, start, end if status == "finished" else None) for t in tenants],
    }
    return store.put("tenancies", tenancy, at)


def generate_agency(store: AgencyStore, units: int, rng: random.Random) -> AgencyStore:
    """`units` letting properties, their landlords (1–3 properties each), tenancies and
    tenant contacts, plus a few applicant contacts who are not tenants."""
    store.next_id = rng.randint(1, 400) * 10 + 1
    fake = Fake(rng, GB)
    offices = rng.sample(OFFICES, 2)
    landlord: Record | None = None
    for n in range(units):
        again = landlord if landlord is not None and rng.random() >= 0.45 else None
        status = "current" if rng.random() < 0.85 else "arranging"
        landlord, prop = _let(store, rng, offices[n % 2], fake.past(), again, status)
        if rng.random() < 0.15:
            add_tenancy(store, rng, offices[n % 2], prop, "finished", fake.past())
    for _ in range(max(1, units // 10)):
        add_contact(store, rng, offices[0], [("applicant", new_id(store, offices[0][0]))],
                    fake.past())
    return store


def add_landlord(store: AgencyStore, rng: random.Random, office: tuple,
                 at: datetime) -> Record:
    landlord_id = new_id(store, office[0])
    contact = add_contact(store, rng, office, [("landlord", landlord_id)], at)
    related = _related(contact)
    for key in ("occupyOn", "vacateOn", "fromArchive"):
        related.pop(key)
    if rng.random() < 0.2:  # a company landlord
        related.update(type="company", name=f"{contact['surname']} Property Holdings Ltd",
                       title=None, forename=None, surname=None, dateOfBirth=None)
    landlord = {"id": landlord_id, "active": True, "officeId": office[0],
                "source": {"id": "RMV", "type": "source"}, "related": [related]}
    return store.put("landlords", landlord, at)


def _let(store: AgencyStore, rng: random.Random, office: tuple, at: datetime,
         landlord: Record | None = None, status: str = "current") -> tuple[Record, Record]:
    """A let: its landlord (a new one unless given), the property and its tenancy."""
    landlord = landlord or add_landlord(store, rng, office, at)
    prop = add_property(store, rng, office, landlord["id"], at)
    add_tenancy(store, rng, office, prop, status, at)
    return landlord, prop


def _current(tenancy: Record) -> bool:
    return not tenancy["fromArchive"] and tenancy["status"] == "current"


def churn_once(store: AgencyStore, rng: random.Random, now: datetime) -> dict[str, int]:
    """A few rent reviews and an ending, a new let, and an archived tenancy."""
    return churn(store, rng, now, [
        Change("tenancies", lambda t, r: t.update(rent=round(t["rent"] * 1.03, 2)),
               which=_current, most=3),
        Change("tenancies", lambda t, r: t.update(status="finished"), which=_current, most=1),
    ], add=lambda s, r, at: _let(s, r, r.choice(OFFICES), at), gone=Gone("tenancies", lambda t: not t["fromArchive"], keep=3))
