"""Sandbox responses validate against the response schemas of Buildium's own OpenAPI spec.

The spec is not copied into the repo; it is read from `$PMS_SPECS_DIR` (default
`../shared/pms_specs` next to the repo) and the tests skip, saying so, when it is absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pms_pipelines.integrations.buildium.sandbox import RunningSandbox, start_sandbox
from pms_pipelines_tests.fixtures.sandbox import SandboxAgency

SPEC = Path(os.environ.get("PMS_SPECS_DIR", Path(__file__).resolve().parents[4] / "shared/pms_specs")
            ) / "buildium-openapi.json"
ENDPOINTS = ["/v1/rentals", "/v1/rentals/units", "/v1/rentals/owners", "/v1/leases/tenants",
             "/v1/leases", "/v1/leases/rent"]
CREDS = {"client_id": "spec-check", "client_secret": "not-a-real-secret"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"Buildium spec not found at {SPEC}; set PMS_SPECS_DIR to validate")
    return nullable_refs(json.loads(SPEC.read_text()))


def nullable_refs(node: Any) -> Any:
    """The spec marks nested messages `{"allOf": [{"$ref": ...}], "nullable": true}`; OAS 3.0
    validators apply the referenced schema (which is not nullable) to a null and reject it,
    although the spec's authors mean "may be null". Say that explicitly with anyOf."""
    if isinstance(node, list):
        return [nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: nullable_refs(value) for key, value in node.items()}
    if node.get("nullable") and "allOf" in node:
        return {"anyOf": [{"allOf": node.pop("allOf")}, {"enum": [None]}], **node}
    return node


@pytest.fixture(scope="module")
def generated() -> Iterator[RunningSandbox]:
    running = start_sandbox([{"agency_id": "spec", **CREDS, "units": 40}], rate_limit_per_s=None)
    running.churn_once()  # churned records must conform too
    yield running
    running.stop()


def validate(spec: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    root = {**schema, "components": spec["components"]}
    errors = list(OAS30Validator(root, format_checker=oas30_format_checker).iter_errors(body))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def response_schema(spec: dict[str, Any], path: str, status: str) -> dict[str, Any]:
    return spec["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]


def get(base_url: str, path: str, creds: dict[str, str], **params: Any) -> requests.Response:
    return requests.get(base_url + path, params=params, timeout=10, headers={
        "x-buildium-client-id": creds["client_id"],
        "x-buildium-client-secret": creds["client_secret"]})


@pytest.mark.parametrize("path", ENDPOINTS)
def test_generated_responses_match_the_spec(spec: dict, generated: RunningSandbox, path: str
                                            ) -> None:
    response = get(generated.base_url, path, CREDS, limit=1000)
    assert response.status_code == 200 and response.json()
    assert "X-Total-Count" in spec["paths"][path]["get"]["responses"]["200"]["headers"]
    validate(spec, response_schema(spec, path, "200"), response.json())


@pytest.mark.parametrize("path", ENDPOINTS)
def test_fixture_responses_match_the_spec(spec: dict, buildium_sandbox: SandboxAgency, path: str
                                          ) -> None:
    response = get(buildium_sandbox.base_url, path, buildium_sandbox.credentials)
    validate(spec, response_schema(spec, path, "200"), response.json())


def test_single_lease_matches_the_spec(spec: dict, buildium_sandbox: SandboxAgency) -> None:
    response = get(buildium_sandbox.base_url, "/v1/leases/501", buildium_sandbox.credentials)
    assert response.status_code == 200
    validate(spec, response_schema(spec, "/v1/leases/{leaseId}", "200"), response.json())


@pytest.mark.parametrize("creds, params, status", [
    ({"client_id": "spec-check", "client_secret": "wrong"}, {}, "401"),
    (CREDS, {"limit": 0}, "400"),
    (CREDS, {"lastupdatedfrom": "yesterday"}, "400"),
], ids=["unauthorized", "bad-limit", "bad-timestamp"])
def test_error_bodies_match_the_spec(spec: dict, generated: RunningSandbox, creds: dict,
                                     params: dict, status: str) -> None:
    response = get(generated.base_url, "/v1/rentals", creds, **params)
    assert str(response.status_code) == status
    validate(spec, response_schema(spec, "/v1/rentals", status), response.json())
