"""Figure 6, incremental pull with no changes: requests per entity per agency (target 1).

For every registered integration: each agency gets a full pull of every entity through
`pull_and_publish` (watermarks stored), then, with nothing changed at the sandbox, an
incremental pull of every entity; the integration's sandbox counts every request each
incremental pull makes, token requests included. An agency's entities are pulled as one
pull run pulls them: in one process, which starts with no OAuth token (the kit shares a
token between the run's clients), so the run's first entity pays for the token. The
figure is the worst entity of any integration; the details give each integration's
counts and the requests of each agency's whole incremental run.
"""

from __future__ import annotations

import importlib
from typing import Any

from bench.common import Figure, Sizes, Stack
from pms_pipelines.aws import kinesis_client
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit import Integration
from pms_pipelines.integrations.kit.auth import forget_tokens
from pms_pipelines.pulls.pull_and_publish import pull_and_publish


def _agencies(integration: Integration, sizes: Sizes) -> list[dict[str, Any]]:
    return [{"agency_id": f"f6-{i:03d}", "units": sizes.incremental_units,
             **{field: f"f6-{field}-{i:03d}" for field in integration.credential_fields}}
            for i in range(sizes.incremental_agencies)]


def _counts(stack: Stack, integration: Integration, sizes: Sizes, kinesis: Any,
            stream: str) -> dict[str, list[int]]:
    """Requests of each incremental pull, per entity, one count per agency."""
    agencies = _agencies(integration, sizes)
    sandbox = importlib.import_module(integration.sandbox_module).start_sandbox(
        agencies, rate_limit_per_s=None)
    per_entity: dict[str, list[int]] = {e: [] for e in integration.entities}
    try:
        with connect(stack.new_database("f6")) as conn:
            for full in (True, False):
                for agency in agencies:
                    forget_tokens()  # a new run process
                    # Rotated refresh tokens (PropertyMe) are saved as a pull run saves them.
                    creds = {f: agency[f] for f in integration.credential_fields}
                    for entity in integration.entities:
                        before = sum(sandbox.state.counts.values())
                        pull_and_publish(integration, agency_id=agency["agency_id"],
                                         entity=entity, credentials=creds,
                                         base_url=sandbox.base_url, conn=conn,
                                         kinesis=kinesis, stream=stream, full=full,
                                         save_credentials=creds.update)
                        if not full:
                            per_entity[entity].append(
                                sum(sandbox.state.counts.values()) - before)
                        agency.update(creds)
    finally:
        sandbox.stop()
    return per_entity


def run(stack: Stack, sizes: Sizes) -> Figure:
    stream = stack.new_stream(1, "f6")
    kinesis = kinesis_client()
    counts = {name: _counts(stack, REGISTRY[name], sizes, kinesis, stream)
              for name in sorted(REGISTRY)}
    worst = {name: max(max(v) for v in per.values()) for name, per in counts.items()}
    per_run = {name: max(map(sum, zip(*per.values()))) for name, per in counts.items()}
    breakdown = "; ".join(
        f"{name}: " + ", ".join(f"{e} {max(v)}" for e, v in per.items())
        for name, per in counts.items())
    return Figure(
        "6", "incremental pull, no changes: requests per entity per agency (worst entity "
        "of any PMS)", float(max(worst.values())), "req", target="1", target_op="<=",
        target_value=1.0, compare="ours",
        details={"per_entity_per_agency": counts, "worst_per_pms": worst,
                 "per_agency_run": per_run},
        notes=f"per entity: {breakdown}",
    )
