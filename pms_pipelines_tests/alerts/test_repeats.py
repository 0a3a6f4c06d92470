"""A check alerts when it starts failing with ERROR, not again while it keeps failing."""

from __future__ import annotations

from pms_pipelines.alerts.repeats import ERROR, PASSED, WARN, starts_failing


def test_first_failure_after_a_pass_or_warn_or_nothing_is_new() -> None:
    assert starts_failing([("r2", ERROR), ("r1", PASSED)], "r2")
    assert starts_failing([("r2", ERROR), ("r1", WARN)], "r2")
    assert starts_failing([("r1", ERROR)], "r1")


def test_a_failure_after_a_failure_is_not_new() -> None:
    assert not starts_failing([("r3", ERROR), ("r2", ERROR), ("r1", PASSED)], "r3")


def test_evaluations_that_never_happened_are_skipped() -> None:
    assert not starts_failing([("r3", ERROR), ("r2", None), ("r1", ERROR)], "r3")
    assert starts_failing([("r3", ERROR), ("r2", None), ("r1", PASSED)], "r3")


def test_later_evaluations_do_not_matter() -> None:
    # The sensor may read r2's event after r3 was already recorded.
    assert starts_failing([("r3", ERROR), ("r2", ERROR), ("r1", PASSED)], "r2")


def test_unknown_or_runless_evaluations_alert() -> None:
    assert starts_failing([("r1", ERROR)], "r9")
    assert starts_failing([("", ERROR), ("", ERROR)], "")
