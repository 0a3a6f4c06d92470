"""The webhook worker's loop (pulls/serve_notices.py): a notice stored while the worker
lingers is served by it; a failing pull holds back only the notices naming its entity,
which are tried again later and given up after a few tries; a pull of the agency
already running makes its notices wait, untried."""

from __future__ import annotations

import threading
import time

import pytest

from pms_pipelines.db import webhook_notices
from pms_pipelines.db.connection import connect
from pms_pipelines.pulls import serve_notices
from pms_pipelines.pulls.pull_and_publish import PullReport, pull_lock
from pms_pipelines.pulls.serve_notices import serve_agency, serve_pms
from pms_pipelines.pulls.webhook_targets import EntityWork
from pms_pipelines_tests.fixtures.webhooks import WebhookStack

pytestmark = pytest.mark.integration


def _notice(conn, key: str, entity: str, ids: list[str]) -> int:  # noqa: ANN001
    return webhook_notices.store_notice(
        conn, pms="buildium", agency_id="a", dedupe_key=key, signature="", event_name="x",
        targets=[{"entity": entity, "kind": "id", "ids": ids, "op": "upsert"}], body=b"{}")[1]


def _state(conn, ids: list[int]) -> list[tuple]:  # noqa: ANN001
    return conn.execute(
        "SELECT attempts, served_at IS NOT NULL, outcome FROM ingest.webhook_notice "
        "WHERE id = ANY(%s) ORDER BY id", (ids,)).fetchall()


def test_a_failing_entity_holds_back_only_its_notices_then_is_given_up(db_conn) -> None:
    lease, tenant = _notice(db_conn, "k1", "tenancy", ["1"]), _notice(db_conn, "k2", "tenant", ["2"])
    asked: list[tuple[str, frozenset]] = []

    def pull(entity: str, todo: EntityWork) -> PullReport:
        asked.append((entity, todo.frozen_targets()["id"]))
        if entity == "tenant":
            raise RuntimeError("HTTP 500 from the PMS")
        return PullReport("buildium", "a", entity, "webhook", pulled=1, published=1)

    served = serve_agency(db_conn, "buildium", "a", [lease, tenant], pull, "run-1")
    assert (served.served, served.retried, served.gave_up) == ([lease], [tenant], 0)
    assert asked == [("tenancy", frozenset({"1"})), ("tenant", frozenset({"2"}))]
    assert _state(db_conn, [lease, tenant]) == [(0, True, "served"), (1, False, None)]
    assert webhook_notices.pending_agencies(db_conn, 10) == {}  # due in 30 s, not now
    for attempt in range(2, serve_notices.MAX_ATTEMPTS + 1):
        db_conn.execute("UPDATE ingest.webhook_notice SET retry_at = now() WHERE id = %s",
                        (tenant,))
        served = serve_agency(db_conn, "buildium", "a", [tenant], pull, f"run-{attempt}")
    assert served.gave_up == 1
    [(attempts, gone, outcome)] = _state(db_conn, [tenant])
    assert (attempts, gone) == (serve_notices.MAX_ATTEMPTS, True)
    assert outcome == "gave up: RuntimeError: HTTP 500 from the PMS"


def test_a_running_pull_of_the_agency_makes_its_notices_wait_untried(
        webhook_stack: WebhookStack, kinesis_stream: str) -> None:
    webhook_stack.sandboxes["buildium"].touch("acme", "tenancy")
    deadline = time.monotonic() + 10
    while not webhook_stack.notices() and time.monotonic() < deadline:
        time.sleep(0.05)
    with connect(webhook_stack.db_url) as other, pull_lock(other, "buildium", "acme"):
        report = webhook_stack.serve_due(kinesis_stream, "buildium")
        assert (report.served, report.failed_pulls) == (0, 0)
    with connect(webhook_stack.db_url) as conn:
        [(_, attempts)] = conn.execute(
            "SELECT id, attempts FROM ingest.webhook_notice").fetchall()
    assert attempts == 0
    assert webhook_stack.serve_due(kinesis_stream, "buildium").served == 1


def test_a_notice_stored_while_the_worker_lingers_is_served_by_it(
        webhook_stack: WebhookStack, kinesis_stream: str) -> None:
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.update(report=webhook_stack.serve_due(
        kinesis_stream, "buildium", linger_s=3, run_id="lingering")))
    worker.start()
    time.sleep(0.5)
    webhook_stack.sandboxes["buildium"].touch("acme", "tenancy")
    worker.join(60)
    assert not worker.is_alive(), "a worker with nothing to do ends after its linger"
    report = outcome["report"]
    assert report.served == 1 and report.records_published == 1 and report.rounds > 1
    with connect(webhook_stack.db_url) as conn:
        assert conn.execute("SELECT run_id, outcome FROM ingest.webhook_notice").fetchall() == [
            ("lingering", "served")]


def test_the_loop_ends_after_max_s_however_busy(db_conn) -> None:
    ticks = iter(range(100))
    calls: list[str] = []

    def serve(agency_id: str, ids: list[int]) -> serve_notices.Served:
        calls.append(agency_id)
        return serve_notices.Served(agency_id, busy=True)

    _notice(db_conn, "k1", "tenancy", ["1"])
    report = serve_pms(db_conn, "buildium", serve, linger_s=1000, max_s=5,
                       clock=lambda: float(next(ticks)), sleep=lambda s: None)
    assert report.rounds == 5 and calls == ["a"] * 5 and report.served == 0
