"""The lake in the one Definitions: lineage stream -> lake -> Athena, a daily job, a schedule."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import AssetKey, build_schedule_context

from pms_pipelines.canonical import ENTITIES


def test_lineage_reads_stream_to_lake_to_athena() -> None:
    from pms_pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    for entity in ENTITIES:
        lake, athena = graph.get(AssetKey(["lake", entity])), graph.get(AssetKey(["athena", entity]))
        assert lake.parent_keys == {AssetKey(["stream", "pms_events"])}
        assert athena.parent_keys == {lake.key}
        assert lake.group_name == athena.group_name == "lake"
        assert lake.partitions_def is not None and not athena.is_materializable
        assert {c.name for c in lake.check_keys} == {"complete", "schema_matches", "masked"}


def test_the_schedule_compacts_yesterday_and_locally_today() -> None:
    from pms_pipelines.definitions import defs
    from pms_pipelines.defs.lake_assets import lake_compaction_schedule

    context = build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 10, 1, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    )
    # evaluate_tick applies Dagster's own rules (several requests need distinct run keys).
    requests = lake_compaction_schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-03-09", "2026-03-10"]  # PMS_ENV=local
    assert len({r.run_key for r in requests}) == 2
