"""Re-sync an agency: a full pull of every entity that publishes every record, unchanged
ones too, as an asset backfill of its partition.

Why: a mapping fix (the stream's events would be stale under the version rule; a full
pull publishes every record again with a new version, and the consumer writes each row
whose content changed), a retention gap, an agency that was disabled for long. A loader
fix that stores unchanged events differently must also clear the rows' `event_id` in
its migration: the consumer does not rewrite a row with the incoming event's id. The
backfill targets the agency's partition of every pull asset of its PMS, with the pull's
`full: true, republish: true` config and the same tags as
the scheduled pulls, so the run queue's one-pull-per-agency limit (`pms/agency`)
applies. The Dagster daemon's backfill loop launches the runs (`dagster dev` runs it).

Two ways in, one backfill: through the instance (the job `ops_resync_agency`) and
through the webserver's GraphQL API (`python -m pms_pipelines.ops resync`).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster import AssetKey, AssetsDefinition, DagsterInstance
# Private: Dagster has no public API to store an asset backfill from code (the UI and
# GraphQL do it; the job `ops_resync_agency` runs in the instance, without a
# webserver). Pinned by ops/test_resync.py: the job's and the CLI's backfills launch the
# same full pulls, one per agency at a time.
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.execution.backfill import PartitionBackfill
from dagster._core.utils import make_new_backfill_id

from pms_pipelines.db import agencies
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.pulls import names

OPS_TAG = "pms/ops"
MAX_RUNTIME_S = "3600"  # the pull job's own limit; a backfill run is of the asset job


@dataclass(frozen=True)
class ResyncRequest:
    """What a re-sync backfill holds: the assets, the partition, the config, the tags."""

    integration: Integration
    agency_id: str

    @property
    def asset_keys(self) -> list[AssetKey]:
        return [AssetKey(names.asset_key_path(self.integration, e))
                for e in self.integration.entities]

    @property
    def partitions_name(self) -> str:
        return names.partitions_name(self.integration)

    @property
    def run_config(self) -> dict[str, Any]:
        return names.pull_run_config(self.integration, full=True, republish=True)

    @property
    def tags(self) -> dict[str, str]:
        tags = names.pull_run_tags(self.integration, self.agency_id, full=True)
        return {**tags, names.PMS_TAG: self.integration.name,
                "dagster/max_runtime": MAX_RUNTIME_S, OPS_TAG: "resync"}

    @property
    def title(self) -> str:
        return f"re-sync {self.integration.name} {self.agency_id}"


def resync_request(conn: Any, registry: Mapping[str, Integration], pms: str,
                   agency_id: str) -> ResyncRequest:
    """The re-sync of a registered, enabled agency; a clear error otherwise."""
    if pms not in registry:
        raise ValueError(f"unknown PMS {pms!r}: registered integrations are "
                         f"{', '.join(sorted(registry))}")
    agency = agencies.get_agency(conn, pms, agency_id)
    conn.commit()
    if agency is None:
        raise LookupError(f"agency {pms}/{agency_id} is not registered")
    if not agency.enabled:
        raise ValueError(f"agency {pms}/{agency_id} is disabled: enable it first")
    return ResyncRequest(registry[pms], agency_id)


def launch_backfill(instance: DagsterInstance, request: ResyncRequest,
                    pull_assets: AssetsDefinition) -> str:
    """Store the backfill in the instance (the daemon launches its runs); its id.

    The backfill names assets and a partition; the graph of the PMS's pull assets (the
    caller's, from the Dagster layer) is all it needs to check them (the daemon runs it
    against the code location's)."""
    if not instance.has_dynamic_partition(request.partitions_name, request.agency_id):
        # Registered moments ago, before the agency sensor's tick: its first pull is this.
        instance.add_dynamic_partitions(request.partitions_name, [request.agency_id])
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=make_new_backfill_id(),
        asset_graph=AssetGraph.from_assets([pull_assets]),
        partition_names=[request.agency_id],
        asset_selection=request.asset_keys,
        backfill_timestamp=time.time(),
        tags=request.tags,
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=request.title,
        description=None,
        run_config=request.run_config,
    )
    instance.add_backfill(backfill)
    return backfill.backfill_id


class GraphQLError(RuntimeError):
    """The webserver refused the request or answered with an error."""


class GraphQL:
    """A minimal client of the Dagster webserver's `/graphql` endpoint."""

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        self.url = url.rstrip("/") + "/graphql"
        self.timeout_s = timeout_s

    def __call__(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": dict(variables)}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read())
        except urllib.error.URLError as error:
            raise GraphQLError(f"cannot reach the Dagster webserver at {self.url}: {error}") \
                from error
        if answer.get("errors"):
            raise GraphQLError("; ".join(e.get("message", str(e)) for e in answer["errors"]))
        return answer["data"]


_REPOSITORIES = """
query { repositoriesOrError { __typename
  ... on RepositoryConnection { nodes { name location { name } jobs { name } } }
  ... on PythonError { message } } }
"""
_ADD_PARTITION = """
mutation($repo: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $repo, partitionsDefName: $name, partitionKey: $key) {
    __typename ... on Error { message } } }
"""
_LAUNCH = """
mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }
"""
_STATUS = """
query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { status } ... on Error { message } } }
"""


def launch_backfill_graphql(client: GraphQL, request: ResyncRequest) -> str:
    """The same backfill as `launch_backfill`, asked of a running webserver; its id."""
    job = request.integration.name + "_pull_job"
    repositories = client(_REPOSITORIES, {})["repositoriesOrError"]
    if repositories["__typename"] != "RepositoryConnection":
        raise GraphQLError(repositories.get("message", repositories["__typename"]))
    holding = [r for r in repositories["nodes"] if any(j["name"] == job for j in r["jobs"])]
    if len(holding) != 1:
        raise GraphQLError(f"{len(holding)} code locations hold {job}, expected one")
    selector = {"repositoryName": holding[0]["name"],
                "repositoryLocationName": holding[0]["location"]["name"]}
    added = client(_ADD_PARTITION, {"repo": selector, "name": request.partitions_name,
                                    "key": request.agency_id})["addDynamicPartition"]
    if added["__typename"] not in ("AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError"):
        raise GraphQLError(added.get("message", added["__typename"]))
    params = {
        "assetSelection": [{"path": key.path} for key in request.asset_keys],
        "partitionNames": [request.agency_id],
        "runConfigData": request.run_config,
        "tags": [{"key": k, "value": v} for k, v in request.tags.items()],
        "title": request.title,
    }
    launched = client(_LAUNCH, {"params": params})["launchPartitionBackfill"]
    if launched["__typename"] != "LaunchBackfillSuccess":
        raise GraphQLError(launched.get("message", launched["__typename"]))
    return launched["backfillId"]


FINISHED = ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED")


def backfill_status(client: GraphQL, backfill_id: str) -> str:
    """REQUESTED while runs remain; then one of `FINISHED`."""
    answer = client(_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
    if answer["__typename"] != "PartitionBackfill":
        raise GraphQLError(answer.get("message", answer["__typename"]))
    return answer["status"]
