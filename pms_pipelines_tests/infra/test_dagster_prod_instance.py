"""The production instance config (deploy/dagster.prod.yaml) loads and says what we mean.

No database and no AWS: the config is validated against Dagster's instance schema and
each configurable class's own schema, with the environment ECS provides.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_postgres import DagsterPostgresStorage

ROOT = Path(__file__).resolve().parents[2]

ECS_ENVIRONMENT = {
    "DAGSTER_PG_URL": "postgresql+psycopg2://dagster:pw@db.internal:5432/dagster",
    "DAGSTER_RUN_TASK_DEFINITION": "pms-staging-run",
    "DAGSTER_ECS_CLUSTER": "pms-staging",
    "DAGSTER_COMPUTE_LOG_BUCKET": "pms-staging-compute-logs",
    "AWS_REGION": "eu-west-2",
}


@pytest.fixture
def prod_home(tmp_path, monkeypatch) -> Path:
    shutil.copyfile(ROOT / "deploy" / "dagster.prod.yaml", tmp_path / "dagster.yaml")
    for name, value in ECS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _class_config(data, config_class) -> dict:
    result = process_config(config_class.config_type(), yaml.safe_load(data.config_yaml))
    assert result.success, result.errors
    return result.value


def test_prod_instance_config_validates(prod_home) -> None:
    config, _ = dagster_instance_config(str(prod_home), config_filename="dagster.yaml")
    ref = InstanceRef.from_dir(str(prod_home))

    assert ref.storage_data.class_name == "DagsterPostgresStorage"
    storage = _class_config(ref.storage_data, DagsterPostgresStorage)
    assert storage["postgres_url"].startswith("postgresql+psycopg2://"), "dagster-postgres needs psycopg2"

    assert (ref.run_launcher_data.module_name, ref.run_launcher_data.class_name) == (
        "dagster_aws.ecs", "EcsRunLauncher")
    launcher = _class_config(ref.run_launcher_data, EcsRunLauncher)
    assert launcher["task_definition"] == {"env": "DAGSTER_RUN_TASK_DEFINITION"}
    assert launcher["container_name"] == "run"
    assert launcher["run_task_kwargs"]["cluster"] == "pms-staging"
    assert launcher["secrets_tag"] is None

    coordinator = ref.run_coordinator_data.rehydrate(QueuedRunCoordinator)
    assert config["telemetry"]["enabled"] is False
    limits = {limit["key"]: limit for limit in coordinator.get_run_queue_config().tag_concurrency_limits}
    assert limits["pms/shard"] == {"key": "pms/shard", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    assert limits["pms/agency"]["limit"] == 1

    assert ref.compute_logs_data.class_name == "S3ComputeLogManager"
    logs = _class_config(ref.compute_logs_data, S3ComputeLogManager)
    assert logs["bucket"] == "pms-staging-compute-logs"
    retention = config["retention"]
    assert retention["sensor"]["purge_after_days"]["skipped"] <= 7


def test_the_compute_log_bucket_is_the_one_terraform_names_and_grants() -> None:
    dagster_tf = (ROOT / "terraform" / "modules" / "dagster" / "main.tf").read_text()
    assert '{ name = "DAGSTER_COMPUTE_LOG_BUCKET", value = var.compute_log_bucket_name }' in dagster_tf
    iam = (ROOT / "terraform" / "modules" / "dagster" / "iam.tf").read_text()
    assert '"WriteComputeLogs"' in iam and '"ReadComputeLogs"' in iam


def test_prod_run_queue_limits_match_the_local_instance() -> None:
    local = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    prod = yaml.safe_load((ROOT / "deploy" / "dagster.prod.yaml").read_text())
    prod_limits = {limit["key"]: limit for limit in
                   prod["run_coordinator"]["config"]["tag_concurrency_limits"]}
    local_limits = {limit["key"]: limit for limit in
                    local["run_coordinator"]["config"]["tag_concurrency_limits"]}
    assert set(prod_limits) == set(local_limits) == {
        "pms/shard", "pms/agency", "pms/webhooks", "pms/pms"}
    for key in ("pms/shard", "pms/agency", "pms/webhooks"):  # the correctness limits
        assert prod_limits[key] == local_limits[key]
        assert prod_limits[key]["limit"] == 1


def test_consume_runs_in_aws_follow_the_shard_count_without_a_global_cap() -> None:
    prod = yaml.safe_load((ROOT / "deploy" / "dagster.prod.yaml").read_text())
    assert prod["run_coordinator"]["config"]["max_concurrent_runs"] == -1
    limits = prod["run_coordinator"]["config"]["tag_concurrency_limits"]
    # Consume runs carry only the shard tag: one per shard, as many as there are shards.
    from pms_pipelines.defs.consume_assets import SHARD_TAG, consume_job
    assert SHARD_TAG == "pms/shard" and not set(consume_job.tags) & {
        limit["key"] for limit in limits}
    stream_tf = (ROOT / "terraform" / "envs" / "prod" / "main.tf").read_text()
    assert "stream_on_demand         = true" in stream_tf


def test_prod_workspace_points_at_the_code_location_service() -> None:
    workspace = yaml.safe_load((ROOT / "deploy" / "workspace.prod.yaml").read_text())
    [location] = workspace["load_from"]
    grpc = location["grpc_server"]
    assert grpc == {"host": "code.dagster.internal", "port": 4000, "location_name": "pms_pipelines"}
    dagster_tf = (ROOT / "terraform" / "modules" / "dagster" / "main.tf").read_text()
    # The names the workspace relies on are the ones Terraform creates.
    assert 'name        = "dagster.internal"' in dagster_tf
    assert '"--port", "4000", "--module-name", "pms_pipelines.definitions", "--location-name", "pms_pipelines"' in dagster_tf
