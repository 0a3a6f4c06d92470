"""The alert sensors against a real, Postgres-backed Dagster instance: a failed run and
a failed check each reach the webhook receiver and the SNS topic exactly once, without
the secrets and personal data their errors carried."""

from __future__ import annotations

import json

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    DagsterInstance,
    MaterializeResult,
    asset,
    build_sensor_context,
    job,
    materialize,
    op,
)

from pms_pipelines.alerts.delivery import NO_DESTINATION
from pms_pipelines.defs.alert_sensors import alert_on_failed_check, alert_on_run_failure
from pms_pipelines.defs.health_view import HEALTH_KEY
from pms_pipelines.defs.resources import AlertsResource
from pms_pipelines_tests.alerts.conftest import WEBHOOK_SECRET_PATH

pytestmark = pytest.mark.integration

UI = "http://dagster.test:3000"
SECRETS = (
    "hunter2-Sup3rSecret",
    "jane.doe@example.com",
    "+44 20 7946 0958",
    "7946",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
    "Jane",
    "xoxb-webhook-secret",
    WEBHOOK_SECRET_PATH,
)


@op
def pull_tenants() -> None:
    raise RuntimeError(
        "login as ops password=hunter2-Sup3rSecret failed for tenant jane.doe@example.com "
        "(phone +44 20 7946 0958) with Authorization: Bearer "
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl\n"
        'body: {"FirstName": "Jane", "Email": "jane.doe@example.com"}'
    )


@job
def failing_pull() -> None:
    pull_tenants()


MASKED_PASSES = {"now": False}


@asset(check_specs=[AssetCheckSpec("masked", asset="tenants"),
                    AssetCheckSpec("complete", asset="tenants"),
                    AssetCheckSpec("schema_matches", asset="tenants")])
def tenants():
    yield MaterializeResult()
    yield AssetCheckResult(check_name="masked", passed=MASKED_PASSES["now"],
                           severity=AssetCheckSeverity.ERROR,
                           metadata={"problems": "row 3: data.email holds jane.doe@example.com"})
    yield AssetCheckResult(check_name="complete", passed=False,
                           severity=AssetCheckSeverity.WARN, metadata={"problems": "still filling"})
    yield AssetCheckResult(check_name="schema_matches", passed=True)


def _resources(webhook_url: str = "", topic_arn: str = "") -> dict:
    return {"alerts": AlertsResource(webhook_url=webhook_url, sns_topic_arn=topic_arn,
                                     ui_base_url=UI)}


def _tick(sensor, instance: DagsterInstance, cursor: str | None, resources: dict):  # noqa: ANN001
    with build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        return sensor.evaluate_tick(context)


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def _fail_a_run(instance: DagsterInstance) -> str:
    result = failing_pull.execute_in_process(
        instance=instance, raise_on_error=False,
        tags={"pms/agency": "acme-lettings", "dagster/partition": "acme-lettings"})
    assert not result.success
    return result.run_id


def test_a_failed_run_alerts_once_to_webhook_and_sns(dagster_instance, webhook, sns_topic) -> None:
    resources = _resources(webhook.url, sns_topic.arn)
    start = _tick(alert_on_run_failure, dagster_instance, None, resources)
    assert start.skip_message.startswith("starting after run failure")
    run_id = _fail_a_run(dagster_instance)

    tick = _tick(alert_on_run_failure, dagster_instance, start.cursor, resources)
    assert tick.skip_message == "sent 1 alert(s) for failed runs"
    assert int(tick.cursor) > int(start.cursor)
    again = _tick(alert_on_run_failure, dagster_instance, tick.cursor, resources)
    assert again.cursor == tick.cursor and again.skip_message == "no new failed runs"

    assert len(webhook.bodies) == 1 and webhook.paths == [WEBHOOK_SECRET_PATH]
    body = webhook.bodies[0]
    assert set(body) == {"text", "blocks"}
    assert body["blocks"][0]["text"]["text"] == "Run failed: failing_pull"
    assert f"Run: `{run_id}`" in body["text"] and "Error: `RuntimeError`" in body["text"]
    assert "Agency: `acme-lettings`" in body["text"] and "Step: `pull_tenants`" in body["text"]
    assert f"<{UI}/runs/{run_id}|Open in Dagster>" in body["text"]
    assert "password=[redacted]" in body["text"] and "[email]" in body["text"]
    _assert_clean(json.dumps(body))

    published = sns_topic.published()
    assert len(published) == 1
    assert published[0]["Subject"] == "[pms-pipelines] Run failed: failing_pull"
    message = json.loads(published[0]["Message"])
    assert message["kind"] == "run_failure" and message["run_id"] == run_id
    assert message["job"] == "failing_pull" and message["error_class"] == "RuntimeError"
    assert message["url"] == f"{UI}/runs/{run_id}"
    _assert_clean(json.dumps(published[0]))


