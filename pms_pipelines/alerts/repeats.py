"""A check that keeps failing alerts once, when it starts failing, not at every
evaluation: the health checks run every few minutes, and a lag or an integrity error
that lasts an hour would otherwise send a dozen identical alerts. It alerts again once
it has passed (or only warned) in between."""

from __future__ import annotations

from collections.abc import Sequence

ERROR, WARN, PASSED = "error", "warn", "passed"


def starts_failing(history: Sequence[tuple[str, str | None]], run_id: str) -> bool:
    """`history`: (run id, outcome) of one check's evaluations (same partition), newest
    first; the outcome is ERROR, WARN, PASSED, or None when it was never evaluated (a run
    that died). True unless the evaluation before `run_id`'s also failed with ERROR.
    Unknown or run-less (empty run id) evaluations count as new."""
    runs = [rid for rid, _ in history]
    if not run_id or run_id not in runs:
        return True
    earlier = [outcome for _, outcome in history[runs.index(run_id) + 1:] if outcome is not None]
    return not earlier or earlier[0] != ERROR
