"""The alert topic in Terraform: KMS-encrypted, published to by the pipeline role only,
and its ARN (with the UI's URL for links) given to the code location; the optional
webhook URL secret only to the code location, as an ECS secret."""

from __future__ import annotations

from pms_pipelines_tests.infra.terraform_config import (
    data_sources,
    locals_of,
    module_calls,
    resources,
)


def test_the_alert_topic_is_kms_encrypted() -> None:
    [topic] = resources("aws_sns_topic")
    assert topic.module_dir == "modules/alerts"
    assert topic.body["kms_master_key_id"] == "${var.kms_key_arn}"
    [call] = [c for c in module_calls() if c.name == "alerts"]
    assert call.body["kms_key_arn"] == "${module.kms.key_arn}"


def test_only_the_pipeline_role_publishes_to_the_topic() -> None:
    publishers = [
        (policy.name, statement)
        for policy in data_sources("aws_iam_policy_document")
        for statement in policy.body.get("statement", [])
        if any("sns:" in action for action in statement.get("actions", []))
    ]
    assert [(name, s["actions"], s["resources"]) for name, s in publishers] == [
        ("pipeline", ["sns:Publish"], ["${var.alert_topic_arn}"])]


def test_the_code_location_gets_the_destinations() -> None:
    local = locals_of("modules/dagster")
    environment = str(local["pipeline_environment"])
    assert "PMS_ALERT_SNS_TOPIC_ARN" in environment and "PMS_ALERT_UI_BASE_URL" in environment
    assert "PMS_ALERT_WEBHOOK_URL" not in environment  # a secret: never a plain value
    assert "PMS_ALERT_WEBHOOK_URL" in str(local["alert_webhook_secret"])
    [code_location] = [t for t in resources("aws_ecs_task_definition")
                       if t.name == "code_location"]
    assert "local.alert_webhook_secret" in code_location.body["container_definitions"]
