"""Alerts are built from allow-listed fields only, and shaped for Slack and SNS."""

from __future__ import annotations

import json

from pms_pipelines.alerts.message import (
    CHECK_FAILURE,
    RUN_FAILURE,
    check_failure_alert,
    run_failure_alert,
    slack_payload,
    sns_message,
    sns_subject,
)


def _run_alert(**overrides):
    args = dict(
        job="buildium_pull_job", run_id="0f1e2d3c-aaaa-bbbb-cccc-000000000001",
        partition="acme-lettings", agency="acme-lettings", steps=["buildium__tenant"],
        error_class="PmsApiError",
        error_message="GET /v1/tenants failed with HTTP 401 after 1 attempt(s): "
        "token abc expired for jane@example.com\nTraceback line with secret",
        ui_base_url="https://dagster.example.com/",
    )
    return run_failure_alert(**{**args, **overrides})


def test_run_failure_alert_fields() -> None:
    alert = _run_alert()
    assert alert.kind == RUN_FAILURE
    assert alert.title == "Run failed: buildium_pull_job"
    assert alert.fields() == {
        "kind": "run_failure",
        "title": "Run failed: buildium_pull_job",
        "run_id": "0f1e2d3c-aaaa-bbbb-cccc-000000000001",
        "job": "buildium_pull_job",
        "partition": "acme-lettings",
        "agency": "acme-lettings",
        "step": "buildium__tenant",
        "error_class": "PmsApiError",
        "summary": "GET /v1/tenants failed with HTTP 401 after 1 attempt(s): "
        "[vendor message withheld]",
        "url": "https://dagster.example.com/runs/0f1e2d3c-aaaa-bbbb-cccc-000000000001",
    }


def test_no_link_without_a_base_url() -> None:
    assert _run_alert(ui_base_url="").url is None


def test_slack_payload_is_escaped_and_carries_the_link() -> None:
    alert = _run_alert(error_message="<!channel> & <https://evil.example|click>",
                       partition="<!here>")
    payload = slack_payload(alert)
    assert set(payload) == {"text", "blocks"}
    assert "<!channel>" not in payload["text"] and "<!here>" not in payload["text"]
    assert "&lt;" in payload["text"] or "[body removed]" in payload["text"]
    assert payload["text"].endswith(
        "<https://dagster.example.com/runs/0f1e2d3c-aaaa-bbbb-cccc-000000000001|Open in Dagster>")
    assert payload["blocks"][0] == {
        "type": "header", "text": {"type": "plain_text", "text": "Run failed: buildium_pull_job"}}
    assert payload["blocks"][1]["type"] == "section"
    assert "Job: `buildium_pull_job`" in payload["blocks"][1]["text"]["text"]


def test_check_failure_alert_and_sns_shape() -> None:
    alert = check_failure_alert(
        asset="lake/tenant", check="masked", severity="ERROR", run_id="r-1",
        job="lake_compaction", partition="2026-11-25",
        summary="row 3: data.email holds an email address bob@example.com",
        ui_base_url=None,
    )
    assert alert.kind == CHECK_FAILURE
    assert alert.title == "Check failed: lake/tenant masked"
    message = json.loads(sns_message(alert))
    assert message["asset"] == "lake/tenant" and message["check"] == "masked"
    assert message["partition"] == "2026-11-25" and message["severity"] == "ERROR"
    assert "bob@example.com" not in sns_message(alert)
    assert sns_subject(alert) == "[pms-pipelines] Check failed: lake/tenant masked"


def test_sns_subject_is_ascii_and_bounded() -> None:
    subject = sns_subject(_run_alert(job="é" * 300))
    assert subject.isascii() and len(subject) <= 100 and "\n" not in subject


def test_a_killed_process_is_not_blamed_on_memory() -> None:
    from pms_pipelines.alerts.message import explain_signal

    dagster_says = (
        "Multiprocess executor: child process for step consume_stream was terminated by "
        "signal 9 (SIGKILL). This usually indicates that the process was killed by the "
        "operating system due to running out of memory. Possible solutions include "
        "increasing the amount of memory available to the run, reducing the amount of "
        "memory used by the ops in the run, or configuring the executor to run fewer ops "
        "concurrently.")
    alert = run_failure_alert(job="consume_shard", run_id="r1", partition=None, agency=None,
                              steps=["consume_stream"], error_class=None,
                              error_message=dagster_says, ui_base_url=None)
    assert "signal 9 (SIGKILL)" in alert.summary
    assert "running out of memory" not in alert.summary
    assert "Not necessarily memory" in alert.summary and len(alert.summary) <= 200
    other = "step failed: ValueError: bad row"
    assert explain_signal(other) == other and explain_signal(None) is None
