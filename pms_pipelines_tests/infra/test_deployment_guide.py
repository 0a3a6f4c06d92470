"""docs/deployment.md and deploy/deploy.sh use only names the Terraform really has."""

from __future__ import annotations

import re
from pathlib import Path

from pms_pipelines_tests.infra.terraform_config import parsed_files, variables

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deployment.md").read_text()
DEPLOY = (ROOT / "deploy" / "deploy.sh").read_text()


def _outputs(module_dir: str) -> set[str]:
    return {
        name
        for path, document in parsed_files().items()
        if str(path.parent) == module_dir
        for entry in document.get("output", [])
        for name in entry
    }


def test_outputs_the_guide_and_deploy_script_read_exist() -> None:
    command = r"(?:terraform(?: -chdir=\S+)?|tf) output (?:-raw |-json )?([a-z_]+)"
    used = set(re.findall(command, GUIDE + DEPLOY))
    used |= set(re.findall(r"\(output `([a-z_]+)`", GUIDE))
    assert {"cluster_name", "migrate_task_definition", "db_master_secret_arn"} <= used
    for env in ("envs/staging", "envs/prod"):
        assert used <= _outputs(env), used - _outputs(env)


def test_variables_the_guide_names_exist() -> None:
    named = {"certificate_arn", "webserver_domain", "allowed_cidrs", "agency_credentials",
             "image_pull_account_ids", "webserver_internal", "image_tag"}
    assert all(f"`{v}`" in GUIDE or f"{v} =" in GUIDE or f"{v}=" in GUIDE for v in named)
    for env in ("envs/staging", "envs/prod"):
        assert named <= set(variables(env))


def test_targets_and_names_match_the_modules() -> None:
    modules = {p.parent.name for p in parsed_files() if p.parts[0] == "modules"}
    for target in re.findall(r"-target=module\.platform\.module\.([a-z_]+)", GUIDE + DEPLOY):
        assert target in modules
    secrets_tf = (ROOT / "terraform" / "modules" / "secrets" / "main.tf").read_text()
    assert '"${var.name}/database/${each.key}-url"' in secrets_tf
    for key in ("consumer", "migrator", "dagster", "webhooks"):
        assert f"pms-staging/database/{key}-url" in GUIDE
        assert key in secrets_tf
    assert '"${var.name}/agencies/${each.key}"' in secrets_tf
    assert "pms-staging/agencies/buildium/acme-lettings" in GUIDE
    roles = (ROOT / "pms_pipelines" / "db" / "roles.py").read_text()
    assert "pms_pipelines/db/roles.py" in GUIDE
    for role in ("pms_migrator", "pms_consumer", "pms_reader", "pms_webhooks", "dagster"):
        assert role in roles and role in GUIDE
