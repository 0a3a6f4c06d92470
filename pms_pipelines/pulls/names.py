"""How a PMS's pulls are named in Dagster: asset keys, agency partitions, the job, its
run config and tags.

Plain data, so the Dagster layer (`defs/`) and the operations (`ops/`, whose command
line reaches the webserver over GraphQL) name the same things without `ops/` importing
the Dagster layer's modules.
"""

from __future__ import annotations

from typing import Any

from pms_pipelines.integrations.kit.integration import Integration

AGENCY_TAG = "pms/agency"  # "<pms>/<agency id>": the run queue runs one pull per agency
PMS_TAG = "pms/pms"
MODE_TAG = "pms/mode"
NOTICES_TAG = "pms/notices"  # the webhook notices a webhook worker run served
WEBHOOK_MODE = "webhook"  # MODE_TAG of the webhook worker's runs
WEBHOOK_WORKER_TAG = "pms/webhooks"  # <pms>: the run queue runs one worker per PMS


def asset_key_path(integration: Integration, entity: str) -> list[str]:
    return [integration.name, entity]


def partitions_name(integration: Integration) -> str:
    return f"{integration.name}_agencies"


def pull_op_name(integration: Integration) -> str:
    return f"{integration.name}_pull"


def pull_job_name(integration: Integration) -> str:
    return f"{pull_op_name(integration)}_job"


def pull_run_config(integration: Integration, *, full: bool, republish: bool = False
                    ) -> dict[str, Any]:
    config: dict[str, Any] = {"full": full, **({"republish": True} if republish else {})}
    return {"ops": {pull_op_name(integration): {"config": config}}}


def webhook_op_name(integration: Integration) -> str:
    return f"{integration.name}_serve_webhooks"


def webhook_job_name(integration: Integration) -> str:
    return f"{integration.name}_webhook_worker"


def notice_span(ids: list[int]) -> str:
    """Notice ids, sorted, shortly: "7", or "7..90 (12)"."""
    return f"{ids[0]}" if len(ids) == 1 else f"{ids[0]}..{ids[-1]} ({len(ids)})"


def agency_tag(pms: str, agency_id: str) -> str:
    """The value of AGENCY_TAG on the agency's runs."""
    return f"{pms}/{agency_id}"


def pull_run_tags(integration: Integration, agency_id: str, *, full: bool,
                  mode: str | None = None) -> dict[str, str]:
    return {AGENCY_TAG: agency_tag(integration.name, agency_id),
            MODE_TAG: mode or ("full" if full else "incremental")}