def test_a_webhook_answering_500_then_200_is_retried(dagster_instance, webhook) -> None:
    resources = _resources(webhook.url)
    start = _tick(alert_on_run_failure, dagster_instance, None, resources)
    _fail_a_run(dagster_instance)
    webhook.statuses = [500]
    tick = _tick(alert_on_run_failure, dagster_instance, start.cursor, resources)
    assert tick.skip_message == "sent 1 alert(s) for failed runs"
    assert len(webhook.bodies) == 2 and webhook.bodies[0] == webhook.bodies[1]


def test_a_run_alert_that_cannot_be_delivered_fails_the_tick_and_is_retried(
    dagster_instance, webhook
) -> None:
    resources = _resources(webhook.url)
    start = _tick(alert_on_run_failure, dagster_instance, None, resources)
    run_id = _fail_a_run(dagster_instance)
    webhook.statuses = [500, 502, 503]
    with pytest.raises(Exception, match="webhook failed after 3 attempts: HTTP 503") as raised:
        _tick(alert_on_run_failure, dagster_instance, start.cursor, resources)
    error = str(raised.value)
    assert run_id in error and WEBHOOK_SECRET_PATH not in error and "127.0.0.1" not in error
    retried = _tick(alert_on_run_failure, dagster_instance, start.cursor, resources)
    assert retried.skip_message == "sent 1 alert(s) for failed runs"
    assert len(webhook.bodies) == 4 and f"Run: `{run_id}`" in webhook.bodies[-1]["text"]


def test_a_later_alert_that_fails_ends_the_tick_after_those_sent(dagster_instance, webhook) -> None:
    """Nothing is lost: the cursor stops after the delivered alert, the next tick sends
    the one that failed."""
    resources = _resources(webhook.url)
    start = _tick(alert_on_run_failure, dagster_instance, None, resources)
    first, second = _fail_a_run(dagster_instance), _fail_a_run(dagster_instance)
    webhook.statuses = [200, 500, 500, 500]
    tick = _tick(alert_on_run_failure, dagster_instance, start.cursor, resources)
    assert tick.skip_message.startswith("sent 1, then ")
    assert tick.skip_message.endswith("; retrying next tick")
    retried = _tick(alert_on_run_failure, dagster_instance, tick.cursor, resources)
    assert retried.skip_message == "sent 1 alert(s) for failed runs"
    sent = [body["text"] for body in webhook.bodies]
    assert [f"Run: `{first}`" in text for text in sent] == [True, False, False, False, False]
    assert f"Run: `{second}`" in sent[-1] and len(sent) == 5


def test_without_a_destination_the_run_sensor_says_so(dagster_instance) -> None:
    start = _tick(alert_on_run_failure, dagster_instance, None, _resources())
    _fail_a_run(dagster_instance)
    tick = _tick(alert_on_run_failure, dagster_instance, start.cursor, _resources())
    assert tick.skip_message == f"1 new run failure(s); {NO_DESTINATION}"
    assert int(tick.cursor) > int(start.cursor)  # nothing piles up to flood later


def test_a_failed_check_alerts_once(dagster_instance, webhook, sns_topic) -> None:
    resources = _resources(webhook.url, sns_topic.arn)
    start = _tick(alert_on_failed_check, dagster_instance, None, resources)
    assert start.skip_message.startswith("starting after check evaluation")
    result = materialize([tenants], instance=dagster_instance, partition_key=None)
    assert result.success

    tick = _tick(alert_on_failed_check, dagster_instance, start.cursor, resources)
    assert tick.skip_message == "sent 1 alert(s) for failed checks"
    assert int(tick.cursor) > int(start.cursor)
    again = _tick(alert_on_failed_check, dagster_instance, tick.cursor, resources)
    assert again.cursor == tick.cursor and again.skip_message == "no new failed check evaluations"

    # Only the ERROR failure: the WARN one and the pass do not alert.
    assert len(webhook.bodies) == 1
    text = webhook.bodies[0]["text"]
    assert webhook.bodies[0]["blocks"][0]["text"]["text"] == "Check failed: tenants masked"
    assert "Severity: `ERROR`" in text and f"Run: `{result.run_id}`" in text
    assert "row 3: data.email holds [email]" in text
    _assert_clean(json.dumps(webhook.bodies))

    [published] = sns_topic.published()
    message = json.loads(published["Message"])
    assert message["kind"] == "check_failure" and message["check"] == "masked"
    assert message["asset"] == "tenants" and message["run_id"] == result.run_id
    _assert_clean(json.dumps(published))


