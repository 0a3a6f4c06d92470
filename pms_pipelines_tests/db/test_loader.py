"""The version rule, table by table, and the link tables that follow it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest

from pms_pipelines.canonical import Tenancy, TenancyTenant
from pms_pipelines.db.loader import apply_events
from pms_pipelines.db.rows import LAYOUTS
from pms_pipelines_tests.db.sample_events import (
    event,
    landlord_record,
    property_record,
    tenancy_record,
    tenant_record,
)


def _row(conn: psycopg.Connection, table: str, source_id: str, columns: str) -> tuple | None:
    return conn.execute(
        f"SELECT {columns} FROM pms.{table} WHERE source = 'buildium' "
        "AND agency_id = 'acme' AND source_id = %s", (source_id,)
    ).fetchone()


def _links(conn: psycopg.Connection, table: str, owner: str, member: str, owner_id: str) -> list:
    return [r[0] for r in conn.execute(
        f"SELECT {member} FROM pms.{table} WHERE {owner} = %s ORDER BY position", (owner_id,))]


def _tenant(seconds: int, name: str | None = "Ada", source_id: str = "T1"):
    return event("tenant", source_id, None if name is None else tenant_record(name), seconds)


# Each case: the events in arrival order, the expected outcomes, and the row after them
# as (first_name, deleted?, version-of-which-event).
VERSION_CASES = {
    "first upsert loads": ([_tenant(10, "A")], ["loaded"], ("A", False, 0)),
    "newer upsert wins": ([_tenant(10, "A"), _tenant(20, "B")], ["loaded", "loaded"],
                          ("B", False, 1)),
    "older upsert is stale": ([_tenant(20, "B"), _tenant(10, "A")], ["loaded", "stale"],
                              ("B", False, 0)),
    "equal version is stale": ([_tenant(10, "A"), _tenant(10, "Z")], ["loaded", "stale"],
                               ("A", False, 0)),
    "delete keeps data": ([_tenant(10, "A"), _tenant(20, None)], ["loaded", "loaded"],
                          ("A", True, 1)),
    "delete first leaves a tombstone": ([_tenant(20, None)], ["loaded"], (None, True, 0)),
    "late older upsert after delete stays deleted": (
        [_tenant(20, None), _tenant(10, "A")], ["loaded", "stale"], (None, True, 0)),
    "older delete after upsert is stale": (
        [_tenant(20, "B"), _tenant(10, None)], ["loaded", "stale"], ("B", False, 0)),
    "newer upsert revives": (
        [_tenant(10, "A"), _tenant(20, None), _tenant(30, "C")],
        ["loaded", "loaded", "loaded"], ("C", False, 2)),
}


# The same events in one batch: only the newest per key is applied, plus the upsert a
# delete supersedes, so the stored row ends the same as with one batch per event.
ONE_BATCH_OUTCOMES = {
    "newer upsert wins": ["stale", "loaded"],
    "newer upsert revives": ["stale", "stale", "loaded"],
}


@pytest.mark.parametrize("case", VERSION_CASES, ids=list(VERSION_CASES))
@pytest.mark.parametrize("one_batch", [False, True], ids=["separate", "one-batch"])
def test_version_rule(db_conn: psycopg.Connection, case: str, one_batch: bool) -> None:
    events, expected, (first_name, deleted, winner) = VERSION_CASES[case]
    if one_batch:
        outcomes = apply_events(db_conn, events)
        expected = ONE_BATCH_OUTCOMES.get(case, expected)
    else:
        outcomes = [apply_events(db_conn, [e])[0] for e in events]
    assert outcomes == expected
    row = _row(db_conn, "tenant", "T1", "first_name, deleted_at IS NOT NULL, version, event_id")
    assert row == (first_name, deleted, events[winner].version, events[winner].event_id)


def test_replaying_a_batch_changes_nothing(db_conn: psycopg.Connection) -> None:
    events = [_tenant(10, "A"), _tenant(10, "X", source_id="T2"), _tenant(20, None, "T3")]
    assert apply_events(db_conn, events) == ["loaded"] * 3
    before = db_conn.execute("SELECT * FROM pms.tenant ORDER BY source_id").fetchall()
    assert apply_events(db_conn, events) == ["stale"] * 3
    assert db_conn.execute("SELECT * FROM pms.tenant ORDER BY source_id").fetchall() == before


def test_the_same_content_again_rewrites_no_row(db_conn: psycopg.Connection) -> None:
    """A re-publish (a re-sync, a forced pull) sends unchanged records with a newer
    version: the row is not rewritten, so `last_updated_at` says when data changed."""
    first = [_tenant(10, "A"), _tenant(10, None, "T2"),
             event("tenancy", "TY1", tenancy_record(("T1", "T2")), 10)]
    assert apply_events(db_conn, first) == ["loaded"] * 3
    db_conn.commit()  # now() moves on with the next transaction
    tables = ("tenant", "tenancy", "tenancy_tenant")
    before = {t: db_conn.execute(f"SELECT *, xmin::text FROM pms.{t} ORDER BY 1, 2, 3").fetchall()
              for t in tables}
    again = [_tenant(20, "A"), _tenant(20, None, "T2"),
             event("tenancy", "TY1", tenancy_record(("T1", "T2")), 20)]
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert apply_events(db_conn, again) == ["stale"] * 3
    db_conn.commit()
    assert {t: db_conn.execute(f"SELECT *, xmin::text FROM pms.{t} ORDER BY 1, 2, 3").fetchall()
            for t in tables} == before
    assert apply_events(db_conn, [_tenant(30, "B")]) == ["loaded"]
    assert _row(db_conn, "tenant", "T1", "first_name, version") == ("B", _tenant(30).version)


def test_duplicates_in_one_batch_keep_the_highest_version(db_conn: psycopg.Connection) -> None:
    events = [_tenant(20, "B"), _tenant(30, "C"), _tenant(10, "A"), _tenant(30, "C")]
    assert apply_events(db_conn, events) == ["stale", "loaded", "stale", "stale"]
    assert _row(db_conn, "tenant", "T1", "first_name") == ("C",)


def test_all_columns_land_typed(db_conn: psycopg.Connection) -> None:
    apply_events(db_conn, [event("tenancy", "TY1", tenancy_record(), 10),
                           event("property", "P1", property_record(), 10),
                           event("landlord", "L1", landlord_record(), 10)])
    assert _row(db_conn, "tenancy", "TY1",
                "property_id, rent_amount, rent_currency, deposit_amount, start_date, status"
                ) == ("P1", Decimal("1200.50"), "GBP", Decimal("1500.00"),
                      tenancy_record().start_date, "active")
    assert _row(db_conn, "property", "P1",
                "address_line1, address_city, address_country, property_type, "
                "property_type_raw, bedrooms, bedrooms_raw, building_id, address_country_raw"
                ) == ("1 High St", "Leeds", "GB", "apartment", "Flat", 2, "2 bed", "B1", None)
    assert _row(db_conn, "landlord", "L1",
                "kind, company_name, address_city, address_country, address_country_raw") == (
        "company", "Acme Lets", "York", None, "Yorkshire Republic")


def test_same_source_id_in_two_entities_are_separate_rows(db_conn: psycopg.Connection) -> None:
    events = [event("tenant", "X1", tenant_record(), 10),
              event("landlord", "X1", landlord_record(), 5)]
    assert apply_events(db_conn, events) == ["loaded", "loaded"]


def test_tenancy_links_follow_the_winning_event(db_conn: psycopg.Connection) -> None:
    def tenants() -> list:
        return _links(db_conn, "tenancy_tenant", "tenancy_id", "tenant_id", "TY1")

    apply_events(db_conn, [event("tenancy", "TY1", tenancy_record(("T1", "T2")), 10)])
    assert tenants() == ["T1", "T2"]
    # An older upsert loses, so its links must not replace the stored ones.
    assert apply_events(db_conn, [event("tenancy", "TY1", tenancy_record(("T9",)), 5)]) == [
        "stale"]
    assert tenants() == ["T1", "T2"]
    apply_events(db_conn, [event("tenancy", "TY1", tenancy_record(("T3", "T3", "T1")), 20)])
    assert tenants() == ["T3", "T1"]
    apply_events(db_conn, [event("tenancy", "TY1", None, 30)])
    assert tenants() == []
    apply_events(db_conn, [event("tenancy", "TY1", tenancy_record(("T4",)), 40)])
    assert tenants() == ["T4"]


def test_each_tenants_standing_lands_on_its_link(db_conn: psycopg.Connection) -> None:
    def links() -> list:
        return db_conn.execute(
            "SELECT tenant_id, status, status_raw, move_in_date, move_out_date "
            "FROM pms.tenancy_tenant WHERE tenancy_id = 'TY1' ORDER BY position").fetchall()

    def with_details(detail: TenancyTenant) -> Tenancy:
        return Tenancy.model_validate({**dict(tenancy_record(("T1", "T2"))), "tenants": [detail]})

    both = TenancyTenant(tenant_id="T1", status="current", status_raw="Current",
                         move_in_date=date(2026, 1, 1))
    record = with_details(both)
    apply_events(db_conn, [event("tenancy", "TY1", record, 10)])
    # T2 has no details: the PMS said nothing about it, so its columns are null.
    assert links() == [("T1", "current", "Current", date(2026, 1, 1), None),
                       ("T2", None, None, None, None)]
    left = both.model_copy(update={"status": "moved_out", "status_raw": "MovedOut",
                                   "move_out_date": date(2026, 6, 30)})
    assert apply_events(db_conn, [event("tenancy", "TY1", with_details(left), 20)]) == ["loaded"]
    assert links() == [("T1", "moved_out", "MovedOut", date(2026, 1, 1), date(2026, 6, 30)),
                       ("T2", None, None, None, None)]


def test_property_links_follow_the_winning_event(db_conn: psycopg.Connection) -> None:
    def landlords() -> list:
        return _links(db_conn, "property_landlord", "property_id", "landlord_id", "P1")

    apply_events(db_conn, [event("property", "P1", property_record(landlord_ids=("L1",)), 10),
                           event("property", "P2", property_record(landlord_ids=("L7",)), 10)])
    apply_events(db_conn, [event("property", "P1", property_record(landlord_ids=("L2",)), 20),
                           event("property", "P1", property_record(landlord_ids=("L3",)), 15)])
    assert landlords() == ["L2"]
    apply_events(db_conn, [event("property", "P1", None, 5)])  # stale delete: links stay
    assert landlords() == ["L2"]
    assert _links(db_conn, "property_landlord", "property_id", "landlord_id", "P2") == ["L7"]


def test_links_of_new_and_existing_owners_in_one_batch(db_conn: psycopg.Connection) -> None:
    """A batch whose owners are all new skips dropping links; one that mixes new and
    existing owners drops the existing ones' old links, and a delete that follows its
    owner's first upsert in the same batch drops the links that upsert wrote."""
    def tenants(owner: str) -> list:
        return _links(db_conn, "tenancy_tenant", "tenancy_id", "tenant_id", owner)

    apply_events(db_conn, [event("tenancy", "TY1", tenancy_record(("T1", "T2")), 10)])
    apply_events(db_conn, [event("tenancy", "TY1", tenancy_record(("T3",)), 20),
                           event("tenancy", "TY2", tenancy_record(("T4",)), 20)])
    assert (tenants("TY1"), tenants("TY2")) == (["T3"], ["T4"])
    assert apply_events(db_conn, [event("tenancy", "TY3", tenancy_record(("T5",)), 10),
                                  event("tenancy", "TY3", None, 20)]) == ["loaded", "loaded"]
    assert tenants("TY3") == []


def test_empty_batch(db_conn: psycopg.Connection) -> None:
    assert apply_events(db_conn, []) == []


@pytest.mark.parametrize("entity", ["property", "landlord", "tenant", "tenancy"])
def test_flatten_fills_the_columns_in_layout_order(entity: str) -> None:
    # The loader copies `flatten(...).values()` positionally into these columns.
    records = {"property": property_record(), "landlord": landlord_record(),
               "tenant": tenant_record(), "tenancy": tenancy_record()}
    layout = LAYOUTS[entity]
    assert list(layout.flatten(records[entity])) == [name for name, _ in layout.columns]


def test_an_autocommit_connection_outside_a_transaction_is_refused(db_url: str) -> None:
    # Each statement would commit alone and the commit empties the staged rows.
    with psycopg.connect(db_url, autocommit=True) as conn:
        with pytest.raises(RuntimeError, match="needs a transaction"):
            apply_events(conn, [_tenant(10, "A")])
        with conn.transaction():
            assert apply_events(conn, [_tenant(10, "A")]) == ["loaded"]
        assert _row(conn, "tenant", "T1", "first_name") == ("A",)
