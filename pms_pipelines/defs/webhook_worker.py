"""Per PMS with webhooks, a job whose one run serves the PMS's stored webhook notices as
they come (pulls/serve_notices.py), and stays while they do: a notice is served within a
second, without a run to start for it. The webhook sensor starts it when notices wait
and no run of it is on its way.

What each targeted pull published is recorded on the pull asset of its entity and
agency (an asset materialization of this run, partition = agency, `mode` = webhook),
beside the scheduled pulls; the run's `pms/notices` tag grows with the notices served.
"""

from functools import partial
from typing import Any

from dagster import AssetMaterialization, Config, OpExecutionContext, job, op

from pms_pipelines.db import agencies
from pms_pipelines.defs.pull_assets import agency_partitions, pull_asset_key, pull_metadata
from pms_pipelines.defs.resources import KinesisResource, PmsEndpoints, PostgresResource
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.pulls import names
from pms_pipelines.pulls.credentials import resolve_credentials, save_credentials
from pms_pipelines.pulls.pull_metrics import measured_pull
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines.pulls.serve_notices import Served, give_up, serve_agency, serve_pms
from pms_pipelines.pulls.webhook_targets import EntityWork
from pms_pipelines.settings import schedules


class WebhookWorkerConfig(Config):
    linger_s: float = schedules().webhook_linger_s
    """With no notice to serve, stay this long (0: serve what is due, then end)."""
    max_seconds: float = schedules().webhook_max_s
    """End after this long, whatever comes: the sensor starts the next run."""


def build_webhook_worker(integration: Integration):  # noqa: ANN201 - a Dagster job
    pms = integration.name

    @op(name=names.webhook_op_name(integration))
    def serve_webhooks(context: OpExecutionContext, config: WebhookWorkerConfig,
                       postgres: PostgresResource, kinesis: KinesisResource,
                       pms_endpoints: PmsEndpoints) -> None:
        base_url = pms_endpoints.base_url(pms, integration.default_base_url)
        served_ids: list[int] = []
        with postgres.connect("pms-webhook-worker") as conn:
            def pull(agency: agencies.Agency, entity: str, todo: EntityWork) -> Any:
                with measured_pull(pms, agency.agency_id, entity, names.WEBHOOK_MODE,
                                   conn) as measured:
                    measured.report = pull_and_publish(
                        integration, agency_id=agency.agency_id, entity=entity,
                        # Per entity: an earlier pull may have rotated a refresh token.
                        credentials=resolve_credentials(
                            agency.credentials_ref, integration.credential_fields,
                            integration.optional_fields),
                        base_url=base_url, conn=conn, kinesis=kinesis.client(),
                        stream=kinesis.stream_name, full=False, log=context.log.debug,
                        save_credentials=partial(save_credentials, agency.credentials_ref),
                        targets=todo.frozen_targets(), delete_ids=todo.deletes,
                        lock_wait_s=0,  # a scheduled pull is on: serve the others, come back
                    )
                return measured.report

            def serve(agency_id: str, ids: list[int]) -> Served:
                agency = agencies.get_agency(conn, pms, agency_id)
                conn.commit()
                if agency is None or not agency.enabled:
                    context.log.warning(f"{pms}/{agency_id} is not registered or disabled: "
                                        f"its {len(ids)} notice(s) are given up")
                    return give_up(conn, agency_id, ids, context.run_id, "agency disabled")
                if not context.instance.has_dynamic_partition(
                        agency_partitions(integration).name, agency_id):
                    return Served(agency_id, busy=True)  # the agency sensor adds it first
                served = serve_agency(conn, pms, agency_id, ids, partial(pull, agency),
                                      context.run_id)
                _record(context, integration, served, served_ids)
                return served

            report = serve_pms(conn, pms, serve, linger_s=config.linger_s,
                               max_s=config.max_seconds)
        context.log.info(
            f"{pms} webhooks: {report.served} notice(s) served, {report.gave_up} given up, "
            f"{report.failed_pulls} failed pull(s), {report.records_published} record(s) "
            f"published in {report.rounds} round(s), {report.seconds:.0f}s")

    @job(name=names.webhook_job_name(integration),
         description=f"Serves {pms}'s webhook notices with targeted pulls, as they come.",
         tags={names.PMS_TAG: pms, names.MODE_TAG: names.WEBHOOK_MODE,
               names.WEBHOOK_WORKER_TAG: pms,
               "dagster/max_runtime": str(int(schedules().webhook_max_s) + 600)})
    def webhook_worker() -> None:
        serve_webhooks()

    return webhook_worker


def _record(context: OpExecutionContext, integration: Integration, served: Served,
            served_ids: list[int]) -> None:
    for entity, report in sorted(served.reports.items()):
        context.log_event(AssetMaterialization(
            pull_asset_key(integration, entity), partition=served.agency_id,
            metadata=pull_metadata(report)))
    for entity, error in sorted(served.failures.items()):
        context.log.error(f"{integration.name}/{served.agency_id}/{entity}: targeted pull "
                          f"failed, its notices wait for a later try: {error}")
    if served.gave_up:
        context.log.error(f"{integration.name}/{served.agency_id}: {served.gave_up} "
                          "notice(s) given up after repeated failures; polls still bring "
                          "their changes")
    if served.served:
        context.log.info(f"{integration.name}/{served.agency_id}: served notice(s) "
                         f"{names.notice_span(served.served)}")
        served_ids.extend(served.served)
        context.instance.add_run_tags(
            context.run_id, {names.NOTICES_TAG: names.notice_span(sorted(served_ids))})
