"""From the health modules' `Outcome` to what Dagster records for an asset check."""

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
)
# Private: no public way to ask for a check's last *completed* evaluation (a planned or
# running one is newer). Pinned by test_dagster_private_apis.py.
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
)

from pms_pipelines.health.outcome import Outcome

RETENTION_GAP = "retention_gap"


def check_result(outcome: Outcome, asset_key: AssetKey, check_name: str) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=asset_key, check_name=check_name, passed=outcome.passed,
        severity=AssetCheckSeverity(outcome.severity), description=outcome.description,
        metadata=outcome.metadata,
    )


def check_evaluation(outcome: Outcome, asset_key: AssetKey, check_name: str) -> AssetCheckEvaluation:
    """The same, for a run that reports a check it does not declare (yielded by its op)."""
    return AssetCheckEvaluation(
        asset_key=asset_key, check_name=check_name, passed=outcome.passed,
        severity=AssetCheckSeverity(outcome.severity), description=outcome.description,
        metadata=outcome.metadata,
    )


def last_metadata(instance: DagsterInstance, key: AssetCheckKey) -> dict[str, object]:
    """The metadata values of the check's last completed evaluation ({} if none)."""
    history = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=1, status=COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES)
    if not history or history[0].event is None or history[0].event.dagster_event is None:
        return {}
    evaluation = history[0].event.dagster_event.event_specific_data
    return {name: value.value for name, value in evaluation.metadata.items()}
