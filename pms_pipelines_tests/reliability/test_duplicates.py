"""Scenario 3: duplicates and order. After a newer snapshot is loaded, republishing an
older snapshot, and the newer one again, changes nothing at all (not even the
bookkeeping times): every replayed event is stale under the version rule."""

from __future__ import annotations

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import ENTITIES
from pms_pipelines.db.connection import connect
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import (
    drain,
    expected_rows,
    lost_and_wrong,
    outgoing,
    table_rows,
    tenant_events,
)

pytestmark = pytest.mark.integration
LINKS = ("pms.tenancy_tenant", "pms.property_landlord")


def _everything(db_url: str) -> dict[str, list[str]]:
    with connect(db_url) as conn:
        tables = [f"pms.{e}" for e in ENTITIES] + list(LINKS)
        return {t: sorted(str(r[0]) for r in conn.execute(f"SELECT to_jsonb(x) FROM {t} x"))
                for t in tables}


def test_older_snapshot_and_replays_change_nothing(kinesis_stream: str, db_url: str) -> None:
    both = tenant_events(1000, versions=2, delete_every=5)
    older = [e for e in both if e.observed_at < both[-1].observed_at.replace(minute=0,
                                                                           microsecond=0)]
    newer = both[len(older):]
    assert older and newer and len(older) == len(newer)
    client = kinesis_client()
    publish_records(client, kinesis_stream, outgoing(newer))
    first = drain(client, db_url, kinesis_stream)
    before = _everything(db_url)

    publish_records(client, kinesis_stream, outgoing(older))  # an older snapshot, late
    publish_records(client, kinesis_stream, outgoing(newer))  # the same events again
    second = drain(client, db_url, kinesis_stream)
    after = _everything(db_url)

    lost, extra = lost_and_wrong(expected_rows(newer), table_rows(db_url))
    changed = sum(len(set(before[t]) ^ set(after[t])) for t in before) // 2
    applied_twice = sum(c - 1 for c in (first.loaded_ids + second.loaded_ids).values() if c > 1)
    figures.record("3 duplicates and order", events=len(newer) * 2 + len(older),
                   faults=len(older) + len(newer), lost=lost,
                   duplicated=extra + changed + applied_twice + second.loaded_ids.total(),
                   dead_lettered=0, note="older snapshot after newer + same events twice")
    assert second.records == len(older) + len(newer)
    assert second.loaded_ids.total() == 0  # every replayed event was stale
    assert after == before
    assert (lost, extra) == (0, 0)
