"""Each environment's root passes `terraform validate` with the provider its committed
lock file pins (`-lockfile=readonly`: a missing or different pin fails). No network:
the provider comes from a local mirror (`PMS_TF_PLUGIN_DIR`, else /opt/tf-plugins,
holding registry.terraform.io/hashicorp/aws/<version>/...), as on the CI machines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pms_pipelines_tests.infra.terraform_config import TERRAFORM_DIR


def _plugin_dir() -> Path | None:
    for candidate in (os.environ.get("PMS_TF_PLUGIN_DIR"), "/opt/tf-plugins"):
        if candidate and (Path(candidate) / "registry.terraform.io").is_dir():
            return Path(candidate)
    return None


pytestmark = pytest.mark.skipif(
    shutil.which("terraform") is None or _plugin_dir() is None,
    reason="needs terraform and a provider mirror (PMS_TF_PLUGIN_DIR); CI has both")


def _terraform(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_IN_AUTOMATION": "1"})


@pytest.mark.parametrize("env", ["prod", "staging"])
def test_the_environment_validates_with_the_locked_provider(env: str, tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform"))
    root = copy / "envs" / env
    assert (root / ".terraform.lock.hcl").is_file(), "commit the lock file of " + env
    init = _terraform(["init", "-backend=false", "-input=false", "-lockfile=readonly",
                       f"-plugin-dir={_plugin_dir()}"], root)
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]
    validate = _terraform(["validate", "-json"], root)
    report = json.loads(validate.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=1)[:4000]
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=1)[:4000]
