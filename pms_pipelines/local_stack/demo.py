"""The headless demo: the real jobs, run in this process against the local stack."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from dagster import DagsterInstance

from pms_pipelines.canonical import ENTITIES
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.local_stack.stack import LocalStack
from pms_pipelines.aws import kinesis_client

MAX_CONSUME_ROUNDS = 50
# The demo prints its own progress; Dagster's step events stay in the run records.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_demo(stack: LocalStack) -> int:
    # Imported here: the definitions read the environment the stack just set.
    from pms_pipelines.defs.agency_sensor import pull_run_request
    from pms_pipelines.defs.consume_assets import CONSUME_JOB
    from pms_pipelines.defs.pull_assets import agency_partitions
    from pms_pipelines.definitions import defs
    from pms_pipelines.integrations import REGISTRY

    instance = DagsterInstance.ephemeral()
    url = stack.env["PMS_DATABASE_URL"]
    failures: list[str] = []
    started = time.monotonic()
    agency_ids = {}
    for name, integration in REGISTRY.items():
        with connect(url) as conn:
            agency_ids[name] = [a.agency_id for a in agencies.list_agencies(conn, pms=name)]
        instance.add_dynamic_partitions(agency_partitions(integration).name, agency_ids[name])

    def pull_every_agency(label: str) -> int:
        """A full pull of every agency; returns the events it published."""
        published = 0
        for name, integration in REGISTRY.items():
            for agency_id in agency_ids[name]:
                request = pull_run_request(integration, agency_id, full=True)
                result = defs.resolve_job_def(request.job_name).execute_in_process(
                    run_config={**request.run_config, **QUIET}, partition_key=agency_id,
                    instance=instance, tags=request.tags, raise_on_error=False,
                )
                sent = sum(m.materialization.metadata["published"].value
                           for m in result.get_asset_materialization_events())
                published += sent
                print(f"{label} {name}/{agency_id}: "
                      f"{f'ok, {sent} events published' if result.success else 'FAILED'}",
                      flush=True)
                if not result.success:
                    failures.append(f"{label} {name}/{agency_id}")
        return published

    pull_every_agency("pull")
    if not failures:
        # Nothing changed at the PMS since: only real changes travel, so nothing does.
        again = pull_every_agency("pull again")
        print(f"full pull of every agency again, no change at the PMS: {again} events "
              "published (only real changes travel)", flush=True)
        if again:
            failures.append(f"{again} events published by a pull of unchanged agencies")

    consume_job = defs.resolve_job_def(CONSUME_JOB)
    kinesis = kinesis_client()
    for _ in range(MAX_CONSUME_ROUNDS):
        with connect(url) as conn:
            planned, _listed = shards_to_consume(
                kinesis, conn, stack.env["PMS_STREAM_NAME"], set(), 64
            )
        if not planned:
            break
        for shard_id in planned:
            result = consume_job.execute_in_process(
                run_config={
                    "ops": {"consume_stream": {"config": {"shard_id": shard_id}}}, **QUIET
                },
                instance=instance, raise_on_error=False,
            )
            print(f"consume {shard_id}: {'ok' if result.success else 'FAILED'}", flush=True)
            if not result.success:
                failures.append(f"consume {shard_id}")
                break
    else:
        failures.append(f"not caught up after {MAX_CONSUME_ROUNDS} consume rounds")

    failures += _compact_and_query(defs, instance)
    problems = _print_summary(url, sorted(REGISTRY), time.monotonic() - started)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures or problems else 0


def _compact_and_query(defs, instance: DagsterInstance) -> list[str]:
    """Compact today's handled events into the lake, then ask it the documented questions."""
    from pms_pipelines.defs.lake_assets import LAKE_JOB
    from pms_pipelines.lake import query
    from pms_pipelines.lake.examples import EXAMPLES

    today = datetime.now(UTC).date().isoformat()
    result = defs.resolve_job_def(LAKE_JOB).execute_in_process(
        run_config=QUIET, partition_key=today, instance=instance, raise_on_error=False)
    failed = [f"{e.asset_key.to_user_string()} {e.check_name}"
              for e in result.get_asset_check_evaluations() if not e.passed]
    print(f"\nlake {today}: {'ok' if result.success else 'FAILED'}, "
          f"checks {'all passed' if not failed else 'FAILED: ' + ', '.join(failed)}", flush=True)
    if not result.success:
        return [f"lake compaction {today}"]
    args = [arg for name in EXAMPLES for arg in ("--example", name)]
    print("\n$ python -m pms_pipelines.lake.query " + " ".join(args), flush=True)
    code = query.main(args)
    return [f"lake check {name}" for name in failed] + (["lake query"] if code else [])


def _print_summary(url: str, sources: list[str], seconds: float) -> list[str]:
    """Rows per source and table; returns what is wrong (an empty table, dead letters)."""
    with connect(url) as conn:
        counts = {
            (source, table): (total, live)
            for table in ENTITIES
            for source, total, live in conn.execute(
                f"SELECT source, count(*), count(*) FILTER (WHERE deleted_at IS NULL) "
                f"FROM pms.{table} GROUP BY source"
            ).fetchall()
        }
        links = {
            table: conn.execute(f"SELECT count(*) FROM pms.{table}").fetchone()[0]
            for table in ("property_landlord", "tenancy_tenant")
        }
        dead = conn.execute("SELECT count(*) FROM ingest.dead_letter").fetchone()[0]
    print(f"\nrows after {seconds:.0f}s (live in brackets):")
    print(f"  {'source':<14}" + "".join(f"{t:>16}" for t in ENTITIES))
    for source in sources:
        cells = [counts.get((source, t), (0, 0)) for t in ENTITIES]
        print(f"  {source:<14}" + "".join(f"{f'{n} ({live})':>16}" for n, live in cells))
    for table, count in links.items():
        print(f"  pms.{table}: {count}")
    print(f"  ingest.dead_letter: {dead}")
    problems = [f"pms.{t} has no {s} rows" for s in sources for t in ENTITIES
                if counts.get((s, t), (0, 0))[0] == 0]
    if dead:
        problems.append(f"{dead} dead letters")
    for problem in problems:
        print(f"FAILED: {problem}")
    return problems
