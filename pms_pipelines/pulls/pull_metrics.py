"""A pull's CloudWatch metrics: one EMF line per entity pull of one agency, written
when it ends — counts from its report if it succeeded, a failure if it raised — and
one per HTTP status the PMS answered with an error (metrics/names.py)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pms_pipelines.integrations.kit.error_counts import counting_errors
from pms_pipelines.metrics import names
from pms_pipelines.metrics.emf import emit
from pms_pipelines.pulls.pull_and_publish import PullInProgress, PullReport


@dataclass
class MeasuredPull:
    report: PullReport | None = None  # set by the block once the pull returned


@contextmanager
def measured_pull(pms: str, agency_id: str, entity: str, mode: str) -> Iterator[MeasuredPull]:
    """Wrap one `pull_and_publish` call; set `.report` to what it returned. A pull that
    did not start because another pull of the agency holds its lock is not measured."""
    measured = MeasuredPull()
    started = time.monotonic()
    with counting_errors() as errors:
        try:
            yield measured
        except PullInProgress:
            raise
        except BaseException:
            _emit(pms, agency_id, entity, mode, None, time.monotonic() - started, errors)
            raise
        _emit(pms, agency_id, entity, mode, measured.report, time.monotonic() - started,
              errors)


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
