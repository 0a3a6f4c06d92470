"""Pull freshness from the watermarks and the agency registry, in the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pms_pipelines.db import agencies
from pms_pipelines.db.watermarks import advance_watermark
from pms_pipelines.health.freshness import pull_freshness

WINDOW = timedelta(minutes=6)


def _agency(conn, agency_id: str, registered_ago: timedelta, enabled: bool = True) -> None:
    agencies.register_agency(conn, "buildium", agency_id, display_name=agency_id,
                             credentials_ref="env:PMS_CRED_X")
    conn.execute("UPDATE ingest.agency SET updated_at = now() - %s, enabled = %s "
                 "WHERE agency_id = %s", (registered_ago, enabled, agency_id))


def _pulled(conn, agency_id: str, entity: str, ago: timedelta) -> None:
    advance_watermark(conn, "buildium", agency_id, entity, datetime.now(UTC) - ago)
    conn.execute("UPDATE ingest.pull_watermark SET updated_at = now() - %s "
                 "WHERE agency_id = %s AND entity = %s", (ago, agency_id, entity))


def test_late_and_never_pulled_agencies_are_listed_with_their_last_success(db_conn) -> None:
    day = timedelta(days=1)
    _agency(db_conn, "fresh", day)
    _agency(db_conn, "late", day)
    _agency(db_conn, "never", day)
    _agency(db_conn, "new", timedelta(minutes=1))  # its first pull is still within a window
    _agency(db_conn, "off", day, enabled=False)
    for agency in ("fresh", "off"):
        _pulled(db_conn, agency, "tenant", timedelta(minutes=1))
    _pulled(db_conn, "late", "tenant", timedelta(minutes=30))
    _pulled(db_conn, "fresh", "property", timedelta(minutes=1))
    db_conn.commit()

    outcomes = pull_freshness(db_conn, "buildium", ["tenant", "property"], WINDOW,
                              datetime.now(UTC))

    tenant = outcomes["tenant"]
    assert not tenant.passed and tenant.severity == "ERROR"
    assert tenant.metadata["agencies"] == 4 and tenant.metadata["late_agencies"] == 2
    assert tenant.metadata["window_s"] == 360
    late = tenant.metadata["late"].splitlines()
    assert late[0].startswith("never: last success never")
    assert late[1].startswith("late: last success 20") and "(30 min ago)" in late[1]
    assert "2 of 4 buildium agencies" in tenant.description
    assert tenant.metadata["oldest_success_age_s"] >= 1800
    prop = outcomes["property"]
    assert prop.metadata["late_agencies"] == 2  # "late" and "never"; "new" has time


def test_every_agency_fresh_passes(db_conn) -> None:
    _agency(db_conn, "a", timedelta(days=2))
    _pulled(db_conn, "a", "tenant", timedelta(minutes=2))
    db_conn.commit()
    outcome = pull_freshness(db_conn, "buildium", ["tenant"], WINDOW, datetime.now(UTC))["tenant"]
    assert outcome.passed and outcome.metadata["late_agencies"] == 0
    assert outcome.metadata["late"] == "none"
    # The same agency, an hour later, is late.
    later = pull_freshness(db_conn, "buildium", ["tenant"], WINDOW,
                           datetime.now(UTC) + timedelta(hours=1))["tenant"]
    assert not later.passed and later.metadata["late"].startswith("a: last success")


def test_no_agency_passes(db_conn) -> None:
    outcome = pull_freshness(db_conn, "reapit", ["tenant"], WINDOW, datetime.now(UTC))["tenant"]
    assert outcome.passed and outcome.metadata["agencies"] == 0
    assert outcome.description == "no enabled reapit agency"
