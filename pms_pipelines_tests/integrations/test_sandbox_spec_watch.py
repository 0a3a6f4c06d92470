"""The run-wide watch over sandbox exchanges (`sandbox_spec_watch`) finds what breaks the
vendor's spec and counts apart what the spec leaves out on purpose."""

from __future__ import annotations

import json

import pytest

from pms_pipelines.integrations.kit.sandbox_serve import SandboxExchange
from pms_pipelines_tests.integrations.spec_check import load_spec
from pms_pipelines_tests.sandbox_spec_watch import SpecWatch


def _exchange(target: str, status: int = 200, body: object = ()) -> SandboxExchange:
    return SandboxExchange("buildium", "GET", target, {"x-buildium-client-id": "a"}, status,
                           {"Content-Type": "application/json"}, json.dumps(body).encode(),
                           truncated=False)


def test_the_watch_fails_what_breaks_the_spec_and_counts_faults_apart() -> None:
    spec = load_spec("buildium-openapi.json")
    if spec is None:
        pytest.skip("buildium-openapi.json not found: set PMS_SPECS_DIR")
    watch = SpecWatch({"buildium": spec}, {"buildium": ()})
    watch.observe(_exchange("/v1/rentals?limit=5", body=[]))
    assert watch.problem_count() == 0
    watch.observe(_exchange("/v1/rentals?sinceWhen=1", body=[]))  # a drifted request
    watch.observe(_exchange("/v1/rentals", body=[{"Id": "not a number"}]))  # a bad record
    watch.observe(_exchange("/v1/rentals", 429, {"UserMessage": "Too many requests."}))
    watch.observe(_exchange("/v1/rentals", 418, {}))  # a status nobody documents
    found = " ".join(watch.found["buildium"])
    assert "'sinceWhen' is not in the spec" in found
    assert "'not a number' is not of type 'integer'" in found
    assert "status 418 is not a documented response" in found
    assert watch.problem_count() == 3 and watch.outside["buildium"] == 1
    assert watch.seen["buildium"] == 5