@asset(key=HEALTH_KEY, check_specs=[AssetCheckSpec("buildium_agencies_healthy",
                                                   asset=HEALTH_KEY)])
def health_view():
    yield MaterializeResult()
    yield AssetCheckResult(check_name="buildium_agencies_healthy", passed=False,
                           severity=AssetCheckSeverity.ERROR)


def test_the_health_views_checks_do_not_alert(dagster_instance, webhook) -> None:
    """They restate checks and runs that alert themselves."""
    resources = _resources(webhook.url)
    start = _tick(alert_on_failed_check, dagster_instance, None, resources)
    assert materialize([health_view], instance=dagster_instance).success
    tick = _tick(alert_on_failed_check, dagster_instance, start.cursor, resources)
    assert tick.skip_message == "no new failed check evaluations"
    assert int(tick.cursor) > int(start.cursor) and not webhook.bodies


def test_a_check_alert_that_cannot_be_delivered_fails_the_tick_and_is_retried(
    dagster_instance, webhook
) -> None:
    resources = _resources(webhook.url)
    start = _tick(alert_on_failed_check, dagster_instance, None, resources)
    materialize([tenants], instance=dagster_instance)
    webhook.statuses = [500, 500, 500]
    with pytest.raises(Exception, match="webhook failed after 3 attempts: HTTP 500") as raised:
        _tick(alert_on_failed_check, dagster_instance, start.cursor, resources)
    assert WEBHOOK_SECRET_PATH not in str(raised.value)
    retried = _tick(alert_on_failed_check, dagster_instance, start.cursor, resources)
    assert retried.skip_message == "sent 1 alert(s) for failed checks"
    assert len(webhook.bodies) == 4
    assert webhook.bodies[-1]["blocks"][0]["text"]["text"] == "Check failed: tenants masked"


def test_without_a_destination_the_check_sensor_says_so(dagster_instance) -> None:
    start = _tick(alert_on_failed_check, dagster_instance, None, _resources())
    materialize([tenants], instance=dagster_instance)
    tick = _tick(alert_on_failed_check, dagster_instance, start.cursor, _resources())
    assert tick.skip_message == f"3 new check evaluation(s); {NO_DESTINATION}"
    assert int(tick.cursor) > int(start.cursor)  # nothing piles up to flood later


def test_a_check_that_keeps_failing_alerts_once_until_it_passes(dagster_instance, webhook) -> None:
    resources = _resources(webhook.url)
    cursor = _tick(alert_on_failed_check, dagster_instance, None, resources).cursor
    outcomes = [False, False, True, False]  # fails, still fails, passes, fails again
    messages = []
    try:
        for passes in outcomes:
            MASKED_PASSES["now"] = passes
            materialize([tenants], instance=dagster_instance)
            tick = _tick(alert_on_failed_check, dagster_instance, cursor, resources)
            cursor = tick.cursor
            messages.append(tick.skip_message)
    finally:
        MASKED_PASSES["now"] = False
    assert messages == [
        "sent 1 alert(s) for failed checks",
        "no new failed check evaluations; 1 still failing (alerted when they started)",
        "no new failed check evaluations",
        "sent 1 alert(s) for failed checks",
    ]
    assert len(webhook.bodies) == 2



def test_each_failed_run_is_counted_once_as_a_metric(dagster_instance, webhook, capsys) -> None:
    """RunsFailed (EMF on stdout, by job) once per failed run: when the cursor passes it,
    not again when a delivery is retried, and also where no destination is set."""
    from pms_pipelines.metrics.emf import parse

    def counted() -> list[str]:
        return [doc["Job"] for doc in parse(capsys.readouterr().out.splitlines())
                if "RunsFailed" in doc]

    resources = _resources(webhook.url)
    start = _tick(alert_on_run_failure, dagster_instance, None, resources)
    _fail_a_run(dagster_instance)
    webhook.statuses = [500, 502, 503]
    capsys.readouterr()
    with pytest.raises(Exception, match="webhook failed"):
        _tick(alert_on_run_failure, dagster_instance, start.cursor, resources)
    assert counted() == []  # not past the cursor yet
    tick = _tick(alert_on_run_failure, dagster_instance, start.cursor, resources)
    assert counted() == ["failing_pull"]
    _tick(alert_on_run_failure, dagster_instance, tick.cursor, resources)
    assert counted() == []

    _fail_a_run(dagster_instance)
    _tick(alert_on_run_failure, dagster_instance, tick.cursor, _resources())
    assert counted() == ["failing_pull"]
