"""Figure 6, incremental pull with no changes: requests per entity per agency (target 1).

Each agency gets a full pull of every entity through `pull_and_publish` (watermarks
stored), then, with nothing changed at the sandbox, an incremental pull of every entity;
the sandbox counts the requests each incremental pull makes.
"""

from __future__ import annotations

from bench.common import Figure, Sizes, Stack, sandbox_agencies
from pms_pipelines.aws import kinesis_client
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations.buildium import INTEGRATION
from pms_pipelines.integrations.buildium.sandbox import start_sandbox
from pms_pipelines.pulls.pull_and_publish import pull_and_publish


def run(stack: Stack, sizes: Sizes) -> Figure:
    agencies = sandbox_agencies(sizes.incremental_agencies, sizes.incremental_units, "f6")
    sandbox = start_sandbox(agencies, rate_limit_per_s=None)
    stream = stack.new_stream(1, "f6")
    kinesis = kinesis_client()
    per_entity: dict[str, list[int]] = {e: [] for e in INTEGRATION.entities}
    try:
        with connect(stack.new_database("f6")) as conn:
            for full in (True, False):
                for agency in agencies:
                    creds = {"client_id": agency["client_id"],
                             "client_secret": agency["client_secret"]}
                    for entity in INTEGRATION.entities:
                        before = sum(sandbox.state.counts.values())
                        pull_and_publish(INTEGRATION, agency_id=agency["agency_id"],
                                         entity=entity, credentials=creds,
                                         base_url=sandbox.base_url, conn=conn,
                                         kinesis=kinesis, stream=stream, full=full)
                        if not full:
                            per_entity[entity].append(
                                sum(sandbox.state.counts.values()) - before)
    finally:
        sandbox.stop()
    worst = max(max(v) for v in per_entity.values())
    mean = sum(sum(v) for v in per_entity.values()) / sum(len(v) for v in per_entity.values())
    breakdown = ", ".join(f"{e} {max(v)}" for e, v in per_entity.items())
    return Figure(
        "6", "incremental pull, no changes: requests per entity per agency (worst entity)",
        float(worst), "req", target="1", target_op="<=", target_value=1.0, compare="ours",
        details={"per_entity_per_agency": per_entity, "mean": mean},
        notes=f"per entity: {breakdown}",
    )
