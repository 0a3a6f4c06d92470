"""Dangling references past the grace period, in the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pms_pipelines.db.loader import apply_events
from pms_pipelines.health.integrity import dangling_references
from pms_pipelines_tests.db.sample_events import (
    event,
    landlord_record,
    property_record,
    tenancy_record,
    tenant_record,
)

GRACE = timedelta(minutes=10)


def _age_everything(conn, by: timedelta) -> None:
    for table in ("property", "tenancy", "tenant", "landlord"):
        conn.execute(f"UPDATE pms.{table} SET last_updated_at = last_updated_at - %s", (by,))


def test_references_that_never_arrived_are_reported_after_the_grace(db_conn) -> None:
    apply_events(db_conn, [
        event("property", "P1", property_record(landlord_ids=("L1", "L9")), 1),
        event("landlord", "L1", landlord_record(), 1),
        event("tenancy", "TY1", tenancy_record(tenant_ids=("T1", "T2")), 1),  # property P1
        event("tenant", "T1", tenant_record(), 1),
        event("tenancy", "TY2", tenancy_record(tenant_ids=("T1",)), 1, agency_id="other"),
        event("tenant", "T1", tenant_record(), 1, agency_id="other"),
    ])
    db_conn.commit()

    recent = dangling_references(db_conn, GRACE, datetime.now(UTC))
    assert recent["tenancy"].passed and recent["property"].passed  # still within the grace

    _age_everything(db_conn, timedelta(hours=1))
    db_conn.commit()
    outcomes = dangling_references(db_conn, GRACE, datetime.now(UTC))
    tenancy = outcomes["tenancy"]
    assert not tenancy.passed and tenancy.severity == "WARN"
    # TY2's property P1 is another agency's: it never arrived for "other".
    assert tenancy.metadata["dangling_tenancy_property"] == 1
    assert tenancy.metadata["examples_tenancy_property"] == "buildium/other: tenancy TY2 -> property P1"
    assert tenancy.metadata["dangling_tenancy_tenants"] == 1
    assert tenancy.metadata["examples_tenancy_tenants"] == "buildium/acme: tenancy TY1 -> tenant T2"
    assert tenancy.metadata["grace_s"] == 600
    prop = outcomes["property"]
    assert not prop.passed and prop.metadata["dangling_property_landlords"] == 1
    assert "landlord L9" in prop.metadata["examples_property_landlords"]
    assert "1 property reference(s) to a landlord that never arrived" in prop.description


def test_late_arrivals_and_deleted_owners_resolve(db_conn) -> None:
    apply_events(db_conn, [
        event("tenancy", "TY1", tenancy_record(tenant_ids=("T1",)), 1),
        event("property", "P9", property_record(landlord_ids=("L9",)), 1),
    ])
    _age_everything(db_conn, timedelta(hours=1))
    apply_events(db_conn, [
        event("property", "P1", property_record(landlord_ids=()), 2),
        event("tenant", "T1", None, 2),  # a delete arrived: a tombstone counts as arrived
        event("property", "P9", None, 3),  # the owner is gone: its links do not matter
    ])
    db_conn.commit()
    outcomes = dangling_references(db_conn, GRACE, datetime.now(UTC))
    assert outcomes["tenancy"].passed, outcomes["tenancy"].metadata
    assert outcomes["property"].passed, outcomes["property"].metadata
    assert "resolves" in outcomes["tenancy"].description
