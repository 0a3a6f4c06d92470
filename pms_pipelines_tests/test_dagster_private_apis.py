"""What production code relies on from Dagster's private modules (`dagster._*`), where
no public API does it: pinned here so a Dagster upgrade that changes it fails a test.
(The re-sync backfill is pinned by ops/test_resync.py, first-failure alerting by
alerts/test_alert_sensors.py.)"""

from __future__ import annotations

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    DagsterInstance,
    MetadataValue,
    asset,
    asset_check,
    materialize,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from pms_pipelines.defs.check_outcomes import last_metadata
from pms_pipelines.settings import cron_interval_s

STATE = {"passes": True, "count": 0}


@asset
def watched() -> int:
    return 1


@asset_check(asset=watched)
def counted() -> AssetCheckResult:
    STATE["count"] += 1
    return AssetCheckResult(passed=STATE["passes"],
                            metadata={"count": MetadataValue.int(STATE["count"])})


def test_cron_interval_is_the_shortest_gap_between_ticks() -> None:
    assert cron_interval_s("*/2 * * * *") == 120
    assert cron_interval_s("*/15 * * * *") == 900
    assert cron_interval_s("0 3 * * *") == 86_400
    assert cron_interval_s("0,30 * * * *") == 1_800


def test_check_history_and_last_completed_metadata() -> None:
    instance = DagsterInstance.ephemeral()
    key = AssetCheckKey(watched.key, "counted")
    assert last_metadata(instance, key) == {}
    for passes in (True, False):
        STATE["passes"] = passes
        materialize([watched, counted], instance=instance)
    assert last_metadata(instance, key) == {"count": STATE["count"]}
    history = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=5, partition_filter=PartitionKeyFilter(key=None))
    assert [r.status for r in history] == [AssetCheckExecutionRecordStatus.FAILED,
                                           AssetCheckExecutionRecordStatus.SUCCEEDED]
