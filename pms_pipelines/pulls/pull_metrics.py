"""How an entity pull of one agency ended, recorded when it ends — counts from its
report if it succeeded, a failure if it raised: one CloudWatch EMF line (and one per
HTTP status the PMS answered with an error, metrics/names.py), and one row of
`ingest.pull_log`, which the health view reads (health/overview.py). Neither record
failing ever fails the pull it describes: it is logged."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pms_pipelines.alerts.sanitize import scrub_first_line
from pms_pipelines.db.pull_log import PullOutcome, record_pull
from pms_pipelines.integrations.kit.error_counts import counting_errors
from pms_pipelines.metrics import names
from pms_pipelines.metrics.emf import emit
from pms_pipelines.pulls.pull_and_publish import PullInProgress, PullReport

log = logging.getLogger(__name__)


@dataclass
class MeasuredPull:
    report: PullReport | None = None  # set by the block once the pull returned


@contextmanager
def measured_pull(pms: str, agency_id: str, entity: str, mode: str,
                  conn: Any) -> Iterator[MeasuredPull]:
    """Wrap one `pull_and_publish` call on `conn`; set `.report` to what it returned.
    A failed pull's transaction is rolled back before its row is written. A pull that
    did not start because another pull of the agency holds its lock is not measured."""
    measured = MeasuredPull()
    started = time.monotonic()
    with counting_errors() as errors:
        try:
            yield measured
        except PullInProgress:
            raise
        except BaseException as error:
            seconds = time.monotonic() - started
            _emit(pms, agency_id, entity, mode, None, seconds, errors)
            _log(conn, PullOutcome(pms, agency_id, entity, mode, seconds, succeeded=False,
                                   error=scrub_first_line(f"{type(error).__name__}: {error}")),
                 rollback=True)
            raise
        seconds = time.monotonic() - started
        report = measured.report
        _emit(pms, agency_id, entity, mode, report, seconds, errors)
        _log(conn, PullOutcome(pms, agency_id, entity, mode, seconds, succeeded=True,
                               pulled=report.pulled if report else None,
                               published=report.published if report else None))


def _log(conn: Any, outcome: PullOutcome, rollback: bool = False) -> None:
    try:
        if rollback:
            conn.rollback()
        record_pull(conn, outcome)
    except Exception as error:  # noqa: BLE001 - the pull's own outcome stands
        log.warning("could not record the %s/%s/%s pull in ingest.pull_log: %s",
                    outcome.pms, outcome.agency_id, outcome.entity, error)


def _emit(pms: str, agency_id: str, entity: str, mode: str, report: PullReport | None,
          seconds: float, errors: Counter[str]) -> None:
    properties = {"agency_id": agency_id, "mode": mode}
    values = {names.PULL_SECONDS: seconds,
              names.PULLS_SUCCEEDED: 0.0 if report is None else 1.0,
              names.PULLS_FAILED: 1.0 if report is None else 0.0}
    if report is not None:
        values.update({names.RECORDS_PULLED: report.pulled,
                       names.RECORDS_PUBLISHED: report.published,
                       names.RECORDS_REJECTED: report.rejected})
    emit(values, {names.PMS: pms, names.ENTITY: entity}, properties)
    for status, count in sorted(errors.items()):
        emit({names.VENDOR_ERRORS: count}, {names.PMS: pms, names.STATUS: status},
             {**properties, "entity": entity})
