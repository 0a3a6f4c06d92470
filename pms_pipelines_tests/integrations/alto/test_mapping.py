"""Alto → canonical mapping, as tables of cases per entity and per free-text value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from pms_pipelines.integrations.alto.mapping import (
    INVENTORY_STATUSES, MappingError, map_address, map_landlord, map_property, map_tenancy,
    map_tenant,
)

TODAY = date(2030, 6, 1)
ADDRESS = {"subDwelling": "Flat 2", "nameNo": "14", "street": "Cowley Road",
           "locality": "East Oxford", "town": "Oxford", "county": "Oxfordshire",
           "postcode": "OX4 1HP", "countryCode": "GB"}
ROW = {"inventoryId": "301", "archived": False, "modifiedAt": "2030-01-01T00:00:00+00:00"}
ITEM = {"id": "301", "address": ADDRESS, "displayAddress": "Flat 2, 14 Cowley Road",
        "propertyType": "Terraced House", "bedrooms": 3, "inventoryStatus": "Let",
        "archived": False, "owners": [{"ownerId": "O1", "contactId": 501}]}
PERSON = {"title": "Ms", "foreName": "Margaret", "surname": "O'Connor",
          "phoneNumber": "07700 900123", "emailAddress": "margaret@example.co.uk"}
CONTACT = {"id": "501", "contactInformation": [PERSON], "companyName": None}
TENANCY = {"id": 801, "propertyId": 301, "startDate": "2029-02-01T00:00:00+00:00",
           "endDate": "2030-01-31T00:00:00+00:00", "rent": 1250.5,
           "rentalFrequency": "Monthly", "depositRequested": 1442.88, "currencyCode": "GBP",
           "status": "Current"}
TENANTS = {"totalCount": 2, "items": [{"tenantId": 9, "contactId": 601},
                                      {"tenantId": 10, "contactId": 602}]}


@pytest.mark.parametrize("changes, expected", [
    ({}, {"property_type": "house", "bedrooms": 3, "status": "active", "status_raw": "Let",
          "landlord_ids": ("501",), "name": "Flat 2, 14 Cowley Road"}),
    ({"propertyType": "Purpose Built Flat"}, {"property_type": "apartment"}),
    ({"propertyType": "Town House"}, {"property_type": "house"}),
    ({"propertyType": "Townhouse"}, {"property_type": "townhouse"}),
    ({"propertyType": "Retail Unit"}, {"property_type": "commercial"}),
    ({"propertyType": "Barn Conversion"}, {"property_type": "other",
                                            "property_type_raw": "Barn Conversion"}),
    ({"inventoryStatus": "Withdrawn"}, {"status": "inactive"}),
    ({"inventoryStatus": "Unspecified"}, {"status": "other"}),
    ({"archived": True}, {"status": "inactive"}),
    ({"owners": [{"contactId": 0}, {"ownerId": "x"}]}, {"landlord_ids": ()}),
])
def test_property(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    mapped = map_property(ROW, {**ITEM, **changes})
    assert {k: getattr(mapped, k) for k in expected} == expected


def test_every_inventory_status_is_in_the_table() -> None:
    statuses = ("Unspecified", "Appraisal", "Available", "UnderOffer", "Completed", "Let",
                "LetAgreed", "LetMarketing", "Archived", "Suspended", "Withdrawn",
                "Instructed", "NotInstructed", "ExternallyLet", "UnderOfferMarketing",
                "UnderOfferAvailable", "Exchanged", "ExternallySold", "Reserved")
    assert set(INVENTORY_STATUSES) == set(statuses) - {"Unspecified"}


def test_a_row_without_its_item_or_address_is_rejected() -> None:
    with pytest.raises(MappingError, match="not found"):
        map_property(ROW, None)
    with pytest.raises(MappingError, match="no address"):
        map_property(ROW, {**ITEM, "address": None})


def test_address_lines() -> None:
    address = map_address({**ADDRESS, "countryCode": "UK"})
    assert (address.line1, address.line2, address.line3, address.city, address.region,
            address.country) == ("Flat 2", "14 Cowley Road", "East Oxford", "Oxford",
                                 "Oxfordshire", "GB")
    assert map_address({"countryCode": "United Kingdom"}).country_raw == "United Kingdom"
    assert map_address({}) is None


def test_landlords_and_tenants() -> None:
    person = map_landlord(CONTACT)
    assert (person.kind, person.first_name, person.contact.phone) == (
        "person", "Margaret", "07700 900123")
    company = map_landlord({**CONTACT, "companyName": "Pennine Lettings Ltd",
                            "contactInformation": [{**PERSON, "foreName": None,
                                                    "surname": None}]})
    assert (company.kind, company.company_name) == ("company", "Pennine Lettings Ltd")
    with pytest.raises(MappingError):
        map_landlord({"id": "9", "contactInformation": []})
    assert map_tenant(CONTACT).last_name == "O'Connor"
    with pytest.raises(MappingError):
        map_tenant({"id": "9", "contactInformation": [{"phoneNumber": "1"}]})


@pytest.mark.parametrize("changes, expected", [
    ({}, {"status": "active", "is_periodic": True, "rent_frequency": "monthly",
          "rent_amount": Decimal("1250.50"), "deposit_amount": Decimal("1442.88"),
          "tenant_ids": ("601", "602"), "property_id": "301", "status_raw": "Current"}),
    ({"endDate": "2031-01-31T00:00:00+00:00"}, {"status": "active", "is_periodic": False}),
    ({"endDate": None}, {"is_periodic": True}),
    ({"startDate": "2031-01-01T00:00:00+00:00", "endDate": "2031-12-31T00:00:00+00:00"},
     {"status": "future", "is_periodic": False}),
    ({"targetVacateDate": "2030-05-31T00:00:00+00:00"},
     {"status": "ended", "move_out_date": date(2030, 5, 31), "is_periodic": False}),
    ({"targetVacateDate": "2030-07-31T00:00:00+00:00"},
     {"status": "active", "move_out_date": None}),
    ({"startDate": None}, {"status": "other"}),
    ({"rentalFrequency": "FourWeekly"}, {"rent_frequency": "four_weekly"}),
    ({"rentalFrequency": "quarterly on quarter days"}, {"rent_frequency": "quarterly"}),
    ({"rentalFrequency": "Every so often"}, {"rent_frequency": "other",
                                             "rent_frequency_raw": "Every so often"}),
    ({"currencyCode": None}, {"rent_currency": "GBP"}),
])
def test_tenancy(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    mapped = map_tenancy({**TENANCY, **changes}, TENANTS, TODAY)
    assert {k: getattr(mapped, k) for k in expected} == expected


def test_a_tenancy_without_a_property_or_a_tenant_list_is_rejected() -> None:
    with pytest.raises(MappingError, match="propertyId"):
        map_tenancy({**TENANCY, "propertyId": 0}, TENANTS, TODAY)
    with pytest.raises(MappingError, match="no list"):
        map_tenancy(TENANCY, {"items": "601"}, TODAY)
    assert map_tenancy(TENANCY, {}, TODAY).tenant_ids == ()


def test_an_agency_may_set_its_own_rate_limit() -> None:
    from pms_pipelines.integrations.alto.client import RATE_LIMIT_PER_S, agency_rate

    assert agency_rate({}, RATE_LIMIT_PER_S) == RATE_LIMIT_PER_S
    assert agency_rate({"rate_limit_per_s": "2.5"}, RATE_LIMIT_PER_S) == 2.5
    for bad in ("0", "-1", "fast", "1e9"):
        with pytest.raises(ValueError, match="rate_limit_per_s"):
            agency_rate({"rate_limit_per_s": bad}, RATE_LIMIT_PER_S)
