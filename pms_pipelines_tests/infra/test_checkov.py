"""checkov finds nothing in terraform/, and every skip says why beside the resource.

checkov lives in its own virtualenv (.venv-checkov, requirements-checkov.txt) because its
pins clash with ours; `make test` builds it before pytest runs.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from pms_pipelines_tests.infra.terraform_config import TERRAFORM_DIR

ROOT = TERRAFORM_DIR.parent
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(CKV2?_AWS_\d+)(?::(.*))?")


def test_every_checkov_skip_has_a_reason() -> None:
    skips = [
        (path.relative_to(ROOT), match)
        for path in TERRAFORM_DIR.rglob("*.tf")
        for match in SKIP_COMMENT.finditer(path.read_text())
    ]
    assert skips, "expected the documented skips (see terraform/README.md)"
    unexplained = [f"{path}: {m.group(1)}" for path, m in skips if len((m.group(2) or "").strip()) < 20]
    assert not unexplained, f"skips without a reason: {unexplained}"


@pytest.mark.skipif(
    not CHECKOV.exists(), reason="checkov venv missing: run `make test` (or `make checkov`) to build .venv-checkov"
)
def test_checkov_finds_no_failed_checks() -> None:
    result = subprocess.run(
        [str(CHECKOV), "--directory", str(TERRAFORM_DIR), "--framework", "terraform",
         "--skip-download", "--quiet", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    # --quiet drops passed checks from the JSON; the summary still counts them.
    assert sum(r.get("summary", {}).get("passed", 0) for r in reports) > 0
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert result.returncode == 0, result.stderr[-2000:]
