"""Alert sensors: one for failed runs, one for failed asset checks. They pick the facts
out of Dagster's records; `pms_pipelines.alerts` builds, sanitizes and sends.

Both read the instance's event log after their cursor (one storage id), oldest first:
RUN_FAILURE records, and ASSET_CHECK_EVALUATION records. The cursor moves past a record
only once its alert is delivered, so an alert that cannot be delivered is retried next
tick (Dagster's own run failure sensor moves past a run whatever its function did). A
tick sends for at most about `TICK_BUDGET_S`, well inside Dagster's 60 s tick timeout.

Only ERROR-severity check failures alert: WARN marks what is expected to pass later
(today's lake day still filling) and stays in the UI. A check that was already failing
with ERROR at its previous evaluation (same partition) does not alert again. Needs an
event log with global ids (Postgres, as here and in AWS)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    DagsterEvent,
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)
# Private: the public instance API gives a check's evaluations but not its history by
# partition and status, which "alert once when a check starts failing" needs. Pinned by
# alerts/test_alert_sensors.py (a check failing, failing, passing, failing alerts twice)
# and test_dagster_private_apis.py.
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from pms_pipelines.alerts.delivery import (
    NO_DESTINATION,
    AlertDeliveryError,
    Destinations,
    deliver,
)
from pms_pipelines.alerts.message import Alert, check_failure_alert, run_failure_alert
from pms_pipelines.alerts.repeats import ERROR, PASSED, WARN, starts_failing
from pms_pipelines.defs.health_view import HEALTH_KEY
from pms_pipelines.defs.resources import AlertsResource
from pms_pipelines.metrics import names as metric_names
from pms_pipelines.metrics.emf import emit
from pms_pipelines.pulls import names

PARTITION_TAG = "dagster/partition"
BATCH = 50  # records looked at per tick
HISTORY = 20  # evaluations of one check looked at to find the one before
TICK_BUDGET_S = 20.0  # then at most one more alert (< 35 s if both destinations hang)


@sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Sends one sanitized alert per failed run to the webhook and/or SNS topic; "
    "one that cannot be delivered is retried next tick.",
)
def alert_on_run_failure(context: SensorEvaluationContext, alerts: AlertsResource):
    instance = context.instance
    destinations = alerts.destinations()
    return _alert_tick(
        context, DagsterEventType.RUN_FAILURE, "run failure", destinations,
        lambda record: _run_alert(instance, record, destinations.ui_base_url),
        lambda sent: f"sent {sent} alert(s) for failed runs" if sent else "no new failed runs",
        passed=_count_failed_run,
    )


def _count_failed_run(record) -> None:  # noqa: ANN001
    """The RunsFailed metric, once per failed run: when the cursor moves past it."""
    failure = record.event_log_entry
    emit({metric_names.RUNS_FAILED: 1}, {metric_names.JOB: failure.job_name or "unknown"},
         {"run_id": failure.run_id})


def _run_alert(instance, record, ui_base_url: str) -> Alert | None:  # noqa: ANN001
    """The alert for one RUN_FAILURE record; None when the run is gone (deleted)."""
    failure = record.event_log_entry
    run = instance.get_run_by_id(failure.run_id)
    if run is None:
        return None
    steps = [entry.dagster_event for entry in
             instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
             if entry.dagster_event is not None]
    error_class, message = _failure_error(failure.dagster_event, steps)
    return run_failure_alert(
        job=run.job_name,
        run_id=run.run_id,
        partition=run.tags.get(PARTITION_TAG),
        agency=run.tags.get(names.AGENCY_TAG),
        steps=[event.step_key for event in steps if event.step_key],
        error_class=error_class,
        error_message=message,
        ui_base_url=ui_base_url,
    )


def _failure_error(
    failure: DagsterEvent, steps: list[DagsterEvent]
) -> tuple[str | None, str | None]:
    """The first failed step's error (unwrapped from Dagster's wrappers), else the run's."""
    errors = [e.event_specific_data.error for e in steps
              if getattr(e.event_specific_data, "error", None)]
    data = failure.event_specific_data
    if not errors and data is not None and getattr(data, "error", None):
        errors = [data.error]
    if not errors:
        return None, failure.message
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
    destinations = alerts.destinations()
    repeats = []

    def alert_for(record) -> Alert | None:  # noqa: ANN001
        alert = _check_alert(record, destinations.ui_base_url)
        if alert is not None and not _starts_failing(storage, record):
            repeats.append(record)
            return None
        return alert

    def summary(sent: int) -> str:
        still = (f"; {len(repeats)} still failing (alerted when they started)"
                 if repeats else "")
        return (f"sent {sent} alert(s) for failed checks" if sent
                else "no new failed check evaluations") + still

    return _alert_tick(context, DagsterEventType.ASSET_CHECK_EVALUATION,
                       "check evaluation", destinations, alert_for, summary)


def _alert_tick(
    context: SensorEvaluationContext,
    event_type: DagsterEventType,
    what: str,
    destinations: Destinations,
    alert_for: Callable[[Any], Alert | None],
    summary: Callable[[int], str],
    passed: Callable[[Any], None] = lambda record: None,
) -> SensorResult:
    """One tick of an alert sensor over `event_type` records after the cursor: deliver
    each record's alert (`alert_for`; None: nothing to send) in order, and move the cursor
    past each record handled. The first delivery failing fails the tick and the cursor
    stays (the next tick retries); a later one ends the tick after the alerts sent.
    `passed(record)` runs once for each record the cursor moves past."""
    storage = context.instance.event_log_storage
    if context.cursor is None:  # like Dagster's run status sensors: start from now
        latest = storage.get_event_records(_records_of(event_type, None), limit=1,
                                           ascending=False)
        start = latest[0].storage_id if latest else 0
        return SensorResult(skip_reason=f"starting after {what} {start}", cursor=str(start))
    cursor = int(context.cursor)
    records = storage.get_event_records(_records_of(event_type, cursor), limit=BATCH,
                                        ascending=True)
    if not destinations.any:  # moved on, so setting a destination later floods nothing
        last = records[-1].storage_id if records else cursor
        for record in records:
            passed(record)
        return SensorResult(skip_reason=f"{len(records)} new {what}(s); {NO_DESTINATION}",
                            cursor=str(last))
    started, sent = time.monotonic(), 0
    for record in records:
        alert = alert_for(record)
        if alert is not None:
            try:
                deliver(alert, destinations)
            except AlertDeliveryError as error:
                if sent == 0:
                    raise  # nothing done this tick: fail it; the cursor stays, next tick retries
                return SensorResult(skip_reason=f"sent {sent}, then {error}; retrying next tick",
                                    cursor=str(cursor))
            sent += 1
        passed(record)
        cursor = record.storage_id
        if time.monotonic() - started > TICK_BUDGET_S:
            break
    return SensorResult(skip_reason=summary(sent), cursor=str(cursor))


def _records_of(event_type: DagsterEventType, after: int | None) -> EventRecordsFilter:
    return EventRecordsFilter(event_type=event_type, after_cursor=after)


def _check_alert(record, ui_base_url: str) -> Alert | None:  # noqa: ANN001
    """The alert for a failed ERROR evaluation; None for a pass or a WARN, and for the
    health view's checks, which restate checks and runs that alert themselves."""
    entry = record.event_log_entry
    evaluation = entry.dagster_event.asset_check_evaluation_data
    if (evaluation.passed or evaluation.severity != AssetCheckSeverity.ERROR
            or evaluation.asset_key == HEALTH_KEY):
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
