"""Propertyware → canonical mapping, as tables of cases per entity and per enum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from pms_pipelines.integrations.propertyware.mapping import (
    BUILDING_TYPES, LEASE_STATUSES, UNIT_TYPES, MappingError, map_address, map_landlord,
    map_property, map_tenancy, map_tenant,
)

TODAY = date(2025, 6, 1)
ADDRESS = {"address": "1 Main St", "city": "Austin", "stateRegion": "TX",
           "postalCode": "78701", "country": "United States"}
BUILDING = {"id": 10, "name": "Main Court", "active": True, "address": ADDRESS,
            "category": "RESIDENTIAL", "propertyType": "APARTMENT", "portfolioID": 5}
UNIT = {"id": 20, "buildingID": 10, "portfolioID": 5, "name": "Unit 1", "active": True,
        "type": "Apartment", "numberOfBedrooms": 2, "address": ADDRESS}
LEASE = {"id": 30, "unitID": 20, "buildingID": 10, "status": "Active", "active": True,
         "baseRent": 1500.0, "startDate": "2025-01-01", "endDate": "2025-12-31",
         "moveInDate": "2025-01-02", "contacts": [{"id": 42}, {"id": 41}]}
CONTACT = {"id": 40, "type": "TENANT", "firstName": "Ava", "lastName": "Nguyen",
           "email": "ava@example.com", "birthDate": "1990-04-12"}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


@pytest.mark.parametrize("unit, building, expected", [
    ({}, {}, {"property_type": "apartment", "property_type_raw": "Apartment", "bedrooms": 2,
              "bedrooms_raw": "2", "status": "active", "status_raw": "Active",
              "name": "Main Court - Unit 1", "building_id": "10"}),
    ({"type": "single_family"}, {}, {"property_type": "house",
                                     "property_type_raw": "single_family"}),
    ({"type": "Town-Home"}, {}, {"property_type": "townhouse"}),
    ({"type": "Loft"}, {"propertyType": "CONDO"},
     {"property_type": "condo", "property_type_raw": "CONDO"}),
    ({"type": None}, {"propertyType": "DU_FOUR_PLEX"}, {"property_type": "apartment"}),
    ({"type": None}, {"propertyType": "NONE", "category": "COMMERCIAL"},
     {"property_type": "commercial", "property_type_raw": "COMMERCIAL"}),
    ({"type": "Loft"}, {"propertyType": "NONE"},
     {"property_type": "other", "property_type_raw": "Loft"}),
    ({"type": None}, {"propertyType": "STUDENT"},
     {"property_type": "other", "property_type_raw": "STUDENT"}),
    ({"active": False}, {}, {"status": "inactive", "status_raw": "Deactivated"}),
    ({}, {"active": False}, {"status": "inactive"}),
    ({"active": None}, {}, {"status": "other", "status_raw": None}),
    ({"numberOfBedrooms": None}, {}, {"bedrooms": None, "bedrooms_raw": None}),
    ({"numberOfBedrooms": 0}, {}, {"bedrooms": 0, "bedrooms_raw": "0"}),
    ({"numberOfBedrooms": 150}, {}, {"bedrooms": None, "bedrooms_raw": "150"}),
    ({"name": "Main Court"}, {}, {"name": "Main Court"}),
    ({"address": None}, {}, {"address": map_address(ADDRESS)}),
], ids=["apartment", "unit-type-spelling", "townhome", "unknown-unit-type-building-decides",
        "duplex-building", "commercial-category", "unknown-everything", "program-type",
        "deactivated-unit", "deactivated-building", "active-missing", "bedrooms-null",
        "studio", "bedrooms-out-of-range", "same-name-once", "address-from-building"])
def test_map_property(unit: dict, building: dict, expected: dict) -> None:
    record = map_property(merged(UNIT, unit), merged(BUILDING, building), ["9", "10", "9"])
    assert {k: getattr(record, k) for k in expected} == expected
    assert record.landlord_ids == ("9", "10")


def test_property_without_its_building_maps_from_the_unit() -> None:
    record = map_property(UNIT, None, [])
    assert (record.name, record.property_type, record.building_id) == ("Unit 1", "apartment", "10")


def test_property_with_a_fractional_bedroom_count_is_rejected() -> None:
    with pytest.raises(MappingError):
        map_property(merged(UNIT, {"numberOfBedrooms": 1.5}), BUILDING, [])


@pytest.mark.parametrize("country, iso, raw", [
    ("United States", "US", None), ("u.s.a.", "US", None), ("USA", "US", None),
    ("Canada", "CA", None), ("Puerto Rico", "PR", None), ("Atlantis", None, "Atlantis"),
    (None, None, None),
])
def test_address_country(country: str | None, iso: str | None, raw: str | None) -> None:
    address = map_address(merged(ADDRESS, {"country": country}))
    assert (address.country, address.country_raw) == (iso, raw)


@pytest.mark.parametrize("changes, expected", [
    ({}, {"kind": "person", "first_name": "Ava", "company_name": None}),
    ({"firstName": None, "lastName": None, "company": "Acme LLC"},
     {"kind": "company", "company_name": "Acme LLC"}),
    ({"company": "Acme LLC"}, {"kind": "person", "company_name": "Acme LLC"}),
    ({"email": " ", "altEmail": "alt@example.com"}, {"contact": {"email": "alt@example.com"}}),
    ({"workPhone": "3", "homePhone": "2", "mobilePhone": "1"}, {"contact": {"phone": "1"}}),
    ({"workPhone": "3", "otherPhone": "4", "fax": "5"}, {"contact": {"phone": "3"}}),
    ({"fax": "5"}, {"contact": {"phone": None}}),
], ids=["person", "company", "person-with-employer", "alt-email", "mobile-first",
        "work-before-other", "never-fax"])
def test_map_landlord(changes: dict, expected: dict) -> None:
    record = map_landlord(merged(CONTACT, {"type": "OWNER", **changes})).model_dump()
    for key, value in expected.items():
        got = record[key]
        assert ({k: got[k] for k in value} if isinstance(value, dict) else got) == value


@pytest.mark.parametrize("changes, birth", [
    ({}, date(1990, 4, 12)), ({"birthDate": None}, None),
])
def test_map_tenant(changes: dict, birth: date | None) -> None:
    record = map_tenant(merged(CONTACT, changes))
    assert (record.first_name, record.date_of_birth, record.contact.email) == (
        "Ava", birth, "ava@example.com")


def test_tenant_with_a_garbled_birth_date_is_rejected() -> None:
    with pytest.raises(MappingError):
        map_tenant(merged(CONTACT, {"birthDate": "12/04/1990"}))


@pytest.mark.parametrize("changes, expected", [
    ({}, {"property_id": "20", "tenant_ids": ("41", "42"), "status": "active",
          "is_periodic": False, "rent_amount": Decimal("1500.00"), "rent_currency": "USD",
          "rent_frequency": "monthly", "move_in_date": date(2025, 1, 2)}),
    ({"status": "Active - Notice Given"}, {"status": "active"}),
    ({"status": "FUTURE", "active": False}, {"status": "future"}),
    ({"status": "Pending", "active": False}, {"status": "pending"}),
    ({"status": "Terminated", "active": False, "moveOutDate": "2025-12-31"},
     {"status": "ended", "move_out_date": date(2025, 12, 31)}),
    ({"status": "Canceled", "active": False}, {"status": "cancelled"}),
    ({"status": "Holdover", "active": True}, {"status": "active", "status_raw": "Holdover"}),
    ({"status": "Holdover", "active": False}, {"status": "other", "status_raw": "Holdover"}),
    ({"status": None, "active": None}, {"status": "other", "status_raw": None}),
    ({"endDate": None}, {"is_periodic": True, "end_date": None}),
    ({"endDate": "2025-03-31"}, {"is_periodic": True}),
    ({"endDate": "2025-03-31", "status": "Terminated", "active": False},
     {"is_periodic": False}),
    ({"baseRent": None}, {"rent_amount": None, "rent_currency": None,
                          "rent_frequency": "other"}),
    ({"baseRent": 1250.1}, {"rent_amount": Decimal("1250.10")}),
    ({"contacts": None}, {"tenant_ids": ()}),
], ids=["active", "notice-given", "future", "pending", "terminated", "cancelled",
        "unknown-but-active", "unknown-inactive", "no-status", "no-end-date",
        "held-over", "ended-not-held-over", "no-rent", "rent-decimal", "no-contacts"])
def test_map_tenancy(changes: dict, expected: dict) -> None:
    record = map_tenancy(merged(LEASE, changes), TODAY)
    assert {k: getattr(record, k) for k in expected} == expected


@pytest.mark.parametrize("changes, error", [
    ({"unitID": None}, MappingError),
    ({"endDate": "2024-01-01"}, ValidationError),
    ({"baseRent": -5}, ValidationError),
    ({"startDate": "soon"}, MappingError),
], ids=["building-only-lease", "ends-before-start", "negative-rent", "garbled-date"])
def test_tenancy_rejections(changes: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        map_tenancy(merged(LEASE, changes), TODAY)


def test_enum_tables_map_only_to_canonical_values() -> None:
    assert set(UNIT_TYPES.values()) | set(BUILDING_TYPES.values()) <= {
        "house", "apartment", "townhouse", "condo", "room", "commercial", "other"}
    assert set(LEASE_STATUSES.values()) <= {"pending", "future", "active", "ended", "cancelled"}
