"""Buildium → canonical mapping, as tables of cases per entity and per enum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from pms_pipelines.integrations.buildium.mapping import (
    BEDROOMS, PROPERTY_TYPES, RENT_FREQUENCIES, TENANT_STATUSES, MappingError, current_rent,
    map_landlord, map_property, map_tenancy, map_tenant,
)

TODAY = date(2025, 6, 1)
ADDRESS = {"AddressLine1": "1 Main St", "AddressLine2": None, "AddressLine3": None,
           "City": "Boston", "State": "MA", "PostalCode": "02118", "Country": "UnitedStates"}
RENTAL = {"Id": 10, "Name": "Main House", "IsActive": True, "Address": ADDRESS,
          "RentalType": "Residential", "RentalSubType": "SingleFamily"}
UNIT = {"Id": 20, "PropertyId": 10, "UnitNumber": "1", "Address": ADDRESS,
        "UnitBedrooms": "TwoBed"}
LEASE = {"Id": 30, "PropertyId": 10, "UnitId": 20, "LeaseFromDate": "2025-01-01",
         "LeaseToDate": "2025-12-31", "LeaseType": "Fixed", "LeaseStatus": "Active",
         "TermType": "Standard", "AccountDetails": {"Rent": 1500.0, "SecurityDeposit": 1500.0},
         "Tenants": [{"Id": 41, "Status": "Current", "MoveInDate": "2025-01-02"}],
         "CurrentTenants": [], "MoveOutData": []}
RENT = {"Id": 50, "LeaseId": 30, "StartDate": "2025-01-01", "EndDate": None,
        "TotalAmount": 1500.0, "RentCycle": "Monthly"}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {**base, **changes}


@pytest.mark.parametrize("unit, rental, owners, expected", [
    ({}, {}, ["7", "3"], {"property_type": "house", "bedrooms": 2, "bedrooms_raw": "TwoBed",
                          "status": "active", "landlord_ids": ("3", "7"),
                          "name": "Main House - 1", "building_id": "10"}),
    ({}, {"RentalSubType": "CondoTownhome"}, [], {"property_type": "condo"}),
    ({}, {"RentalSubType": "MultiFamily"}, [], {"property_type": "apartment"}),
    ({}, {"RentalType": "Commercial", "RentalSubType": "Office"}, [],
     {"property_type": "commercial", "property_type_raw": "Office"}),
    ({}, {"RentalSubType": "Houseboat"}, [],
     {"property_type": "other", "property_type_raw": "Houseboat"}),
    ({}, {"RentalType": "Commercial", "RentalSubType": None}, [],
     {"property_type": "commercial", "property_type_raw": "Commercial"}),
    ({}, {"IsActive": False}, [], {"status": "inactive", "status_raw": "InActive"}),
    ({"UnitBedrooms": None}, {}, [], {"bedrooms": None, "bedrooms_raw": None}),
    ({"UnitBedrooms": "TwelveBed"}, {}, [], {"bedrooms": None, "bedrooms_raw": "TwelveBed"}),
    ({"UnitBedrooms": "NotSet"}, {}, [], {"bedrooms": None, "bedrooms_raw": "NotSet"}),
    ({"Address": None, "UnitNumber": None}, {}, [], {"name": "Main House"}),
], ids=["single-family", "condo", "multi-family", "office", "unknown-subtype",
        "commercial-no-subtype", "inactive", "bedrooms-null", "bedrooms-unknown",
        "bedrooms-not-set", "unit-address-falls-back-to-rental"])
def test_map_property(unit: dict, rental: dict, owners: list[str], expected: dict) -> None:
    record = map_property(merged(UNIT, unit), merged(RENTAL, rental), owners)
    assert {k: getattr(record, k) for k in expected} == expected
    assert record.address.line1 == "1 Main St"


@pytest.mark.parametrize("country, iso, raw", [
    ("UnitedStates", "US", None), ("Canada", "CA", None), ("Atlantis", None, "Atlantis"),
    (" Atlantis ", None, "Atlantis"), (None, None, None), ("", None, None),
], ids=["mapped", "mapped-canada", "unknown-kept-raw", "unknown-trimmed", "null", "blank"])
def test_country_raw_kept_only_when_unmapped(country: str | None, iso: str | None,
                                             raw: str | None) -> None:
    unit = merged(UNIT, {"Address": merged(ADDRESS, {"Country": country})})
    address = map_property(unit, RENTAL, []).address
    assert (address.country, address.country_raw) == (iso, raw)
    landlord = map_landlord({"Id": 1, "Address": merged(ADDRESS, {"Country": country})})
    assert (landlord.address.country, landlord.address.country_raw) == (iso, raw)


def test_unknown_country_alone_still_makes_an_address() -> None:
    # An address whose only content is an unmapped country must not collapse to null.
    address = map_landlord({"Id": 1, "Address": {"Country": "Atlantis"}}).address
    assert address is not None and address.country_raw == "Atlantis"


def test_property_without_its_rental_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="rental property 10"):
        map_property(UNIT, None, [])


@pytest.mark.parametrize("owner, expected", [
    ({"IsCompany": False, "FirstName": "Ann", "LastName": "Lee", "Email": "a@x.example",
      "PhoneNumbers": [{"Number": "1", "Type": "Home"}, {"Number": "2", "Type": "Cell"}]},
     {"kind": "person", "first_name": "Ann", "email": "a@x.example", "phone": "2"}),
    ({"IsCompany": True, "CompanyName": " Acme LLC ", "FirstName": "",
      "PhoneNumbers": [{"Number": "9", "Type": "Fax"}]},
     {"kind": "company", "company_name": "Acme LLC", "first_name": None, "phone": None}),
    ({"IsCompany": False, "Email": None, "AlternateEmail": "alt@x.example", "PhoneNumbers": None},
     {"email": "alt@x.example", "phone": None}),
], ids=["person-prefers-cell", "company-skips-fax", "alternate-email"])
def test_map_landlord(owner: dict, expected: dict) -> None:
    record = map_landlord({"Id": 1, **owner})
    flat = {**record.model_dump(), **record.contact.model_dump()}
    assert {k: flat[k] for k in expected} == expected


@pytest.mark.parametrize("tenant, expected", [
    ({"FirstName": "Zoe", "LastName": "Kim", "DateOfBirth": "1990-02-03"},
     {"first_name": "Zoe", "date_of_birth": date(1990, 2, 3)}),
    ({"FirstName": "  ", "DateOfBirth": None}, {"first_name": None, "date_of_birth": None}),
    ({"DateOfBirth": "1990-02-03T00:00:00"}, {"date_of_birth": date(1990, 2, 3)}),
], ids=["plain", "blank-name", "datetime-birthday"])
def test_map_tenant(tenant: dict, expected: dict) -> None:
    record = map_tenant({"Id": 1, **tenant})
    assert {k: getattr(record, k) for k in expected} == expected


def test_tenant_with_impossible_birthday_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="not a date"):
        map_tenant({"Id": 1, "DateOfBirth": "1990-02-30"})


@pytest.mark.parametrize("lease, rents, expected", [
    ({}, [RENT], {"status": "active", "rent_amount": Decimal("1500.00"),
                  "rent_frequency": "monthly", "is_periodic": False, "tenant_ids": ("41",),
                  "move_in_date": date(2025, 1, 2), "property_id": "20"}),
    ({"LeaseStatus": "Past", "MoveOutData": [{"TenantId": 41, "MoveOutDate": "2025-05-30"}]},
     [RENT], {"status": "ended", "status_raw": "Past", "move_out_date": date(2025, 5, 30)}),
    ({"LeaseStatus": "Future"}, [RENT], {"status": "future"}),
    ({"LeaseStatus": "Evicted"}, [RENT], {"status": "other", "status_raw": "Evicted"}),
    ({"LeaseType": "AtWill", "TermType": "MonthToMonth", "LeaseToDate": None}, [RENT],
     {"is_periodic": True, "end_date": None}),
    ({}, [merged(RENT, {"RentCycle": "Every4Weeks"})],
     {"rent_frequency": "other", "rent_frequency_raw": "Every4Weeks"}),
    ({}, [], {"rent_amount": Decimal("1500.00"), "rent_frequency": "other",
              "rent_frequency_raw": None}),
    ({"AccountDetails": None}, [], {"rent_amount": None, "rent_currency": None,
                                    "deposit_amount": None}),
    ({"CurrentTenants": [{"Id": 100}, {"Id": 9}]}, [RENT], {"tenant_ids": ("9", "41", "100")}),
    ({}, [merged(RENT, {"TotalAmount": 1234.567})], {"rent_amount": Decimal("1234.57")}),
], ids=["active-monthly", "past", "future", "unknown-status", "at-will", "unknown-cycle",
        "no-schedule", "no-money", "tenants-merged-and-sorted", "rounded-to-cents"])
def test_map_tenancy(lease: dict, rents: list, expected: dict) -> None:
    record = map_tenancy(merged(LEASE, lease), rents, TODAY)
    assert {k: getattr(record, k) for k in expected} == expected


CO_TENANTS = {"Tenants": [{"Id": 41, "Status": "Current", "MoveInDate": "2025-01-02"},
                          {"Id": 42, "Status": "MovedOut", "MoveInDate": "2025-01-01"},
                          {"Id": 43, "Status": "Future", "MoveInDate": None}],
              "CurrentTenants": [{"Id": 41}, {"Id": 44}],
              "MoveOutData": [{"TenantId": 42, "MoveOutDate": "2025-04-30"}]}


def test_each_tenant_carries_its_own_standing_on_the_lease() -> None:
    record = map_tenancy(merged(LEASE, CO_TENANTS), [RENT], TODAY)
    assert record.tenant_ids == ("41", "42", "43", "44")
    assert [(t.tenant_id, t.status, t.status_raw, t.move_in_date, t.move_out_date)
            for t in record.tenants] == [
        ("41", "current", "Current", date(2025, 1, 2), None),
        ("42", "moved_out", "MovedOut", date(2025, 1, 1), date(2025, 4, 30)),
        ("43", "future", "Future", None, None),
        ("44", "current", None, None, None),  # only in CurrentTenants: current by that
    ]
    # One co-tenant leaving does not end the tenancy's occupation.
    assert (record.status, record.move_in_date, record.move_out_date) == (
        "active", date(2025, 1, 1), None)


def test_an_unknown_tenant_status_is_other_with_the_raw_value_kept() -> None:
    lease = merged(LEASE, {"Tenants": [{"Id": 41, "Status": "Evicted"}]})
    (tenant,) = map_tenancy(lease, [RENT], TODAY).tenants
    assert (tenant.status, tenant.status_raw) == ("other", "Evicted")


def test_tenant_status_table_covers_the_spec_enum() -> None:
    assert set(TENANT_STATUSES) == {"MovedOut", "Current", "Future"}


@pytest.mark.parametrize("lease_type, status, ends, periodic", [
    ("FixedWithRollover", "Active", "2025-05-31", True),    # past its end: turned at-will
    ("FixedWithRollover", "Active", "2025-06-01", False),   # ends today: still fixed
    ("FixedWithRollover", "Active", "2025-12-31", False),
    ("FixedWithRollover", "Past", "2025-05-31", False),     # ended, not rolled over
    ("FixedWithRollover", "Active", None, False),
    ("Fixed", "Active", "2025-05-31", False),
], ids=["rolled-over", "ends-today", "before-end", "past-lease", "no-end", "fixed"])
def test_a_rollover_lease_past_its_end_is_periodic(lease_type: str, status: str,
                                                   ends: str | None, periodic: bool) -> None:
    lease = merged(LEASE, {"LeaseType": lease_type, "LeaseStatus": status, "LeaseToDate": ends})
    assert map_tenancy(lease, [RENT], TODAY).is_periodic is periodic


@pytest.mark.parametrize("lease, rents, error", [
    ({"LeaseToDate": "2024-12-31"}, [RENT], "end_date is before start_date"),
    ({}, [merged(RENT, {"TotalAmount": -5.0})], "greater than or equal to 0"),
    ({"UnitId": None}, [RENT], "no UnitId"),
], ids=["ends-before-start", "negative-rent", "no-unit"])
def test_impossible_tenancies_fail(lease: dict, rents: list, error: str) -> None:
    with pytest.raises((MappingError, ValidationError), match=error):
        map_tenancy(merged(LEASE, lease), rents, TODAY)


@pytest.mark.parametrize("schedules, expected_id", [
    ([("2024-01-01", "2024-12-31", 1), ("2025-01-01", None, 2)], 2),
    ([("2024-01-01", "2024-12-31", 1), ("2025-09-01", None, 2)], 1),
    ([("2025-09-01", None, 2), ("2025-07-01", None, 3)], 3),
    ([], None),
], ids=["in-force", "latest-started", "first-upcoming", "none"])
def test_current_rent(schedules: list, expected_id: int | None) -> None:
    rents = [{"Id": i, "StartDate": s, "EndDate": e} for s, e, i in schedules]
    chosen = current_rent(rents, TODAY)
    assert (chosen or {}).get("Id") == expected_id


SPEC_ENUMS = {
    "RentCycle": ["None", "Monthly", "Weekly", "Every2Weeks", "Quarterly", "Yearly",
                  "Every2Months", "Daily", "Every6Months", "OneTime"],
    "UnitBedrooms": ["NotSet", "Studio", "OneBed", "TwoBed", "ThreeBed", "FourBed", "FiveBed",
                     "SixBed", "SevenBed", "EightBed", "NineBedPlus"],
    "RentalSubType": ["CondoTownhome", "MultiFamily", "SingleFamily", "Industrial", "Office",
                      "Retail", "ShoppingCenter", "Storage", "ParkingSpace"],
}


@pytest.mark.parametrize("enum, table", [
    ("RentCycle", RENT_FREQUENCIES), ("UnitBedrooms", BEDROOMS),
    ("RentalSubType", PROPERTY_TYPES),
])
def test_enum_tables_cover_every_spec_value(enum: str, table: dict) -> None:
    assert set(table) == set(SPEC_ENUMS[enum])


@pytest.mark.parametrize("cycle, frequency", [
    ("Weekly", "weekly"), ("Every2Weeks", "fortnightly"), ("Monthly", "monthly"),
    ("Every2Months", "bimonthly"), ("Quarterly", "quarterly"), ("Every6Months", "half_yearly"),
    ("Yearly", "yearly"), ("OneTime", "one_time"), ("Daily", "other"), ("None", "other"),
])
def test_rent_cycles(cycle: str, frequency: str) -> None:
    assert map_tenancy(LEASE, [merged(RENT, {"RentCycle": cycle})], TODAY).rent_frequency == frequency


@pytest.mark.parametrize("bedrooms, count", [
    ("Studio", 0), ("OneBed", 1), ("FiveBed", 5), ("EightBed", 8), ("NineBedPlus", 9),
    ("NotSet", None),
])
def test_bedrooms(bedrooms: str, count: int | None) -> None:
    record = map_property(merged(UNIT, {"UnitBedrooms": bedrooms}), RENTAL, [])
    # The raw value is kept even when it maps: NineBedPlus → 9 drops "or more".
    assert (record.bedrooms, record.bedrooms_raw) == (count, bedrooms)
