"""Realistic, seeded fake data for the sandboxes' generators: people, phones, emails,
streets and places per locale, and times before a fixed anchor. A generator keeps only
the vendor's record shapes; what a US, UK or Australian name or address looks like is
here, once.

Times hang off `ANCHOR` (not the wall clock) so a seed gives the same records every run;
churn stamps its changes with the real current time, so an incremental pull with a
recent watermark sees exactly what changed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

ANCHOR = datetime(2026, 1, 1, tzinfo=timezone.utc)
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class Place:
    town: str
    region: str  # state, county
    postcode: str
    locality: str = ""  # a suburb or district, where the locale names one


@dataclass(frozen=True)
class Locale:
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    # (town, region, postcode prefix, locality) → a place, its postcode completed.
    places: tuple[tuple[str, str, str, str], ...]
    postcode: Callable[[random.Random, str], str]
    phone: Callable[[random.Random, bool], str]  # (rng, mobile)
    email_domain: str
    country: str  # ISO 3166-1 alpha-2
    currency: str  # ISO 4217


US = Locale(
    first_names=("Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Sofia", "Ethan", "Zoe",
                 "Omar", "Priya", "Chen", "Maria", "José", "Aisha", "Owen", "Grace", "Mateo"),
    last_names=("Smith", "Johnson", "Garcia", "Nguyen", "Patel", "Brown", "Miller", "Davis",
                "Lopez", "Kim", "O'Brien", "Wilson", "Moore", "Clark", "Hughes", "Silva"),
    streets=("Maple Ave", "Oak St", "Magnolia Ave", "Peachtree St", "Cedar Ln", "Elm St",
             "Harbor Blvd", "Live Oak Dr", "Main St", "Riverside Dr"),
    places=(("Boston", "MA", "021", ""), ("Austin", "TX", "787", ""),
            ("Denver", "CO", "802", ""), ("Charlotte", "NC", "282", ""),
            ("Phoenix", "AZ", "850", ""), ("Columbus", "OH", "432", "")),
    postcode=lambda rng, prefix: f"{prefix}{rng.randint(10, 99)}",
    phone=lambda rng, mobile: f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}",
    email_domain="example.com", country="US", currency="USD",
)
GB = Locale(
    first_names=("Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah",
                 "Freya", "Arjun", "Priya", "Siobhan", "Rhys", "Fatima", "Callum", "Zara"),
    last_names=("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel",
                "Khan", "O'Neill", "Davies", "Hughes", "Walker", "Robinson", "Clarke"),
    streets=("High Street", "Church Road", "Station Road", "Victoria Road", "Park Lane",
             "Mill Lane", "Queens Road", "Kingsway", "The Crescent", "Manor Road"),
    places=(("Oxford", "Oxfordshire", "OX", "Headington"),
            ("Reading", "Berkshire", "RG", "Caversham"),
            ("Bristol", "City of Bristol", "BS", "Clifton"),
            ("Manchester", "Greater Manchester", "M", "Didsbury"),
            ("Leeds", "West Yorkshire", "LS", "Headingley")),
    postcode=lambda rng, area: (f"{area}{rng.randint(1, 19)} {rng.randint(1, 9)}"
                                f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}"),
    phone=lambda rng, mobile: f"0{'7' if mobile else '1'}{rng.randint(100, 999)} "
                              f"{rng.randint(100000, 999999)}",
    email_domain="example.co.uk", country="GB", currency="GBP",
)
AU = Locale(
    first_names=("Olivia", "Jack", "Charlotte", "William", "Amelia", "Noah", "Isla", "Oliver",
                 "Mia", "Thomas", "Chloe", "Lachlan", "Ruby", "Cooper", "Mei", "Aroha"),
    last_names=("Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Kelly",
                "Ryan", "Chen", "Singh", "Papadopoulos", "O'Connor", "Walker", "Murphy"),
    streets=("Crown St", "Brunswick St", "Oxford St", "Chapel St", "James St", "Rokeby Rd",
             "The Parade", "Hampden Rd", "King William St", "Lonsdale St"),
    places=(("Sydney", "NSW", "2010", "Surry Hills"), ("Sydney", "NSW", "2042", "Newtown"),
            ("Melbourne", "VIC", "3065", "Fitzroy"), ("Brisbane", "QLD", "4005", "New Farm"),
            ("Perth", "WA", "6008", "Subiaco"), ("Adelaide", "SA", "5067", "Norwood"),
            ("Hobart", "TAS", "7004", "Battery Point"), ("Canberra", "ACT", "2612", "Braddon")),
    postcode=lambda rng, code: code,
    phone=lambda rng, mobile: (f"04{rng.randint(10, 99)} {rng.randint(100, 999)} "
                               f"{rng.randint(100, 999)}" if mobile else
                               f"(0{rng.randint(2, 8)}) {rng.randint(9000, 9999)} "
                               f"{rng.randint(1000, 9999)}"),
    email_domain="example.com.au", country="AU", currency="AUD",
)


class Fake:
    """Fake values of one locale, drawn from one seeded rng."""

    def __init__(self, rng: random.Random, locale: Locale) -> None:
        self.rng, self.locale = rng, locale

    def name(self) -> tuple[str, str]:
        """(first, last)."""
        return self.rng.choice(self.locale.first_names), self.rng.choice(self.locale.last_names)

    def email(self, first: str, last: str) -> str:
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        return f"{local}{self.rng.randint(1, 999)}@{self.locale.email_domain}"

    def phone(self, mobile: bool = True) -> str:
        return self.locale.phone(self.rng, mobile)

    def street(self) -> str:
        return self.rng.choice(self.locale.streets)

    def place(self, town: str | None = None) -> Place:
        """A place of the locale (in `town`, when given)."""
        town_, region, prefix, locality = self.rng.choice(
            [p for p in self.locale.places if town in (None, p[0])])
        return Place(town_, region, self.locale.postcode(self.rng, prefix), locality)

    def birth_date(self) -> str:
        rng = self.rng
        return date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)).isoformat()

    def past(self, max_days: int = 400) -> datetime:
        """A moment up to `max_days` before `ANCHOR`."""
        return ANCHOR - timedelta(days=self.rng.randint(1, max_days),
                                  seconds=self.rng.randint(0, 86399))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def money(self, low: int, high: int, step: int = 25) -> float:
        return float(self.rng.randrange(low, high, step))
