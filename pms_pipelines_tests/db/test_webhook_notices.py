"""The notice store: once per vendor key, replays told from retries, pending per agency
oldest first, served ones purged, unserved ones kept however old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pms_pipelines.db import webhook_notices

pytestmark = pytest.mark.integration
TARGETS = [{"entity": "tenancy", "kind": "id", "ids": ["1"], "op": "upsert"}]


def _store(conn, agency: str, key: str, signature: str = "sig"):  # noqa: ANN001,ANN202
    return webhook_notices.store_notice(conn, pms="buildium", agency_id=agency, dedupe_key=key,
                                        signature=signature, event_name="Lease.Updated",
                                        targets=TARGETS, body=b"{}")


def test_stored_once_replay_and_retry_told_apart(db_conn) -> None:
    stored, first = _store(db_conn, "a", "k1")
    assert stored == "stored"
    assert _store(db_conn, "a", "k1") == ("replayed", first)  # the same signature
    assert _store(db_conn, "a", "k1", "new-sig") == ("duplicate", first)  # a retry
    assert _store(db_conn, "a", "k2", "")[0] == "stored"
    assert _store(db_conn, "a", "k2", "")[0] == "duplicate"  # no signature: never a replay


def test_pending_oldest_first_limited_and_purge_keeps_unserved(db_conn) -> None:
    ids = [_store(db_conn, agency, f"k{i}")[1] for i, agency in enumerate("abab")]
    assert webhook_notices.pending_agencies(db_conn, 1) == {
        ("buildium", "a"): [ids[0]], ("buildium", "b"): [ids[1]]}
    loaded = webhook_notices.load_notices(db_conn, "buildium", "a", ids)
    assert [n.id for n in loaded] == [ids[0], ids[2]] and loaded[0].targets == TARGETS
    with db_conn.transaction():
        webhook_notices.mark_served(db_conn, [ids[0], ids[1]], "run-1")
    assert webhook_notices.load_notices(db_conn, "buildium", "a", ids)[0].id == ids[2]
    later = datetime.now(UTC) + timedelta(days=30)
    assert webhook_notices.purge_served(db_conn, later) == 2
    assert set(webhook_notices.pending_agencies(db_conn, 10)) == {("buildium", "a"),
                                                                  ("buildium", "b")}
    assert webhook_notices.notices_since(db_conn, "buildium", later) == set()
