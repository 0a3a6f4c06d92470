"""Realistic, seeded UK lettings data for the Reapit sandbox, and the churn that mutates it.

Generated stamps hang off a fixed anchor so a seed gives the same records every run;
churn and `touch`/`remove` stamp with the real current time, so an incremental pull with
a recent watermark sees exactly what changed.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pms_pipelines.integrations.kit.sandbox_store import AgencyStore
from pms_pipelines.integrations.kit.sandbox_api import Record

ANCHOR = datetime(2026, 1, 1, tzinfo=timezone.utc)
FORENAMES = ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah",
             "Freya", "Arjun", "Priya", "Siobhan", "Rhys", "Fatima", "Callum", "Zara", "Tom"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel",
            "Khan", "O'Neill", "Davies", "Hughes", "Walker", "Robinson", "Clarke", "Wright"]
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr"]
STREETS = ["High Street", "Church Road", "Station Road", "Victoria Road", "Park Lane",
           "Mill Lane", "Queens Road", "Kingsway", "The Crescent", "Manor Road"]
# (office code, town, county, postcode area, locality)
OFFICES = [("OXF", "Oxford", "Oxfordshire", "OX", "Headington"),
           ("RDG", "Reading", "Berkshire", "RG", "Caversham"),
           ("BRI", "Bristol", "City of Bristol", "BS", "Clifton"),
           ("MAN", "Manchester", "Greater Manchester", "M", "Didsbury"),
           ("LDS", "Leeds", "West Yorkshire", "LS", "Headingley")]
TYPES = [["house"], ["house"], ["flatApartment"], ["flatApartment"], ["maisonette"],
         ["bungalow"], ["cottage"], ["townhouse"], ["studio"]]
STYLES = ["terraced", "semiDetached", "detached", "endTerrace", "groundFloor", "upperFloor"]


def reapit_time(moment: datetime) -> str:
    """Reapit's UTC stamps carry seven fractional digits: `2019-06-23T12:30:12.0000000Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def new_id(store: AgencyStore, office: str, year: int = 24) -> str:
    """Reapit style: office code, two-digit year, sequence (`OXF240012`)."""
    return f"{office}{year:02d}{store.new_id():04d}"


def _past(rng: random.Random, max_days: int = 400) -> datetime:
    return ANCHOR - timedelta(days=rng.randint(1, max_days), seconds=rng.randint(0, 86399))


def _phone(rng: random.Random, mobile: bool) -> str:
    return (f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}" if mobile
            else f"01{rng.randint(100, 999)} {rng.randint(100000, 999999)}")


def _address(rng: random.Random, office: tuple, flat: str | None = None) -> dict[str, Any]:
    code, town, county, area, locality = office
    return {"buildingName": flat, "buildingNumber": str(rng.randint(1, 240)),
            "line1": rng.choice(STREETS), "line2": locality, "line3": town, "line4": county,
            "postcode": f"{area}{rng.randint(1, 19)} {rng.randint(1, 9)}"
                        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "countryId": "GB"}


def _person(rng: random.Random) -> dict[str, Any]:
    forename, surname = rng.choice(FORENAMES), rng.choice(SURNAMES)
    return {"title": rng.choice(TITLES), "forename": forename, "surname": surname,
            "dateOfBirth": date(rng.randint(1950, 2004), rng.randint(1, 12),
                                rng.randint(1, 28)).isoformat(),
            "homePhone": _phone(rng, False) if rng.random() < 0.4 else None,
            "mobilePhone": _phone(rng, True) if rng.random() < 0.9 else None,
            "email": f"{forename}.{surname.replace(chr(39), '')}{rng.randint(1, 99)}"
                     f"@example.co.uk".lower()}


def add_contact(store: AgencyStore, rng: random.Random, office: tuple,
                roles: list[tuple[str, str]], at: datetime) -> Record:
    """A contact with roles (associatedType, associatedId), e.g. ("tenancy", "OXF240031")."""
    contact_id = new_id(store, office[0])
    contact = {"id": contact_id, **_person(rng), "active": True, "marketingConsent": "notAsked",
               "archivedOn": None, "fromArchive": False,
               "primaryAddress": {"type": "primary", **_address(rng, office)},
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
            "address": _address(rng, office, flat), "bedrooms": 0 if kind == ["studio"]
            else rng.randint(1, 5), "bathrooms": rng.randint(1, 2), "type": kind,
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
    offices = rng.sample(OFFICES, 2)
    landlord: Record | None = None
    for n in range(units):
        office = offices[n % 2]
        if landlord is None or rng.random() < 0.45:
            landlord = add_landlord(store, rng, office, _past(rng))
        prop = add_property(store, rng, office, landlord["id"], _past(rng))
        roll = rng.random()
        add_tenancy(store, rng, office, prop, "current" if roll < 0.85 else "arranging",
                    _past(rng))
        if rng.random() < 0.15:
            add_tenancy(store, rng, office, prop, "finished", _past(rng))
    for _ in range(max(1, units // 10)):
        add_contact(store, rng, offices[0], [("applicant", new_id(store, offices[0][0]))],
                    _past(rng))
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


def archive(store: AgencyStore, collection: str, record_id: str, at: datetime) -> None:
    """Archive as Reapit does: the record stays, flagged, and its `modified` moves.
    Landlords cannot be archived; they are deactivated (`active: false`)."""
    record = store.records[collection][record_id]
    if collection == "landlords":
        record["active"] = False
    else:
        record["fromArchive"] = True
        if collection != "tenancies":  # TenancyModel has no archivedOn
            record["archivedOn"] = reapit_time(at)
    store.put(collection, record, at)


def churn_once(store: AgencyStore, rng: random.Random, now: datetime) -> dict[str, int]:
    """A few rent reviews, a new let, an ended and an archived tenancy."""
    counts = {"changed": 0, "added": 0, "archived": 0}
    with store.lock:
        live = [t for t in store.records["tenancies"].values()
                if not t["fromArchive"] and t["status"] == "current"]
        for tenancy in rng.sample(live, min(3, len(live))):
            tenancy["rent"] = round(tenancy["rent"] * 1.03, 2)
            store.put("tenancies", tenancy, now)
            counts["changed"] += 1
        office = rng.choice(OFFICES)
        landlord = add_landlord(store, rng, office, now)
        add_tenancy(store, rng, office, add_property(store, rng, office, landlord["id"], now),
                    "current", now)
        counts["added"] += 1
        if len(live) > 3:
            victim = rng.choice(live)
            victim["status"] = "finished"
            store.put("tenancies", victim, now)
            archive(store, "tenancies", rng.choice(live)["id"], now)
            counts["archived"] += 1
    return counts
