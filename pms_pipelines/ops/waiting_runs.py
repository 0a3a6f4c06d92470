"""Cancel an agency's runs that have not started yet: a disabled agency's queued pulls
would otherwise start, fail ("not registered or disabled") and each send an alert.
Runs already running finish (a pull in progress ends as it would). Two ways in, as for
re-syncs: through the instance (the job `ops_set_agency_enabled`) and through the
webserver's GraphQL API (`python -m pms_pipelines.ops disable`)."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from pms_pipelines.ops.resync import GraphQL, GraphQLError
from pms_pipelines.pulls.names import AGENCY_TAG, agency_tag

WAITING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED]


def cancel_waiting_runs(instance: DagsterInstance, pms: str, agency_id: str) -> list[str]:
    """Cancel the agency's queued runs; their ids."""
    records = instance.get_run_records(RunsFilter(
        tags={AGENCY_TAG: agency_tag(pms, agency_id)}, statuses=WAITING))
    cancelled = []
    for record in records:
        if instance.run_coordinator.cancel_run(record.dagster_run.run_id):
            cancelled.append(record.dagster_run.run_id)
    return cancelled


_WAITING_RUNS = """
query($filter: RunsFilter!) { runsOrError(filter: $filter) { __typename
  ... on Runs { results { runId } } ... on PythonError { message } } }
"""
_TERMINATE = """
mutation($ids: [String!]!) { terminateRuns(runIds: $ids) { __typename
  ... on TerminateRunsResult { terminateRunResults { __typename
    ... on TerminateRunSuccess { run { runId } } ... on TerminateRunFailure { message } } }
  ... on PythonError { message } } }
"""


def cancel_waiting_runs_graphql(client: GraphQL, pms: str, agency_id: str) -> list[str]:
    """The same, asked of a running webserver; the ids it cancelled."""
    answer = client(_WAITING_RUNS, {"filter": {
        "tags": [{"key": AGENCY_TAG, "value": agency_tag(pms, agency_id)}],
        "statuses": [status.value for status in WAITING]}})["runsOrError"]
    if answer["__typename"] != "Runs":
        raise GraphQLError(answer.get("message", answer["__typename"]))
    ids = [run["runId"] for run in answer["results"]]
    if not ids:
        return []
    done = client(_TERMINATE, {"ids": ids})["terminateRuns"]
    if done["__typename"] != "TerminateRunsResult":
        raise GraphQLError(done.get("message", done["__typename"]))
    return [r["run"]["runId"] for r in done["terminateRunResults"]
            if r["__typename"] == "TerminateRunSuccess"]
