"""Read `aws ecs describe-task-definition --query taskDefinition` JSON on stdin; write
the input of `aws ecs register-task-definition --cli-input-json` for the same task with
every container on the image given as the argument.

deploy/deploy.sh runs the schema migration on the new image this way, before applying
the saved Terraform plan: registering a revision through the AWS CLI leaves Terraform's
state as it was when the plan was made, so the plan is still the one that applies
(a `terraform apply -target` here would make it stale)."""

from __future__ import annotations

import json
import sys

# What register-task-definition accepts; describe adds the rest (arn, revision, status,
# requiresAttributes, compatibilities, registeredAt/By), which it refuses.
REGISTERABLE = ("family", "taskRoleArn", "executionRoleArn", "networkMode",
                "containerDefinitions", "volumes", "placementConstraints",
                "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
                "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage",
                "runtimePlatform", "enableFaultInjection")


def retag(described: dict, image: str) -> dict:
    definition = described.get("taskDefinition", described)
    if not definition.get("containerDefinitions"):
        raise ValueError("no containerDefinitions: is this describe-task-definition output?")
    registerable = {k: definition[k] for k in REGISTERABLE if k in definition}
    registerable["containerDefinitions"] = [
        {**container, "image": image} for container in definition["containerDefinitions"]]
    return registerable


def main() -> None:
    if len(sys.argv) != 2 or ":" not in sys.argv[1]:
        sys.exit("usage: retag_task_definition.py <repository-url>:<tag>  < described.json")
    json.dump(retag(json.load(sys.stdin), sys.argv[1]), sys.stdout, indent=1)


if __name__ == "__main__":
    main()
