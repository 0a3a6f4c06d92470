"""A consume step must not commit for a run Dagster has already given up on.

When a run's worker process is killed (OOM, SIGKILL), its step process can go on for a
while; run monitoring meanwhile marks the run failed, and the consumer sensor may start
the shard's next run. A batch committed by the orphaned step would then land after the
run says Failure — an ambiguous state for whoever reads the run history. So before each
batch commits (inside its transaction) the step asks the instance whether its run is
still going; if not, it raises, the transaction rolls back, and the next run replays
from the last checkpoint (the version rule makes that harmless)."""

from collections.abc import Callable
from typing import Any

from dagster import DagsterInstance, DagsterRunStatus

from pms_pipelines.db.batch_result import BatchResult

GOING = {DagsterRunStatus.STARTING, DagsterRunStatus.STARTED}


class RunNoLongerAlive(RuntimeError):
    """The step's run was ended (failed, canceled) while the step still ran."""


def check_run_alive(instance: DagsterInstance, run_id: str) -> None:
    run = instance.get_run_by_id(run_id)
    status = run.status if run is not None else None
    if status not in GOING:
        raise RunNoLongerAlive(
            f"run {run_id} is {status.value.lower() if status else 'gone'}: this step "
            "outlived it and stops before committing; the shard's next run goes on from "
            "the last commit")


def guarded(instance: DagsterInstance, run_id: str,
            before_commit: Callable[[Any, BatchResult], None] | None,
            ) -> Callable[[Any, BatchResult], None]:
    """`before_commit` (the lake sender, or nothing), after checking the run is alive."""
    def hook(conn: Any, result: BatchResult) -> None:
        check_run_alive(instance, run_id)
        if before_commit is not None:
            before_commit(conn, result)
    return hook
