"""Dagster's GraphQL API (dagster-graphql, served by the webserver at /graphql): what the
browser test launches and what it reads that the UI cannot show reliably."""

from __future__ import annotations

import time
from typing import Any

import requests

DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def graphql(base_url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(f"{base_url}/graphql", json={"query": query, "variables": variables or {}},
                             timeout=30)
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise AssertionError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def location_status(base_url: str) -> dict[str, str]:
    """Each code location's load status, or its load error."""
    data = graphql(base_url, """{ workspaceOrError { __typename ... on Workspace {
        locationEntries { name loadStatus locationOrLoadError { __typename
            ... on PythonError { message } } } } } }""")
    entries = data["workspaceOrError"].get("locationEntries", [])
    return {
        e["name"]: (e["locationOrLoadError"] or {}).get("message") or e["loadStatus"]
        for e in entries
    }


def launch_asset_backfill(
    base_url: str, asset_keys: list[list[str]], partitions: list[str], tags: dict[str, str],
) -> str:
    data = graphql(base_url, """mutation($params: LaunchBackfillParams!) {
        launchPartitionBackfill(backfillParams: $params) { __typename
            ... on LaunchBackfillSuccess { backfillId }
            ... on PythonError { message }
            ... on PartitionSetNotFoundError { message }
            ... on InvalidSubsetError { message }
            ... on UnauthorizedError { message } } }""", {"params": {
        "assetSelection": [{"path": key} for key in asset_keys],
        "partitionNames": partitions,
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
        "title": "browser test",
    }})
    result = data["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise AssertionError(f"backfill of {partitions} not launched: {result}")
    return result["backfillId"]


def wait_for_backfill(base_url: str, backfill_id: str, timeout_s: float) -> dict[str, Any]:
    """The backfill once it is done: its status and its runs' statuses."""
    deadline = time.monotonic() + timeout_s
    while True:
        data = graphql(base_url, """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
            __typename ... on PartitionBackfill { status partitionNames runs(limit: 50) { runId status } }
            ... on PythonError { message } } }""", {"id": backfill_id})
        backfill = data["partitionBackfillOrError"]
        if backfill["__typename"] != "PartitionBackfill":
            raise AssertionError(f"backfill {backfill_id}: {backfill}")
        if backfill["status"] in DONE:
            return backfill
        if time.monotonic() > deadline:
            raise AssertionError(f"backfill {backfill_id} not done after {timeout_s:.0f}s: {backfill}")
        time.sleep(2)


def launch_job(base_url: str, location: str, job: str, run_config: dict[str, Any]) -> str:
    """Launch a run of `job` as the launchpad does; its run id."""
    data = graphql(base_url, """mutation($params: ExecutionParams!) {
        launchRun(executionParams: $params) { __typename
            ... on LaunchRunSuccess { run { runId } }
            ... on PythonError { message }
            ... on RunConfigValidationInvalid { errors { message } }
            ... on InvalidSubsetError { message }
            ... on UnauthorizedError { message } } }""", {"params": {
        "selector": {"repositoryLocationName": location, "repositoryName": "__repository__",
                     "jobName": job},
        "runConfigData": run_config,
    }})
    result = data["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise AssertionError(f"{job} not launched: {result}")
    return result["run"]["runId"]


def wait_for_run(base_url: str, run_id: str, timeout_s: float) -> str:
    """The run's status once it finished."""
    deadline = time.monotonic() + timeout_s
    while True:
        data = graphql(base_url, """query($id: ID!) { runOrError(runId: $id) {
            __typename ... on Run { status } ... on PythonError { message } } }""",
                       {"id": run_id})
        run = data["runOrError"]
        if run["__typename"] != "Run":
            raise AssertionError(f"run {run_id}: {run}")
        if run["status"] in {"SUCCESS", "FAILURE", "CANCELED"}:
            return run["status"]
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} not done after {timeout_s:.0f}s: {run}")
        time.sleep(2)


def runs_of(base_url: str, job: str, tags: dict[str, str]) -> list[dict[str, str]]:
    """The runs of `job` carrying `tags`, newest first: run id and status."""
    data = graphql(base_url, """query($filter: RunsFilter!) { runsOrError(filter: $filter) {
        __typename ... on Runs { results { runId status } } ... on PythonError { message } } }""",
                   {"filter": {"pipelineName": job,
                               "tags": [{"key": k, "value": v} for k, v in tags.items()]}})
    runs = data["runsOrError"]
    if runs["__typename"] != "Runs":
        raise AssertionError(f"runs of {job}: {runs}")
    return runs["results"]
