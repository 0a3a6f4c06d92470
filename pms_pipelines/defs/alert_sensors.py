"""Alert sensors: a run failure sensor and a failed-asset-check sensor. They pick the
facts out of Dagster's records; `pms_pipelines.alerts` builds, sanitizes and sends.

Failed checks are read from the instance's event log: ASSET_CHECK_EVALUATION records
after the cursor (one storage id), oldest first. Only ERROR-severity failures alert:
WARN marks what is expected to pass later (today's lake day still filling) and stays
in the UI. A check that was already failing with ERROR at its previous evaluation (same
partition) does not alert again. Needs an event log with global ids (Postgres, as here
and in AWS)."""

from __future__ import annotations

import re
import time

from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from pms_pipelines.alerts.delivery import NO_DESTINATION, AlertDeliveryError, deliver
from pms_pipelines.alerts.message import Alert, check_failure_alert, run_failure_alert
from pms_pipelines.alerts.repeats import ERROR, PASSED, WARN, starts_failing
from pms_pipelines.defs.resources import AlertsResource

AGENCY_TAG = "pms/agency"
PARTITION_TAG = "dagster/partition"
CHECK_BATCH = 50
HISTORY = 20  # evaluations of one check looked at to find the one before
TICK_BUDGET_S = 20.0  # then at most one more alert (< 35 s if both destinations hang)


@run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Sends one sanitized alert per failed run to the webhook and/or SNS topic.",
)
def alert_on_run_failure(context: RunFailureSensorContext, alerts: AlertsResource):
    run = context.dagster_run
    destinations = alerts.destinations()
    if not destinations.any:
        return SkipReason(f"run {run.run_id} failed; {NO_DESTINATION}")
    error_class, message = _failure_error(context)
    alert = run_failure_alert(
        job=run.job_name,
        run_id=run.run_id,
        partition=run.tags.get(PARTITION_TAG),
        agency=run.tags.get(AGENCY_TAG),
        steps=[event.step_key for event in context.get_step_failure_events() if event.step_key],
        error_class=error_class,
        error_message=message,
        ui_base_url=destinations.ui_base_url,
    )
    delivered = deliver(alert, destinations)
    context.log.info(f"alerted the failure of run {run.run_id} to {', '.join(delivered)}")
    return None  # None lets Dagster go on to the next failed run in the same tick


def _failure_error(context: RunFailureSensorContext) -> tuple[str | None, str | None]:
    """The first failed step's error (unwrapped from Dagster's wrappers), else the run's."""
    errors = [e.event_specific_data.error for e in context.get_step_failure_events()
              if e.event_specific_data is not None and e.event_specific_data.error]
    data = context.failure_event.event_specific_data
    if not errors and data is not None and getattr(data, "error", None):
        errors = [data.error]
    if not errors:
        return None, context.failure_event.message
    error = errors[0]
    while error.cause is not None and error.cls_name and error.cls_name.startswith("Dagster"):
        error = error.cause
    message = error.message
    if error.cls_name:  # "pkg.mod.ValueError: text" -> "text"
        message = re.sub(rf"^[\w.]*{re.escape(error.cls_name)}: ", "", message.lstrip())
    return error.cls_name, message


@sensor(
    name="alert_on_failed_check",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Sends one sanitized alert per failed ERROR-severity asset check "
    "evaluation to the webhook and/or SNS topic.",
)
def alert_on_failed_check(context: SensorEvaluationContext, alerts: AlertsResource):
    storage = context.instance.event_log_storage
    if context.cursor is None:  # like Dagster's run status sensors: start from now
        latest = storage.get_event_records(_evaluations(None), limit=1, ascending=False)
        start = latest[0].storage_id if latest else 0
        return SensorResult(skip_reason=f"starting after check evaluation {start}",
                            cursor=str(start))
    cursor = int(context.cursor)
    records = storage.get_event_records(_evaluations(cursor), limit=CHECK_BATCH, ascending=True)
    destinations = alerts.destinations()
    if not destinations.any:
        last = records[-1].storage_id if records else cursor
        return SensorResult(skip_reason=NO_DESTINATION, cursor=str(last))
    started, sent, repeats = time.monotonic(), 0, 0
    for record in records:
        alert = _check_alert(record, destinations.ui_base_url)
        if alert is not None and not _starts_failing(storage, record):
            repeats, alert = repeats + 1, None
        if alert is not None:
            try:
                deliver(alert, destinations)
            except AlertDeliveryError as error:
                if sent == 0:
                    raise  # nothing done this tick: fail it; the cursor stays, next tick retries
                return SensorResult(skip_reason=f"sent {sent}, then {error}; retrying next tick",
                                    cursor=str(cursor))
            sent += 1
        cursor = record.storage_id
        if time.monotonic() - started > TICK_BUDGET_S:
            break
    still = f"; {repeats} still failing (alerted when they started)" if repeats else ""
    return SensorResult(
        skip_reason=(f"sent {sent} alert(s) for failed checks" if sent
                     else "no new failed check evaluations") + still,
        cursor=str(cursor),
    )


def _evaluations(after: int | None) -> EventRecordsFilter:
    return EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION,
                              after_cursor=after)


def _check_alert(record, ui_base_url: str) -> Alert | None:  # noqa: ANN001
    """The alert for a failed ERROR evaluation; None for a pass or a WARN."""
    entry = record.event_log_entry
    evaluation = entry.dagster_event.asset_check_evaluation_data
    if evaluation.passed or evaluation.severity != AssetCheckSeverity.ERROR:
        return None
    texts = [v.value for v in evaluation.metadata.values() if isinstance(v.value, str)]
    return check_failure_alert(
        asset=evaluation.asset_key.to_user_string(),
        check=evaluation.check_name,
        severity=evaluation.severity.value,
        run_id=entry.run_id or None,
        job=entry.job_name,
        partition=evaluation.partition,
        summary=evaluation.description or (texts[0] if texts else None),
        ui_base_url=ui_base_url,
    )


def _starts_failing(storage, record) -> bool:  # noqa: ANN001
    """Whether this failed evaluation follows a pass/warn (or nothing) of its check."""
    entry = record.event_log_entry
    evaluation = entry.dagster_event.asset_check_evaluation_data
    history = storage.get_asset_check_execution_history(
        AssetCheckKey(evaluation.asset_key, evaluation.check_name), limit=HISTORY,
        partition_filter=PartitionKeyFilter(key=evaluation.partition),
    )
    return starts_failing([(r.run_id, _outcome(r)) for r in history], entry.run_id)


def _outcome(record) -> str | None:  # noqa: ANN001
    if record.status == AssetCheckExecutionRecordStatus.SUCCEEDED:
        return PASSED
    if record.status != AssetCheckExecutionRecordStatus.FAILED or record.evaluation is None:
        return None
    return ERROR if record.evaluation.severity == AssetCheckSeverity.ERROR else WARN
