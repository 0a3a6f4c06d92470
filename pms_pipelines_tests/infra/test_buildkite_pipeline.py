"""The Buildkite pipeline parses, tests with the README's command, and gates production."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _steps() -> list[dict]:
    pipeline = yaml.safe_load((ROOT / ".buildkite" / "pipeline.yml").read_text())
    return pipeline["steps"]


def _by_key() -> dict[str, dict]:
    return {step["key"]: step for step in _steps()}


def test_test_step_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert _by_key()["tests"]["command"] == "make test"
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_static_checks_run() -> None:
    steps = _by_key()
    assert steps["terraform-fmt"]["command"] == "terraform fmt -check -recursive terraform"
    assert steps["checkov"]["command"] == "make checkov"
    assert "checkov:" in (ROOT / "Makefile").read_text()
    assert steps["lint"]["command"] == "make lint"
    assert "\nlint:" in (ROOT / "Makefile").read_text()


def test_order_build_staging_gate_prod() -> None:
    steps = _steps()
    keys = [step.get("key") for step in steps]
    assert keys == ["tests", "terraform-fmt", "checkov", "lint", "image", "deploy-staging",
                    "plan-prod", "approve-prod", "promote", "deploy-prod"]
    steps_by_key = _by_key()
    assert set(steps_by_key["image"]["depends_on"]) == {"tests", "terraform-fmt", "checkov",
                                                         "lint"}
    assert "block" in steps_by_key["approve-prod"]
    assert steps_by_key["plan-prod"]["depends_on"] == "deploy-staging"
    assert steps_by_key["approve-prod"]["depends_on"] == "plan-prod"
    assert "plan" in steps_by_key["approve-prod"]["prompt"]
    assert steps_by_key["promote"]["depends_on"] == "approve-prod"
    assert steps_by_key["deploy-prod"]["depends_on"] == "promote"
    assert steps_by_key["deploy-staging"]["command"] == (
        'deploy/deploy.sh plan staging "$$IMAGE_TAG" && '
        'deploy/deploy.sh apply staging "$$IMAGE_TAG"')
    assert steps_by_key["plan-prod"]["command"] == 'deploy/deploy.sh plan prod "$$IMAGE_TAG"'
    assert steps_by_key["deploy-prod"]["command"] == 'deploy/deploy.sh apply prod "$$IMAGE_TAG"'
    # The plan step and the deploy step of prod never run beside another prod deploy.
    assert (steps_by_key["plan-prod"]["concurrency_group"]
            == steps_by_key["deploy-prod"]["concurrency_group"])
    for key in ("image", "deploy-staging", "promote", "deploy-prod"):
        assert (ROOT / steps_by_key[key]["command"].split()[0]).exists()


def test_production_applies_the_saved_plan_and_nothing_else() -> None:
    deploy = (ROOT / "deploy" / "deploy.sh").read_text()
    applies = [line.strip() for line in deploy.splitlines()
               if line.strip().startswith("tf apply")]
    assert applies == ['tf apply -input=false "$PWD/$plan"'], applies
    assert "-auto-approve" not in deploy and "-target" not in deploy
    assert "-lockfile=readonly" in deploy  # the committed provider pins, or nothing
    push = (ROOT / "deploy" / "push_image.sh").read_text()
    assert push.count('if pushed "') == 2  # build and promote skip a tag already there
