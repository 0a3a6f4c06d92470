"""What the reliability scenarios share: event builders, draining a stream the way the
sensor would, and comparing the tables with what the events say they must hold."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pms_pipelines.canonical import ENTITIES, Contact, Event, Tenancy, Tenant, make_event
from pms_pipelines.db.batch_result import BatchResult
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db.connection import connect
from pms_pipelines.stream.reader import StartPosition, list_shards, read_shard
from pms_pipelines.stream.records import OutgoingRecord, StreamRecord

T0 = datetime(2026, 3, 1, tzinfo=UTC)
RowKey = tuple[str, str, str, str]  # entity, source, agency_id, source_id


def tenant_events(
    count: int, *, agency: str = "rel", versions: int = 1, seed: int = 7,
    start: datetime = T0, delete_every: int = 0,
) -> list[Event]:
    """`count` tenants (and a tenancy per 4), each observed `versions` times; shuffled
    within a record's own order is kept by publishing in the returned order."""
    rng = random.Random(seed)
    events: list[Event] = []
    for step in range(versions):
        moment = start + timedelta(hours=step)
        for i in range(count):
            if delete_every and step == versions - 1 and i % delete_every == 0:
                data = None
            else:
                data = Tenant(first_name=f"N{step}-{rng.randrange(1000)}", last_name=f"T{i}",
                              contact=Contact(email=f"t{i}.{step}@example.org"))
            events.append(make_event(source="buildium", agency_id=agency, entity="tenant",
                                     source_id=str(i), data=data,
                                     observed_at=moment + timedelta(microseconds=i)))
            if i % 4 == 0:
                events.append(make_event(
                    source="buildium", agency_id=agency, entity="tenancy", source_id=f"L{i}",
                    observed_at=moment + timedelta(microseconds=i),
                    data=Tenancy(property_id=f"P{i}", tenant_ids=(str(i), str(i + 1)),
                                 is_periodic=step % 2 == 0, rent_frequency="monthly",
                                 status="active")))
    return events


def outgoing(events: Iterable[Event]) -> list[OutgoingRecord]:
    return [OutgoingRecord(e.key, e.to_bytes()) for e in events]


def read_everything(client: Any, stream: str) -> list[StreamRecord]:
    """Every record the stream holds, shard by shard (a clean client: no faults)."""
    records: list[StreamRecord] = []
    for shard in list_shards(client, stream):
        for batch in read_shard(client, stream, shard["ShardId"], StartPosition(),
                                batch_limit=10_000, sleep=lambda s: None):
            records.extend(batch.records)
    return records


@dataclass
class Drain:
    runs: int = 0
    failed_runs: int = 0
    errors: Counter = field(default_factory=Counter)
    loaded_ids: Counter = field(default_factory=Counter)  # (event_id, version) -> loads
    records: int = 0
    rejected: int = 0
    applied: list = field(default_factory=list)  # (shard_id, record key, version) loaded
    run_log: list = field(default_factory=list)  # (shard_id, shard_ended, records) per run


