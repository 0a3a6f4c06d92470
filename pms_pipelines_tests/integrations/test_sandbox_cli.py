"""Every sandbox starts alone from its command line and answers on loopback."""

from __future__ import annotations

import json
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from pms_pipelines.integrations import REGISTRY

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_sandbox_cli_serves(name: str, tmp_path: Path) -> None:
    integration = REGISTRY[name]
    agencies = tmp_path / "agencies.json"
    agencies.write_text(json.dumps([{"agency_id": "cli", "units": 5,
                                     **{f: f"{f}-cli" for f in integration.credential_fields}}]))
    process = subprocess.Popen(
        [sys.executable, "-m", integration.sandbox_module, "--port", "0",
         "--agencies-file", str(agencies), "--no-rate-limit"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        origin = None
        while origin is None and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stderr], [], [], 1.0)
            if not ready:
                continue
            line = process.stderr.readline()
            assert line or process.poll() is None, "the sandbox exited"
            # The base URL may carry the API's path prefix (PropertyMe's /api).
            found = re.search(r" on (http://127\.0\.0\.1:\d+)\S* for agencies cli", line)
            origin = found.group(1) if found else None
        assert origin, "the sandbox never said where it listens"
        assert requests.get(f"{origin}/_sandbox/health", timeout=10).status_code == 200
    finally:
        process.terminate()
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            status = Path(f"/proc/{process.pid}/status").read_text()
            process.kill()
            raise AssertionError(f"the sandbox ignored SIGTERM for 30 s: {status}") from None
    assert code == 0, f"the sandbox stopped with {code} on SIGTERM, not cleanly"

