"""The health view's red/amber/green rules, from the facts the checks see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pms_pipelines.health.freshness import EntityFreshness
from pms_pipelines.health.outcome import ERROR, WARN, Outcome
from pms_pipelines.health.overview import (
    DEGRADED,
    FAILING,
    HEALTHY,
    LastPull,
    PullCounts,
    classify_agency,
    classify_stream,
)
from pms_pipelines.health.webhooks import AgencyWebhooks

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
WINDOW = timedelta(minutes=6)
REGISTERED = NOW - timedelta(days=1)


def fresh(entity: str, last_success: datetime | None, late: bool = False,
          registered: datetime = REGISTERED) -> EntityFreshness:
    since = max(last_success, registered) if last_success else registered
    return EntityFreshness(entity, "a1", last_success, since, late)


def pulls(*last: LastPull) -> PullCounts:
    return PullCounts(succeeded=3, failed=sum(not p.succeeded for p in last), pulled=30,
                      seconds=3.0, last=last)


OK = (fresh("property", NOW - timedelta(minutes=1)), fresh("tenant", NOW - timedelta(minutes=2)))


def test_an_agency_whose_pulls_succeed_is_healthy() -> None:
    assert classify_agency(OK, pulls(LastPull("property", True, None)), 0, [], WINDOW) == (
        HEALTHY, ())


def test_a_late_entity_makes_it_failing_as_pull_fresh_does() -> None:
    late = (OK[0], fresh("tenant", NOW - timedelta(hours=1), late=True))
    status, why = classify_agency(late, pulls(LastPull("tenant", False, "HTTP 503")), 0, [],
                                  WINDOW)
    assert status == FAILING
    assert why == ("no successful tenant pull in 6 min",)  # its failed pull: said once


def test_pulls_that_never_succeeded_since_registration_fail_at_once() -> None:
    # Registered a minute ago, so not late yet: wrong credentials will not mend themselves.
    new = tuple(fresh(e, None, registered=NOW - timedelta(minutes=1))
                for e in ("property", "tenant"))
    status, why = classify_agency(new, pulls(LastPull("property", False, "HTTP 401"),
                                             LastPull("tenant", False, "HTTP 401")), 0, [],
                                  WINDOW)
    assert status == FAILING
    assert why == ("property, tenant pulls fail, none succeeded since it was registered: "
                   "HTTP 401",)  # one line per error, not per entity
    # Re-registered (new credentials) after its last success: the same.
    renewed = (fresh("property", NOW - timedelta(hours=2),
                     registered=NOW - timedelta(minutes=1)),)
    assert classify_agency(renewed, pulls(LastPull("property", False, "HTTP 401")), 0, [],
                           WINDOW)[0] == FAILING


def test_a_failed_pull_after_successes_is_degraded_until_late() -> None:
    status, why = classify_agency(OK, pulls(LastPull("property", False, "HTTP 503"),
                                            LastPull("tenant", True, None)), 0, [], WINDOW)
    assert (status, why) == (DEGRADED, ("last property pull failed: HTTP 503",))


def test_dead_letters_and_quiet_webhooks_are_degraded() -> None:
    quiet = AgencyWebhooks("tenancy", "a1", NOW, NOW - timedelta(hours=2), quiet=True)
    status, why = classify_agency(OK, pulls(), 2, [quiet], WINDOW)
    assert status == DEGRADED
    assert why == ("2 record(s) refused by the mapping in 24 h (dead letters awaiting a "
                   "redrive)", "no webhook while polls found tenancy changes")


def test_stream_status_follows_the_severity_of_its_checks() -> None:
    passed = Outcome(True, "fine")
    assert classify_stream(passed, passed, 0) == (HEALTHY, ())
    assert classify_stream(Outcome(False, "lag", WARN), passed, 0) == (DEGRADED, ("lag",))
    assert classify_stream(Outcome(False, "lag", ERROR), passed, 0)[0] == FAILING
    assert classify_stream(passed, Outcome(False, "gap"), 0) == (FAILING, ("gap",))
    assert classify_stream(passed, passed, 1)[0] == FAILING


def test_a_long_error_is_cut_in_why() -> None:
    error = "PmsApiError: " + "x" * 1000
    status, why = classify_agency(OK, pulls(LastPull("property", False, error)), 0, [], WINDOW)
    assert status == DEGRADED and len(why[0]) < 200 and why[0].endswith("…")