def drain(kinesis: Any, db_url: str, stream: str, *, batch_limit: int = 500,
          max_runs: int = 200, drained: Drain | None = None,
          before_commit: Callable[[Any, BatchResult], None] | None = None) -> Drain:
    """Run the consumer per ready shard until none has work, as the sensor would; a run
    that raises is counted and simply started again (the sensor's next tick).
    `before_commit` is the consume job's hook too (the lake sender)."""
    drained = drained or Drain()

    def count_loaded(conn: Any, result: BatchResult) -> None:
        if before_commit is not None:
            before_commit(conn, result)
        for outcome in result.outcomes:
            if outcome.outcome == "loaded" and outcome.event is not None:
                pending[(outcome.event.event_id, outcome.event.version)] += 1
                applied.append((shard_id, outcome.event.key, outcome.event.version))

    with connect(db_url, application_name="pms-reliability") as conn:
        while drained.runs < max_runs:
            try:
                planned, _ = shards_to_consume(kinesis, conn, stream, set(), 64)
            except Exception as error:  # noqa: BLE001 - a failed tick; the next one retries
                conn.rollback()
                drained.errors[type(error).__name__] += 1
                continue
            if not planned:
                return drained
            for shard_id in planned:
                drained.runs += 1
                pending: Counter = Counter()
                applied: list = []
                try:
                    report = consume_shard(kinesis, conn, stream, shard_id,
                                           batch_limit=batch_limit, before_commit=count_loaded)
                    drained.run_log.append((shard_id, report.shard_ended, report.records))
                    drained.records += report.records
                    drained.rejected += report.rejected
                except Exception as error:  # noqa: BLE001 - the run failed; rerun
                    conn.rollback()
                    drained.failed_runs += 1
                    drained.errors[getattr(error, "response", {}).get("Error", {}).get(
                        "Code", type(error).__name__)] += 1
                # Batches commit one by one: what the hook saw was committed, except a
                # batch whose commit itself failed, which the version rule makes harmless.
                drained.loaded_ids.update(pending)
                drained.applied.extend(applied)
    raise AssertionError(f"the consumer never caught up in {max_runs} runs: {drained}")


def applied_versions(events: Sequence[Event]) -> dict[RowKey, list[int]]:
    """Per key, the versions a consumer writes, oldest first: each event newer than the
    last written whose content (event id) differs from it. The same content again, at a
    newer version, rewrites nothing."""
    written: dict[RowKey, list[Event]] = {}
    for event in sorted(events, key=lambda e: e.version):  # stable: ties keep the first
        key = (event.entity, event.source, event.agency_id, event.source_id)
        last = written.setdefault(key, [])
        if not last or (event.version > last[-1].version
                        and event.event_id != last[-1].event_id):
            last.append(event)
    return {k: [e.version for e in applied] for k, applied in written.items()}


def expected_rows(events: Sequence[Event]) -> dict[RowKey, tuple[frozenset[int], str, bool]]:
    """Per key, the row the consumer must hold: the newest event's content, as (versions
    it may carry, event_id, deleted). The same content again at a newer version rewrites
    nothing, so the row carries the version of whichever event of the newest run of
    that content was applied (one by one: the run's first; in one batch: its newest)."""
    runs: dict[RowKey, list[Event]] = {}
    for event in sorted(events, key=lambda e: e.version):
        key = (event.entity, event.source, event.agency_id, event.source_id)
        run = runs.setdefault(key, [])
        if run and event.version == run[-1].version:
            continue  # a tie: the first to arrive wins, as in the loader
        if run and event.event_id != run[-1].event_id:
            run.clear()
        run.append(event)
    return {k: (frozenset(e.version for e in run), run[-1].event_id, run[-1].op == "delete")
            for k, run in runs.items()}


def table_rows(db_url: str) -> dict[RowKey, tuple[int, str, bool]]:
    rows: dict[RowKey, tuple[int, str, bool]] = {}
    with connect(db_url) as conn:
        for entity in ENTITIES:
            for source, agency, source_id, version, event_id, deleted in conn.execute(
                f"SELECT source, agency_id, source_id, version, event_id, deleted_at IS NOT NULL "
                f"FROM pms.{entity}"
            ):
                rows[(entity, source, agency, source_id)] = (version, event_id, deleted)
    return rows


def lost_and_wrong(expected: dict, actual: dict) -> tuple[int, int]:
    """Keys missing or not at their newest version (lost), and keys nobody sent (extra)."""
    lost = sum(1 for k, (versions, event_id, deleted) in expected.items()
               if k not in actual or actual[k][0] not in versions
               or actual[k][1:] != (event_id, deleted))
    extra = sum(1 for k in actual if k not in expected)
    return lost, extra


def duplicate_ids(records: Iterable[StreamRecord]) -> int:
    """Records the stream holds more than once (same bytes): a publisher that resent
    something Kinesis had accepted."""
    counts = Counter(r.data for r in records)
    return sum(c - 1 for c in counts.values())


def dead_letter_count(db_url: str) -> int:
    with connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM ingest.dead_letter").fetchone()[0]
