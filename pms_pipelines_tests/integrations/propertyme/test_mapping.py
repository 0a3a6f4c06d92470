"""PropertyMe → canonical mapping, as tables of cases per entity and per enum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from pms_pipelines.integrations.propertyme.mapping import (
    PROPERTY_TYPES, RENT_FREQUENCIES, MappingError, is_owner, is_tenant, map_address,
    map_landlord, map_property, map_tenancy, map_tenant,
)

TODAY = date(2026, 6, 1)
ADDRESS = {"Number": "12", "Street": "Crown St", "Suburb": "Surry Hills", "State": "NSW",
           "PostalCode": "2010", "Country": "Australia"}
LOT = {"Id": "lot-1", "Reference": "12 Crown St", "Address": ADDRESS, "PrimaryType": "Residential",
       "PropertySubtype": "House", "Bedrooms": 3, "IsRental": True, "OwnerContactId": "own-1"}
PERSON = {"FirstName": "Mei", "LastName": "Chen", "Email": "mei@example.com.au",
          "CellPhone": "0400 111 222", "HomePhone": "(02) 9555 1234", "IsPrimary": True}
CONTACT = {"Id": "c-1", "Roles": ["Tenant"], "IsTenant": True, "PrimaryContactPerson": PERSON,
           "ContactPersons": [PERSON]}
TENANCY = {"Id": "t-1", "LotId": "lot-1", "ContactId": "c-1", "IsActive": True,
           "IsClosed": False, "TenancyStart": "2025-02-01T00:00:00",
           "AgreementStart": "2025-02-01T00:00:00", "AgreementEnd": "2026-01-31T00:00:00",
           "Periodic": True, "RentAmount": 780.1, "RentPeriod": "Weekly", "BondAmount": 3120}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


@pytest.mark.parametrize("subtype, primary, expected", [
    *[(raw, "Residential", canonical) for raw, canonical in PROPERTY_TYPES.items()],
    ("Retail", "Commercial", "commercial"),
    (None, "Commercial", "commercial"),
    ("Acreage", "Rural", "other"),
    (None, None, "other"),
])
def test_property_type_table(subtype: str | None, primary: str | None, expected: str) -> None:
    record = map_property(merged(LOT, {"PropertySubtype": subtype, "PrimaryType": primary}))
    assert record.property_type == expected
    assert record.property_type_raw == (subtype or primary)


@pytest.mark.parametrize("changes, expected", [
    ({}, {"name": "12 Crown St", "bedrooms": 3, "bedrooms_raw": "3", "status": "active",
          "status_raw": "Rental", "landlord_ids": ("own-1",)}),
    ({"IsRental": False}, {"status": "inactive", "status_raw": "NotRental"}),
    ({"IsRental": None}, {"status": "other", "status_raw": None}),
    ({"OwnerContactId": None}, {"landlord_ids": ()}),
    ({"Bedrooms": None}, {"bedrooms": None, "bedrooms_raw": None}),
    ({"Reference": None, "AddressText": "12 Crown St, Surry Hills"},
     {"name": "12 Crown St, Surry Hills"}),
], ids=["rental-house", "sales-lot", "no-rental-flag", "no-owner", "no-bedrooms",
        "name-from-address-text"])
def test_map_property(changes: dict, expected: dict) -> None:
    record = map_property(merged(LOT, changes))
    assert {k: getattr(record, k) for k in expected} == expected


def test_property_rejections() -> None:
    with pytest.raises(ValidationError):
        map_property(merged(LOT, {"Bedrooms": -1}))
    with pytest.raises(MappingError):
        map_property(merged(LOT, {"Address": None}))


@pytest.mark.parametrize("raw, expected", [
    (ADDRESS, ("12 Crown St", "Surry Hills", "NSW", "2010", "AU", None)),
    ({**ADDRESS, "Unit": "4"}, ("4/12 Crown St", "Surry Hills", "NSW", "2010", "AU", None)),
    ({**ADDRESS, "Country": None}, ("12 Crown St", "Surry Hills", "NSW", "2010", "AU", None)),
    ({**ADDRESS, "Country": "NZ", "State": None}, ("12 Crown St", "Surry Hills", None, "2010",
                                                    "NZ", None)),
    ({**ADDRESS, "Country": "Aotearoa"}, ("12 Crown St", "Surry Hills", "NSW", "2010", None,
                                          "Aotearoa")),
    ({"Text": "PO Box 9, Sydney"}, ("PO Box 9, Sydney", None, None, None, None, None)),
], ids=["australia", "unit", "country-from-state", "new-zealand", "unknown-country",
        "text-only"])
def test_map_address(raw: dict, expected: tuple) -> None:
    address = map_address({k: v for k, v in raw.items() if v is not None})
    assert address is not None
    got = (address.line1, address.city, address.region, address.postcode, address.country,
           address.country_raw)
    assert got == expected


@pytest.mark.parametrize("person, contact, expected", [
    ({}, {}, {"kind": "person", "first_name": "Mei", "company_name": None}),
    ({"FirstName": "", "LastName": "", "CompanyName": "Chen Family Trust"}, {},
     {"kind": "company", "company_name": "Chen Family Trust", "first_name": None}),
    ({"FirstName": None, "LastName": None}, {"TradeName": "Chen Holdings"},
     {"kind": "company", "company_name": "Chen Holdings"}),
    ({"CompanyName": "Chen Pty Ltd"}, {}, {"kind": "person", "company_name": "Chen Pty Ltd"}),
], ids=["person", "trust", "trade-name", "person-with-company"])
def test_map_landlord(person: dict, contact: dict, expected: dict) -> None:
    primary = merged(PERSON, person)
    record = map_landlord(merged(CONTACT, {"PrimaryContactPerson": primary, **contact}))
    assert {k: getattr(record, k) for k in expected} == expected
    assert record.contact.phone == "0400 111 222"  # the mobile first


def test_contact_details_fall_back_and_reject() -> None:
    person = {"FirstName": "Mei", "HomePhone": "(02) 9555 1234"}
    record = map_tenant({**CONTACT, "PrimaryContactPerson": None, "ContactPersons": [
        {"FirstName": "Arjun", "IsPrimary": False}, {**person, "IsPrimary": True}],
        "Email": "home@example.com.au"})
    assert (record.first_name, record.contact.email, record.contact.phone) == (
        "Mei", "home@example.com.au", "(02) 9555 1234")
    with pytest.raises(MappingError):
        map_tenant({**CONTACT, "PrimaryContactPerson": {"CompanyName": "Acme Pty Ltd"}})
    with pytest.raises(MappingError):
        map_landlord({**CONTACT, "PrimaryContactPerson": {}, "ContactPersons": []})


@pytest.mark.parametrize("contact, owner, tenant", [
    ({"IsOwner": True}, True, False),
    ({"Roles": ["Owner", "Tenant"]}, True, True),
    ({"Roles": ["Supplier"], "IsSupplier": True}, False, False),
])
def test_roles(contact: dict, owner: bool, tenant: bool) -> None:
    assert (is_owner(contact), is_tenant(contact)) == (owner, tenant)


@pytest.mark.parametrize("period, expected", [
    *RENT_FREQUENCIES.items(), ("Daily", "other"), (None, "other"),
])
def test_rent_frequency_table(period: str | None, expected: str) -> None:
    record = map_tenancy(merged(TENANCY, {"RentPeriod": period}), TODAY)
    assert (record.rent_frequency, record.rent_frequency_raw) == (expected, period)


@pytest.mark.parametrize("changes, status", [
    ({}, "active"),
    ({"IsActive": False, "TenancyStart": "2026-09-01", "AgreementStart": "2026-09-01",
      "AgreementEnd": "2027-08-31"}, "future"),
    ({"IsActive": False, "TenancyEnd": "2026-05-31"}, "ended"),
    ({"IsActive": False, "TenancyEnd": "2026-07-01"}, "other"),
], ids=["active", "future", "vacated", "vacating"])
def test_tenancy_status(changes: dict, status: str) -> None:
    record = map_tenancy(merged(TENANCY, changes), TODAY)
    assert record.status == status
    assert record.status_raw == f"IsActive={str(changes.get('IsActive', True)).lower()}"


def test_map_tenancy_fields_and_rejections() -> None:
    record = map_tenancy(TENANCY, TODAY)
    assert (record.property_id, record.tenant_ids) == ("lot-1", ("c-1",))
    assert (record.start_date, record.end_date, record.move_in_date, record.move_out_date) == (
        date(2025, 2, 1), date(2026, 1, 31), date(2025, 2, 1), None)
    assert record.is_periodic is True
    assert (record.rent_amount, record.rent_currency, record.deposit_amount) == (
        Decimal("780.10"), "AUD", Decimal("3120.00"))
    no_rent = map_tenancy(merged(TENANCY, {"RentAmount": None, "BondAmount": None}), TODAY)
    assert (no_rent.rent_amount, no_rent.rent_currency, no_rent.deposit_amount) == (None, None, None)
    with pytest.raises(MappingError):
        map_tenancy(merged(TENANCY, {"LotId": None}), TODAY)
    with pytest.raises(ValidationError):
        map_tenancy(merged(TENANCY, {"AgreementEnd": "2024-01-01"}), TODAY)
    with pytest.raises(MappingError):
        map_tenancy(merged(TENANCY, {"TenancyStart": "soon"}), TODAY)
