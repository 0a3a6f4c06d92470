"""Reapit → canonical mapping, as tables of cases per entity and per enum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from pms_pipelines.integrations.reapit.mapping import (
    LETTING_STATUSES, PROPERTY_TYPES, RENT_FREQUENCIES, TENANCY_STATUSES, MappingError,
    is_tenant, map_address, map_landlord, map_property, map_tenancy, map_tenant,
)

ADDRESS = {"buildingNumber": "14", "line1": "Cowley Road", "line2": "East Oxford",
           "line3": "Oxford", "line4": "Oxfordshire", "postcode": "OX4 1HP", "countryId": "GB"}
PROPERTY = {"id": "OXF240001", "address": ADDRESS, "bedrooms": 3, "type": ["house"],
            "letting": {"status": "tenancyCurrent", "landlordId": "OXF240010"}}
PERSON = {"id": "OXF240050", "type": "contact", "forename": "Eleanor", "surname": "Whitfield",
          "mobilePhone": "07700 900123", "homePhone": "01865 555010",
          "email": "eleanor@example.co.uk", "primaryAddress": ADDRESS}
CONTACT = {"id": "OXF240020", "forename": "Oliver", "surname": "Okafor",
           "dateOfBirth": "1990-08-12", "email": "oliver@example.co.uk",
           "relationships": [{"associatedType": "tenancy", "associatedId": "OXF240030"}]}
TENANCY = {"id": "OXF240030", "propertyId": "OXF240001", "startDate": "2025-02-01",
           "endDate": "2026-01-31", "status": "current", "rent": 1250.5,
           "rentFrequency": "monthly", "isPeriodic": False, "deposit": {"sum": 1442.88},
           "related": [{"id": "OXF240020", "type": "contact", "occupyOn": "2025-02-01"}]}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {**base, **changes}


@pytest.mark.parametrize("changes, expected", [
    ({}, {"property_type": "house", "property_type_raw": "house", "bedrooms": 3,
          "status": "active", "status_raw": "tenancyCurrent", "landlord_ids": ("OXF240010",)}),
    ({"type": ["flatApartment", "maisonette"]},
     {"property_type": "apartment", "property_type_raw": "flatApartment,maisonette"}),
    ({"type": ["houseboat"]}, {"property_type": "other", "property_type_raw": "houseboat"}),
    ({"type": []}, {"property_type": "other", "property_type_raw": None}),
    ({"letting": {"status": "withdrawn"}},
     {"status": "inactive", "status_raw": "withdrawn", "landlord_ids": ()}),
    ({"letting": {"status": "mothballed"}}, {"status": "other", "status_raw": "mothballed"}),
    ({"letting": None}, {"status": "other", "status_raw": None, "landlord_ids": ()}),
    ({"bedrooms": None}, {"bedrooms": None, "bedrooms_raw": None}),
], ids=["house", "flat-first-type-wins", "unknown-type", "no-type", "withdrawn",
        "unknown-letting-status", "no-letting", "no-bedrooms"])
def test_map_property(changes: dict, expected: dict) -> None:
    record = map_property(merged(PROPERTY, changes))
    assert {k: getattr(record, k) for k in expected} == expected


@pytest.mark.parametrize("changes, error", [
    ({"address": None}, MappingError), ({"bedrooms": -1}, ValidationError),
], ids=["no-address", "negative-bedrooms"])
def test_map_property_rejects(changes: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        map_property(merged(PROPERTY, changes))


@pytest.mark.parametrize("table, raw, canonical", [
    *[(PROPERTY_TYPES, k, v) for k, v in {
        "house": "house", "bungalow": "house", "cottage": "house", "flatApartment": "apartment",
        "maisonette": "apartment", "studio": "apartment", "townhouse": "townhouse",
        "land": "other", "farm": "other", "developmentPlot": "other"}.items()],
    *[(LETTING_STATUSES, k, "active") for k in ("toLet", "underOffer", "arrangingTenancy",
                                                "tenancyCurrent", "tenancyCurrentUnavailable")],
    *[(LETTING_STATUSES, k, "inactive") for k in ("valuation", "tenancyFinished", "sold",
                                                  "letPrivately", "withdrawn")],
    (TENANCY_STATUSES, "offerPending", "pending"), (TENANCY_STATUSES, "arranging", "pending"),
    (TENANCY_STATUSES, "current", "active"), (TENANCY_STATUSES, "finished", "ended"),
    (TENANCY_STATUSES, "offerWithdrawn", "cancelled"),
    (TENANCY_STATUSES, "offerRejected", "cancelled"),
    (TENANCY_STATUSES, "cancelled", "cancelled"),
    (RENT_FREQUENCIES, "weekly", "weekly"), (RENT_FREQUENCIES, "monthly", "monthly"),
    (RENT_FREQUENCIES, "annually", "yearly"),
])
def test_enum_tables(table: dict[str, str], raw: str, canonical: str) -> None:
    assert table[raw] == canonical


@pytest.mark.parametrize("changes, expected", [
    ({}, {"line1": "14 Cowley Road", "line2": "East Oxford", "line3": None, "city": "Oxford",
          "region": "Oxfordshire", "postcode": "OX4 1HP", "country": "GB"}),
    ({"buildingName": "Flat 4, Riverside Court", "line2": ""},
     {"line1": "Flat 4, Riverside Court", "line2": "14 Cowley Road", "line3": None}),
    ({"buildingNumber": None}, {"line1": "Cowley Road"}),
    ({"countryId": "UK"}, {"country": "GB", "country_raw": None}),
    ({"countryId": "ie"}, {"country": "IE"}),
    ({"countryId": "Channel Islands"}, {"country": None, "country_raw": "Channel Islands"}),
], ids=["street", "building-name", "no-number", "uk-alias", "lower-case", "not-iso"])
def test_map_address(changes: dict, expected: dict) -> None:
    address = map_address(merged(ADDRESS, changes))
    assert address is not None
    assert {k: getattr(address, k) for k in expected} == expected


def test_empty_address_is_none() -> None:
    assert map_address({}) is None
    assert map_address({"line1": " ", "countryId": ""}) is None


@pytest.mark.parametrize("related, expected", [
    ([PERSON], {"kind": "person", "first_name": "Eleanor", "last_name": "Whitfield",
                "company_name": None}),
    ([{"id": "C1", "type": "company", "name": "Thameside Lettings Ltd",
       "workPhone": "0118 496 0000"}],
     {"kind": "company", "company_name": "Thameside Lettings Ltd", "first_name": None}),
    ([merged(PERSON, {"forename": "Second"}), PERSON][::-1], {"first_name": "Eleanor"}),
], ids=["person", "company", "primary-is-first"])
def test_map_landlord(related: list, expected: dict) -> None:
    record = map_landlord({"id": "L1", "active": True, "related": related})
    assert {k: getattr(record, k) for k in expected} == expected


def test_landlord_contact_prefers_mobile_and_needs_a_relation() -> None:
    assert map_landlord({"related": [PERSON]}).contact.phone == "07700 900123"
    home_only = merged(PERSON, {"mobilePhone": None})
    assert map_landlord({"related": [home_only]}).contact.phone == "01865 555010"
    with pytest.raises(MappingError):
        map_landlord({"id": "L2", "related": []})


@pytest.mark.parametrize("contact, tenant", [
    (CONTACT, True),
    (merged(CONTACT, {"relationships": [{"associatedType": "applicant"}]}), False),
    ({**{k: v for k, v in CONTACT.items() if k != "relationships"},
      "_embedded": {"relationships": [{"associatedType": "tenancy"}]}}, True),
    ({"id": "X"}, False),
], ids=["tenancy-role", "applicant-only", "embedded-roles", "no-roles"])
def test_is_tenant(contact: dict, tenant: bool) -> None:
    assert is_tenant(contact) is tenant


def test_map_tenant() -> None:
    tenant = map_tenant(CONTACT)
    assert (tenant.first_name, tenant.last_name, tenant.date_of_birth) == (
        "Oliver", "Okafor", date(1990, 8, 12))
    assert map_tenant(merged(CONTACT, {"dateOfBirth": "1990-08-12T00:00:00.000Z"})
                      ).date_of_birth == date(1990, 8, 12)
    with pytest.raises(MappingError):
        map_tenant(merged(CONTACT, {"forename": " ", "surname": None}))


@pytest.mark.parametrize("changes, currency, expected", [
    ({}, "GBP", {"rent_amount": Decimal("1250.50"), "rent_currency": "GBP",
                 "rent_frequency": "monthly", "status": "active", "status_raw": "current",
                 "deposit_amount": Decimal("1442.88"), "tenant_ids": ("OXF240020",),
                 "move_in_date": date(2025, 2, 1), "move_out_date": None}),
    ({}, None, {"rent_currency": "GBP"}),
    ({}, "EUR", {"rent_currency": "EUR"}),
    ({"rentFrequency": "annually"}, "GBP", {"rent_frequency": "yearly"}),
    ({"rentFrequency": "quarterly"}, "GBP",
     {"rent_frequency": "other", "rent_frequency_raw": "quarterly"}),
    ({"status": "renewing"}, "GBP", {"status": "other", "status_raw": "renewing"}),
    ({"rent": None}, "GBP", {"rent_amount": None, "rent_currency": None}),
    ({"isPeriodic": True}, "GBP", {"is_periodic": True}),
    ({"related": [{"id": "T1", "type": "contact", "occupyOn": "2025-02-03",
                   "vacateOn": "2025-06-30"},
                  {"id": "T2", "type": "contact", "occupyOn": "2025-02-01",
                   "vacateOn": "2025-07-31"},
                  {"id": "CO1", "type": "company"}]}, "GBP",
     {"tenant_ids": ("T1", "T2"), "move_in_date": date(2025, 2, 1),
      "move_out_date": date(2025, 7, 31)}),
    ({"related": [{"id": "T1", "occupyOn": "2025-02-01", "vacateOn": "2025-06-30"},
                  {"id": "T2", "occupyOn": "2025-02-01"}]}, "GBP", {"move_out_date": None}),
], ids=["current", "no-currency-gbp", "euro", "annually", "unknown-frequency",
        "unknown-status", "no-rent", "periodic", "companies-not-tenants", "one-stays-on"])
def test_map_tenancy(changes: dict, currency: str | None, expected: dict) -> None:
    record = map_tenancy(merged(TENANCY, changes), currency)
    assert {k: getattr(record, k) for k in expected} == expected


def test_each_tenant_keeps_its_own_dates_and_no_status() -> None:
    related = [{"id": "T1", "occupyOn": "2025-02-01", "vacateOn": "2025-06-30"},
               {"id": "T2", "occupyOn": "2025-02-03"},
               {"id": "T1", "occupyOn": "2025-09-01"}]  # listed twice: the first counts
    record = map_tenancy(merged(TENANCY, {"related": related}), "GBP")
    assert record.tenant_ids == ("T1", "T2")
    assert [(t.tenant_id, t.status, t.move_in_date, t.move_out_date)
            for t in record.tenants] == [("T1", None, date(2025, 2, 1), date(2025, 6, 30)),
                                         ("T2", None, date(2025, 2, 3), None)]


@pytest.mark.parametrize("changes, error", [
    ({"propertyId": None}, MappingError),
    ({"startDate": "2025-02-01", "endDate": "2024-01-01"}, ValidationError),
    ({"rent": -5}, ValidationError),
], ids=["no-property", "ends-before-start", "negative-rent"])
def test_map_tenancy_rejects(changes: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        map_tenancy(merged(TENANCY, changes), "GBP")
