"""terraform/ is in canonical `terraform fmt` layout (CI runs the same check)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pms_pipelines_tests.infra.terraform_config import TERRAFORM_DIR


@pytest.mark.skipif(
    shutil.which("terraform") is None,
    reason="terraform is not installed; CI's `terraform fmt -check` step still runs it",
)
def test_terraform_is_formatted() -> None:
    # fmt needs no providers and no network; validate/init would, so they are not run.
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-list=true", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"not formatted (run `terraform fmt -recursive terraform`):\n{result.stdout}{result.stderr}"
