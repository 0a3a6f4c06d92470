"""deploy/retag_task_definition.py turns `describe-task-definition` output into input
`register-task-definition` accepts, on the new image: the migration runs on the image
being deployed without touching Terraform's state (the saved plan stays applicable)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "retag_task_definition.py"

# The shape `aws ecs describe-task-definition --query taskDefinition` prints.
DESCRIBED = {
    "taskDefinitionArn": "arn:aws:ecs:eu-west-2:1:task-definition/pms-prod-migrate:7",
    "containerDefinitions": [{
        "name": "migrate", "image": "1.dkr.ecr.eu-west-2.amazonaws.com/pms-pipelines-prod:old",
        "essential": True, "command": ["python", "-m", "pms_pipelines.db.migrate"],
        "readonlyRootFilesystem": True, "environment": [{"name": "PMS_ENV", "value": "prod"}],
        "secrets": [{"name": "PMS_DATABASE_URL", "valueFrom": "arn:aws:secretsmanager:x"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
    }],
    "family": "pms-prod-migrate", "taskRoleArn": "arn:aws:iam::1:role/pms-prod-migrate",
    "executionRoleArn": "arn:aws:iam::1:role/pms-prod-execution", "networkMode": "awsvpc",
    "revision": 7, "volumes": [{"name": "tmp", "host": {}}], "status": "ACTIVE",
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.ecr-auth"}],
    "placementConstraints": [], "compatibilities": ["EC2", "FARGATE"],
    "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
    "registeredAt": "2026-12-01T10:00:00+00:00", "registeredBy": "arn:aws:sts::1:x",
}
NEW = "1.dkr.ecr.eu-west-2.amazonaws.com/pms-pipelines-prod:abc123"


def _run(payload: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], input=payload,
                          capture_output=True, text=True, timeout=30)


def test_the_registerable_copy_runs_the_new_image_and_keeps_everything_else() -> None:
    result = _run(json.dumps(DESCRIBED), NEW)
    assert result.returncode == 0, result.stderr
    registered = json.loads(result.stdout)
    assert [c["image"] for c in registered["containerDefinitions"]] == [NEW]
    kept = {k: v for k, v in DESCRIBED["containerDefinitions"][0].items() if k != "image"}
    assert {k: v for k, v in registered["containerDefinitions"][0].items()
            if k != "image"} == kept
    assert set(registered) == {"family", "taskRoleArn", "executionRoleArn", "networkMode",
                               "containerDefinitions", "volumes", "placementConstraints",
                               "requiresCompatibilities", "cpu", "memory"}


@pytest.mark.parametrize("payload,args", [
    (json.dumps({"family": "x"}), [NEW]),  # not a task definition
    (json.dumps(DESCRIBED), []),  # no image
    (json.dumps(DESCRIBED), ["no-tag"]),
])
def test_wrong_input_fails_loudly(payload: str, args: list[str]) -> None:
    result = _run(payload, *args)
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.strip()
