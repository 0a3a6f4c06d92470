"""The `webhooks_flowing` check: polls finding changes while an agency's webhooks are
quiet is a warning; webhooks coming, or polls finding nothing, is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pms_pipelines.db import agencies, watermarks, webhook_notices
from pms_pipelines.health.webhooks import webhooks_flowing

pytestmark = pytest.mark.integration
WINDOW = timedelta(minutes=10)


def _agency(conn, agency_id: str, account: str | None = "1") -> None:  # noqa: ANN001
    agencies.register_agency(conn, "reapit", agency_id, display_name=agency_id,
                             credentials_ref="env:X", webhook_account=account and agency_id)


def test_quiet_webhooks_while_polls_find_changes_warn(db_conn) -> None:
    now = datetime.now(UTC)
    _agency(db_conn, "quiet")
    _agency(db_conn, "sending")
    _agency(db_conn, "idle")
    _agency(db_conn, "polled-only", account=None)
    for agency, found in (("quiet", True), ("sending", True), ("idle", False),
                          ("polled-only", True)):
        watermarks.advance_watermark(db_conn, "reapit", agency, "tenancy",
                                     now - timedelta(minutes=1), found_changes=found)
    db_conn.commit()
    webhook_notices.store_notice(
        db_conn, pms="reapit", agency_id="sending", dedupe_key="k", signature="s",
        event_name="tenancies.modified", body=b"{}",
        targets=[{"entity": "tenancy", "kind": "id", "ids": ["T1"], "op": "upsert"}])
    outcome = webhooks_flowing(db_conn, "reapit", ["tenancy"], WINDOW, now)["tenancy"]
    assert not outcome.passed and outcome.severity == "WARN"
    assert outcome.metadata["quiet_agencies"] == 1 and outcome.metadata["agencies"] == 3
    assert str(outcome.metadata["quiet"]).startswith("quiet: polls found changes")

    later = now + WINDOW * 2  # nobody's polls found anything since: all quiet is fine
    assert webhooks_flowing(db_conn, "reapit", ["tenancy"], WINDOW, later)["tenancy"].passed
