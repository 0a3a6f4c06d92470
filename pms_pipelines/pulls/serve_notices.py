"""Stored webhook notices served: one agency's due notices become targeted pulls of the
entities they name (`webhook_targets.plan`), then leave the queue, served, or wait for
a later try when a pull of an entity they name failed. After `MAX_ATTEMPTS` failed
tries a notice is given up (with the reason, in `outcome`): the agency's polls still
bring the change, so one bad record cannot hold its agency's other notices back.

`serve_pms` is the webhook worker's loop (defs/webhook_worker.py): it serves every due
notice of one PMS, again and again, and ends once no notice came for `linger_s` (or it
ran `max_s`): a notice stored while it runs is served within a `pause_s`, not after a
sensor tick, a queue wait and a process start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pms_pipelines.db import webhook_notices
from pms_pipelines.pulls.pull_and_publish import PullInProgress, PullReport
from pms_pipelines.pulls.webhook_targets import EntityWork, plan

MAX_ATTEMPTS = 5
BACKOFF = timedelta(seconds=30)  # then 1, 2, 4 minutes, then given up
NOTICES_PER_BATCH = 500  # of one agency, per round
PAUSE_S = 0.5  # between rounds that found nothing due


@dataclass
class Served:
    """What one round did for one agency."""

    agency_id: str
    served: list[int] = field(default_factory=list)  # notice ids off the queue, served
    retried: list[int] = field(default_factory=list)  # due again later (or given up)
    gave_up: int = 0
    reports: dict[str, PullReport] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # entity -> error
    busy: bool = False  # another pull of the agency held its lock: all wait, untried


# (entity, its work) -> the targeted pull's report; raises what the pull raised.
PullEntity = Callable[[str, EntityWork], PullReport]


def serve_agency(conn: Any, pms: str, agency_id: str, ids: list[int], pull: PullEntity,
                 run_id: str) -> Served:
    """Serve these notices of the agency (the unserved among them), entity by entity."""
    notices = webhook_notices.load_notices(conn, pms, agency_id, ids)
    conn.commit()
    served = Served(agency_id)
    for entity, todo in sorted(plan(n.targets for n in notices).items()):
        try:
            served.reports[entity] = pull(entity, todo)
        except PullInProgress:
            conn.rollback()
            served.busy = True
            return served
        except Exception as error:  # one entity failing must not stop the others
            conn.rollback()
            served.failures[entity] = f"{type(error).__name__}: {error}"
    failing: dict[int, str] = {}
    for notice in notices:
        errors = [served.failures[t["entity"]] for t in notice.targets
                  if t["entity"] in served.failures]
        if errors:
            failing[notice.id] = "; ".join(sorted(set(errors)))
    served.served = [n.id for n in notices if n.id not in failing]
    served.retried = sorted(failing)
    with conn.transaction():
        webhook_notices.mark_served(conn, served.served, run_id)
        for error in set(failing.values()):
            served.gave_up += webhook_notices.mark_failed(
                conn, [i for i, e in failing.items() if e == error], run_id, error,
                max_attempts=MAX_ATTEMPTS, backoff=BACKOFF)
    return served


def give_up(conn: Any, agency_id: str, ids: list[int], run_id: str, reason: str) -> Served:
    """Take notices off the queue unserved (their agency is disabled, say)."""
    with conn.transaction():
        webhook_notices.mark_served(conn, ids, run_id, outcome=f"gave up: {reason}")
    return Served(agency_id, retried=list(ids), gave_up=len(ids))


@dataclass
class WorkerReport:
    rounds: int = 0
    served: int = 0
    gave_up: int = 0
    failed_pulls: int = 0
    records_published: int = 0
    seconds: float = 0.0


def serve_pms(conn: Any, pms: str, serve: Callable[[str, list[int]], Served], *,
              linger_s: float, max_s: float, pause_s: float = PAUSE_S,
              clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> WorkerReport:
    """Serve `pms`'s due notices, agency by agency (`serve(agency_id, ids)`), round
    after round, until a round and the `linger_s` before it found nothing to do, or
    `max_s` passed. linger_s=0 serves what is due once."""
    report = WorkerReport()
    started = last_work = clock()
    while True:
        report.rounds += 1
        due = webhook_notices.pending_agencies(conn, NOTICES_PER_BATCH, pms=pms)
        conn.commit()
        worked = False
        for (_, agency_id), ids in due.items():
            served = serve(agency_id, ids)
            worked = worked or not served.busy
            report.served += len(served.served)
            report.gave_up += served.gave_up
            report.failed_pulls += len(served.failures)
            report.records_published += sum(r.published for r in served.reports.values())
        now = clock()
        if worked:
            last_work = now
        report.seconds = now - started
        if now - started >= max_s or now - last_work >= linger_s:
            return report
        if not worked:
            sleep(pause_s)
