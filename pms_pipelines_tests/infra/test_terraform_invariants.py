"""The Terraform keeps its promises: read the HCL, assert the invariants.

No cloud account and no providers: python-hcl2 parses terraform/, the tests look at the
resources as written. What is asserted: 24 h stream retention, KMS encryption on the
stream, Firehose, buckets, RDS, secrets and log groups, nothing public (buckets,
database, tasks), secrets never in a plain ECS `environment` entry, and the webserver
only behind an authenticated HTTPS listener.
"""

from __future__ import annotations

import re
from typing import Any

from pms_pipelines_tests.infra.terraform_config import (
    locals_of,
    module_calls,
    one,
    parsed_files,
    resources,
    variables,
)

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|DATABASE_URL|PG_URL|CREDENTIAL|API_KEY", re.I)


def test_both_environments_call_the_platform_module() -> None:
    roots = {str(call.path.parent): call for call in module_calls() if call.name == "platform"}
    assert set(roots) == {"envs/staging", "envs/prod"}
    for root, call in roots.items():
        assert call.body["source"] == "../../modules/platform"
        assert call.body["environment"] == root.split("/")[1]


def test_every_variable_and_output_is_documented() -> None:
    undocumented = [
        f"{path}: {kind} {name}"
        for path, document in parsed_files().items()
        for kind in ("variable", "output")
        for entry in document.get(kind, [])
        for name, body in entry.items()
        if len(body.get("description", "")) < 10
    ]
    assert not undocumented


def test_kinesis_keeps_24_hours_and_is_kms_encrypted() -> None:
    streams = resources("aws_kinesis_stream")
    assert streams
    for stream in streams:
        assert stream.body["retention_period"] == 24
        assert stream.body["encryption_type"] == "KMS"
        assert stream.body["kms_key_id"] == "${var.kms_key_arn}"
        mode = one(stream.body, "stream_mode_details")["stream_mode"]
        assert "ON_DEMAND" in mode and "PROVISIONED" in mode, "capacity mode is a variable"


def test_firehose_encrypts_the_stream_and_its_objects() -> None:
    for firehose in resources("aws_kinesis_firehose_delivery_stream"):
        sse = one(firehose.body, "server_side_encryption")
        assert sse["enabled"] is True and sse["key_type"] == "CUSTOMER_MANAGED_CMK"
        s3 = one(firehose.body, "extended_s3_configuration")
        assert s3["kms_key_arn"] == "${var.kms_key_arn}"
        assert one(s3, "cloudwatch_logging_options")["enabled"] is True


