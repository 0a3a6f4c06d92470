"""The image installs requirements.txt only, and every production entry point loads
without the local stack's packages (moto, pgserver, duckdb: requirements-local.txt)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL_ONLY = ("moto", "pgserver", "duckdb")
# What the ECS task definitions run (terraform/modules/dagster): the code server and
# every run load the definitions; the receiver, the migration and the operators' CLI.
ENTRY_POINTS = ("pms_pipelines.definitions", "pms_pipelines.webhooks.serve",
                "pms_pipelines.db.migrate", "pms_pipelines.ops.cli")

# Run in a fresh interpreter where importing a local-only package fails, as in the image.
PROBE = """
import importlib, importlib.abc, sys
BLOCKED = {blocked!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is not installed in the image")
sys.meta_path.insert(0, Block())
importlib.import_module({module!r})
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not loaded, loaded
"""


def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            names.add(re.split(r"[\[=<>~!]", line)[0].lower())
    return names


def test_the_image_requirements_hold_none_of_the_local_stack() -> None:
    production = _requirement_names(ROOT / "requirements.txt")
    local = _requirement_names(ROOT / "requirements-local.txt")
    assert not production & set(LOCAL_ONLY)
    assert set(LOCAL_ONLY) <= local
    assert "-r requirements.txt" in (ROOT / "requirements-local.txt").read_text()
    assert "-r requirements-local.txt" in (ROOT / "requirements-dev.txt").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"pip install -r (\S+)", dockerfile) == ["requirements.txt"]
    assert "requirements-local" not in dockerfile and "requirements-dev" not in dockerfile
    stages = re.findall(r"^FROM ", dockerfile, re.MULTILINE)
    assert len(stages) == 2 and "COPY --from=build /opt/venv" in dockerfile
    assert re.search(r"^USER 10001:10001$", dockerfile, re.MULTILINE)  # not root


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_a_production_entry_point_loads_without_local_packages(module: str) -> None:
    assert (ROOT / (module.replace(".", "/") + ".py")).exists(), module
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(blocked=LOCAL_ONLY, module=module)],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
        env={"PMS_ENV": "prod", "PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_probe_would_see_a_local_package() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(blocked=LOCAL_ONLY,
                                            module="pms_pipelines.lake.query")],
        capture_output=True, text=True, timeout=180, cwd=ROOT, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode != 0 and "duckdb is not installed" in result.stderr