def test_buckets_are_private_encrypted_versioned_and_expire() -> None:
    buckets = resources("aws_s3_bucket")
    assert {b.module_dir for b in buckets} == {"modules/bucket"}, "all buckets go through modules/bucket"
    [block] = resources("aws_s3_bucket_public_access_block")
    assert all(block.body[k] is True for k in (
        "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    [versioning] = resources("aws_s3_bucket_versioning")
    assert one(versioning.body, "versioning_configuration")["status"] == "Enabled"
    [sse] = resources("aws_s3_bucket_server_side_encryption_configuration")
    default = one(one(sse.body, "rule"), "apply_server_side_encryption_by_default")
    assert "aws:kms" in default["sse_algorithm"]
    assert not resources("aws_s3_bucket_acl"), "no ACLs: ownership is enforced"

    calls = {c.name: c.body for c in module_calls() if c.body["source"] == "../bucket"}
    assert set(calls) == {"access_logs_bucket", "raw_bucket", "lake_bucket", "athena_results_bucket",
                          "compute_logs_bucket"}
    for name, body in calls.items():
        if name == "access_logs_bucket":
            # S3 and ALB log delivery only write to SSE-S3 buckets.
            assert body["kms_key_arn"] is None
        else:
            assert body["kms_key_arn"] == "${module.kms.key_arn}"
            assert body["access_log_bucket"] == "${module.access_logs_bucket.name}"
    assert calls["raw_bucket"]["expire_after_days"] == "${var.raw_retention_days}"
    # The CKV_AWS_144 skip says the lake is rebuilt from raw: raw outlives the lake's days.
    platform = variables("modules/platform")
    assert platform["raw_retention_days"]["default"] is None
    assert "expire_after_days" not in calls["lake_bucket"]
    assert calls["raw_bucket"]["archive_after_days"] == "${var.raw_archive_after_days}"
    assert platform["raw_archive_after_days"]["default"] >= 30


def test_rds_is_private_encrypted_backed_up_and_protected() -> None:
    [db] = resources("aws_db_instance")
    body = db.body
    assert body["publicly_accessible"] is False
    assert body["storage_encrypted"] is True and body["kms_key_id"] == "${var.kms_key_arn}"
    assert body["deletion_protection"] is True
    assert body["skip_final_snapshot"] is False
    assert body["backup_retention_period"] == "${var.backup_retention_days}"
    assert body["manage_master_user_password"] is True and "password" not in body
    for call in module_calls():
        if call.name == "platform":
            assert call.body["db_backup_retention_days"] >= 7
    assert variables("modules/database")["backup_retention_days"]["default"] >= 7
    for rule in resources("aws_vpc_security_group_ingress_rule"):
        if rule.module_dir == "modules/database":
            assert "referenced_security_group_id" in rule.body and "cidr_ipv4" not in rule.body


def test_secrets_and_logs_use_the_environment_key() -> None:
    secrets = resources("aws_secretsmanager_secret")
    assert secrets
    assert all(s.body["kms_key_id"] == "${var.kms_key_arn}" for s in secrets)
    assert not resources("aws_secretsmanager_secret_version"), "secret values never live in Terraform state"
    groups = resources("aws_cloudwatch_log_group")
    assert groups
    for group in groups:
        assert group.body["kms_key_id"] == "${var.kms_key_arn}", group
        assert group.body["retention_in_days"] == "${var.log_retention_days}"
    for topic in resources("aws_sns_topic"):
        assert topic.body.get("kms_master_key_id"), topic
    for repo in resources("aws_ecr_repository"):
        assert one(repo.body, "encryption_configuration")["encryption_type"] == "KMS"
    [key] = resources("aws_kms_key")
    assert key.body["enable_key_rotation"] is True


def _env_entries(value: Any) -> list[tuple[str, str]]:
    """(name, kind) of every ECS name/value or name/valueFrom pair, in lists or in
    expressions such as concat(...) and jsonencode(...)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if "name" in value and ("value" in value or "valueFrom" in value):
            found.append((value["name"], "value" if "value" in value else "valueFrom"))
        for v in value.values():
            found += _env_entries(v)
    elif isinstance(value, list):
        for v in value:
            found += _env_entries(v)
    elif isinstance(value, str):
        for name, kind in re.findall(r'name\s*=\s*\\?"([A-Za-z0-9_]+)\\?"\s*,\s*(valueFrom|value)\s*=', value):
            found.append((name, kind))
    return found


def test_no_secret_in_a_plain_ecs_environment_value() -> None:
    task_definitions = resources("aws_ecs_task_definition")
    assert {t.name for t in task_definitions} == {"webserver", "daemon", "code_location", "run",
                                                  "migrate", "webhooks"}
    entries = _env_entries(locals_of("modules/dagster")) + _env_entries(
        [t.body["container_definitions"] for t in task_definitions])
    plain = {name for name, kind in entries if kind == "value"}
    injected = {name for name, kind in entries if kind == "valueFrom"}
    assert not {n for n in plain if SECRET_NAME.search(n)}, "secret-looking names in environment"
    assert {"DAGSTER_PG_URL", "PMS_DATABASE_URL"} <= injected
    for task in task_definitions:
        definition = task.body["container_definitions"]
        assert "secrets" in definition, f"{task.name} gets its database URL as an ECS secret"
        assert "readonlyRootFilesystem = true" in definition
        # environment is a vetted local or an inline list, both scanned above.
        for source in re.findall(r"environment\s*=\s*(\S+)", definition):
            assert source.startswith(("local.", "concat(local.", "[")), source


def test_webserver_only_behind_authenticated_https() -> None:
    listeners = resources("aws_lb_listener")
    assert listeners
    for listener in listeners:
        assert [a["type"] for a in listener.body["default_action"]] != ["forward"]
        if listener.body["port"] == 443:
            assert listener.body["protocol"] == "HTTPS" and "TLS13" in listener.body["ssl_policy"]
    # Forwarding happens in rules only: to the webserver from allowed_cidrs after sign-in,
    # to the webhook receiver for POST /webhooks/* alone (each delivery is signed).
    rules = {r.name: r.body for r in resources("aws_lb_listener_rule")}
    assert set(rules) == {"ui", "webhooks"}
    ui_actions = rules["ui"]["action"]
    auth = [a for a in ui_actions if a["type"] in ("authenticate-cognito", "authenticate-oidc")]
    forward = next(a for a in ui_actions if a["type"] == "forward")
    assert auth and min(a["order"] for a in auth) < forward["order"], "authenticate before forwarding"
    assert "webserver" in forward["target_group_arn"]
    assert "source_ip" in str(rules["ui"]["condition"])
    webhooks = rules["webhooks"]
    assert one(webhooks["condition"][0], "path_pattern")["values"] == ["/webhooks/*"]
    assert one(webhooks["condition"][1], "http_request_method")["values"] == ["POST"]
    assert "webhooks" in one(webhooks, "action")["target_group_arn"]
    [pool] = resources("aws_cognito_user_pool")
    assert one(pool.body, "admin_create_user_config")["allow_admin_create_user_only"] is True
    assert pool.body["mfa_configuration"] == "ON"

    # Webserver tasks accept traffic from the load balancer's security group only.
    to_tasks = [r for r in resources("aws_vpc_security_group_ingress_rule")
                if r.body.get("from_port") in (3000, "${local.webhook_port}")]
    assert len(to_tasks) == 2 and all(
        r.body["referenced_security_group_id"] == "${aws_security_group.alb.id}" for r in to_tasks)
    for rule in resources("aws_vpc_security_group_ingress_rule"):
        assert rule.body.get("cidr_ipv4") in (None, "${each.value}"), "only allowed_cidrs reach anything"
    for service in resources("aws_ecs_service"):
        assert one(service.body, "network_configuration")["assign_public_ip"] is False
        assert service.body.get("enable_execute_command") is False


def test_daemon_is_a_singleton_and_the_rest_autoscale() -> None:
    services = {s.name: s.body for s in resources("aws_ecs_service")}
    assert services["daemon"]["desired_count"] == 1
    assert services["daemon"]["deployment_maximum_percent"] == 100, "never two daemons during a deploy"
    targets = {t.name: t.body for t in resources("aws_appautoscaling_target")}
    assert set(targets) == {"service", "webhooks"}
    assert "webserver" in str(targets["service"]["for_each"])
    assert "code-location" in str(targets["service"]["for_each"])
    assert "daemon" not in str(targets["service"]["for_each"])
    assert "aws_ecs_service.webhooks" in targets["webhooks"]["resource_id"]


def test_lake_tables_project_daily_partitions() -> None:
    tables = {t.name: t for t in resources("aws_glue_catalog_table")}
    assert set(tables) == {"entity", "raw"}
    table, raw = tables["entity"], tables["raw"]
    daily = locals_of("modules/lake")["daily_partitions"]
    assert daily["projection.enabled"] == "true" and daily["projection.dt.format"] == "yyyy-MM-dd"
    for block, template in ((table, "/lake/${each.key}/dt=$${dt}/"), (raw, "/raw/dt=$${dt}/")):
        parameters = str(block.body["parameters"])
        assert "local.daily_partitions" in parameters and template in parameters, parameters
    assert "JsonSerDe" in one(one(raw.body, "storage_descriptor"), "ser_de_info")[
        "serialization_library"]
    entities = locals_of("modules/lake")["entities"]
    for entity in ("property", "landlord", "tenant", "tenancy"):
        assert entity in entities
    assert "Parquet" in one(table.body, "storage_descriptor")["input_format"]
    [workgroup] = resources("aws_athena_workgroup")
    config = one(workgroup.body, "configuration")
    assert config["enforce_workgroup_configuration"] is True
    encryption = one(one(config, "result_configuration"), "encryption_configuration")
    assert encryption["encryption_option"] == "SSE_KMS"
