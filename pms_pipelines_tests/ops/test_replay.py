"""Replay against moto Kinesis and a real Postgres: checkpoints move back to the trim
horizon, a timestamp or a sequence number; the consumer then re-applies what we expect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Contact, Event, Tenant, make_event
from pms_pipelines.consumer.batch import CheckpointMoved
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.checkpoints import read_checkpoints
from pms_pipelines.db.connection import connect
from pms_pipelines.ops import replay as replay_module
from pms_pipelines.ops.cli import main
from pms_pipelines.ops.replay import ReplayStart, replay
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import StartPosition, list_shards, read_shard
from pms_pipelines.stream.records import OutgoingRecord

pytestmark = pytest.mark.integration
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _tenants(ids: range, hour: int) -> list[Event]:
    return [make_event(source="buildium", agency_id="replay", entity="tenant",
                       source_id=f"t{i}", observed_at=T0 + timedelta(hours=hour, microseconds=i),
                       data=Tenant(first_name=f"v{hour}", last_name=f"T{i}",
                                   contact=Contact(email=f"t{i}@example.org")))
            for i in ids]


A = _tenants(range(12), 0)  # consumed, then kept by the restore
B = _tenants(range(6), 1) + _tenants(range(12, 18), 1)  # newer versions and new tenants


@dataclass
class Consumed:
    records: int = 0
    loaded: int = 0
    stale: int = 0


def _publish(stream: str, events: list[Event]) -> None:
    publish_records(kinesis_client(), stream, [OutgoingRecord(e.key, e.to_bytes()) for e in events])


def _consume(db_url: str, stream: str) -> Consumed:
    done = Consumed()
    kinesis = kinesis_client()
    with connect(db_url) as conn:
        for shard in list_shards(kinesis, stream):
            report = consume_shard(kinesis, conn, stream, shard["ShardId"], batch_limit=5)
            done.records += report.records
            done.loaded += report.loaded
            done.stale += report.stale
    return done


def _rows(db_url: str) -> dict[str, tuple[int, str]]:
    with connect(db_url) as conn:
        return {sid: (version, event_id) for sid, version, event_id in conn.execute(
            "SELECT source_id, version, event_id FROM pms.tenant")}


def _checkpoints(db_url: str, stream: str) -> dict[str, str | None]:
    with connect(db_url) as conn:
        return {s: c.sequence_number for s, c in read_checkpoints(conn, stream).items()}


@dataclass
class Restored:
    """A and B consumed; the pms tables then restored to how they were after A, while
    the checkpoints stayed at the end of B (a restored database, or rows lost)."""

    between: datetime  # after every record of A arrived, before any of B
    full: dict[str, tuple[int, str]]
    after_a: dict[str, tuple[int, str]]


@pytest.fixture
def restored(kinesis_stream: str, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Restored:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    _publish(kinesis_stream, A)
    assert _consume(db_url, kinesis_stream).loaded == len(A)
    with connect(db_url) as conn:
        conn.execute("CREATE TABLE public.after_a AS SELECT * FROM pms.tenant")
        conn.commit()
    after_a = _rows(db_url)
    between = datetime.now(UTC)
    _publish(kinesis_stream, B)
    assert _consume(db_url, kinesis_stream).loaded == len(B)
    full = _rows(db_url)
    with connect(db_url) as conn:
        conn.execute("DELETE FROM pms.tenant")
        conn.execute("INSERT INTO pms.tenant SELECT * FROM public.after_a")
        conn.commit()
    assert _rows(db_url) == after_a != full
    assert _consume(db_url, kinesis_stream).records == 0  # the consumer alone: nothing
    return Restored(between, full, after_a)


def test_replay_from_the_trim_horizon_through_the_dagster_job(
    restored: Restored, kinesis_stream: str, db_url: str
) -> None:
    from pms_pipelines.definitions import defs

    job = defs.resolve_job_def("ops_replay_stream")
    before = _checkpoints(db_url, kinesis_stream)
    # The launchpad's defaults are a dry run: nothing moves, each shard's answer is logged.
    instance = DagsterInstance.ephemeral()
    dry = job.execute_in_process(
        run_config={"ops": {"replay_stream": {"config": {"start": "TRIM_HORIZON"}}}},
        instance=instance)
    assert dry.success and _checkpoints(db_url, kinesis_stream) == before
    answers = [e.user_message for e in instance.all_logs(dry.run_id)
               if e.user_message.startswith("shardId-")]
    assert len(answers) == len(before) >= 1, answers
    assert all("dry run" in m and "-> trim horizon" in m for m in answers), answers

    result = job.execute_in_process(
        run_config={"ops": {"replay_stream": {"config": {"start": "TRIM_HORIZON",
                                                          "dry_run": False}}}},
        instance=DagsterInstance.ephemeral())
    assert result.success
    assert set(_checkpoints(db_url, kinesis_stream).values()) == {None}
    again = _consume(db_url, kinesis_stream)
    assert (again.records, again.loaded, again.stale) == (len(A) + len(B), len(B), len(A))
    assert _rows(db_url) == restored.full


def test_replay_from_a_timestamp_through_the_cli(
    restored: Restored, kinesis_stream: str, db_url: str, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A first look-back window far shorter than the gap between A and B: the search for
    # the record before B's first must widen it several times, and still find A's last.
    monkeypatch.setattr(replay_module, "_FIRST_WINDOW", timedelta(microseconds=50))
    windows = []

    def counting_read_shard(client, stream, shard_id, start, **kwargs):  # noqa: ANN001,ANN202
        if start.kind == "AT_TIMESTAMP" and start.timestamp != restored.between:
            windows.append(shard_id)
        return read_shard(client, stream, shard_id, start, **kwargs)

    monkeypatch.setattr(replay_module, "read_shard", counting_read_shard)
    before = _checkpoints(db_url, kinesis_stream)
    assert main(["replay", "--from", "timestamp", "--timestamp",
                 restored.between.isoformat()]) == 0
    assert "moved 2 of 2 shard checkpoints" in capsys.readouterr().out
    assert all(windows.count(shard) >= 3 for shard in before)
    moved = _checkpoints(db_url, kinesis_stream)
    assert all(moved[s] is not None and int(moved[s]) < int(before[s]) for s in before)
    again = _consume(db_url, kinesis_stream)
    # Only B is read again: each checkpoint is now A's last record on its shard.
    assert (again.records, again.loaded, again.stale) == (len(B), len(B), 0)
    assert _rows(db_url) == restored.full


def test_replay_one_shard_from_a_sequence_number(
    restored: Restored, kinesis_stream: str, db_url: str
) -> None:
    kinesis = kinesis_client()
    b_bytes = {e.to_bytes(): e for e in B}
    on_shard = {}
    for shard in list_shards(kinesis, kinesis_stream):
        records = [r for batch in read_shard(kinesis, kinesis_stream, shard["ShardId"],
                                             StartPosition()) for r in batch.records]
        on_shard[shard["ShardId"]] = [r for r in records if r.data in b_bytes]
    shard_id, b_records = max(on_shard.items(), key=lambda item: len(item[1]))
    other = next(s for s in on_shard if s != shard_id)
    # From B's second record on that shard: its first stays lost, as asked.
    first_again = b_records[1]
    with connect(db_url) as conn:
        results = replay(kinesis, conn, kinesis_stream,
                         ReplayStart("sequence_number",
                                     sequence_number=first_again.sequence_number),
                         shard_ids=[shard_id])
    assert [(r.shard_id, r.moved, r.checkpoint_after, r.first_record) for r in results] == [
        (shard_id, True, b_records[0].sequence_number, first_again.sequence_number)]
    checkpoint_other = _checkpoints(db_url, kinesis_stream)[other]
    again = _consume(db_url, kinesis_stream)
    assert (again.records, again.loaded, again.stale) == (len(b_records) - 1,) * 2 + (0,)
    assert _checkpoints(db_url, kinesis_stream)[other] == checkpoint_other
    expected = dict(restored.after_a)
    for record in b_records[1:]:
        event = b_bytes[record.data]
        expected[event.source_id] = restored.full[event.source_id]
    assert _rows(db_url) == expected


def test_replay_never_moves_a_lagging_checkpoint_forward(
    kinesis_stream: str, db_url: str
) -> None:
    _publish(kinesis_stream, A)
    _consume(db_url, kinesis_stream)
    between = datetime.now(UTC)
    _publish(kinesis_stream, B)  # not consumed yet: the consumer lags
    _publish(kinesis_stream, _tenants(range(30, 40), 2))
    before = _checkpoints(db_url, kinesis_stream)
    with connect(db_url) as conn:
        results = replay(kinesis_client(), conn, kinesis_stream,
                         ReplayStart("timestamp", timestamp=between))
    assert not any(r.moved for r in results)
    assert _checkpoints(db_url, kinesis_stream) == before


def test_a_consume_run_in_flight_stops_on_the_guard_and_nothing_is_skipped(
    kinesis_stream: str, db_url: str
) -> None:
    _publish(kinesis_stream, A + B)
    kinesis = kinesis_client()
    shard_id = list_shards(kinesis, kinesis_stream)[0]["ShardId"]
    replays = []

    def replay_mid_run(_report: object) -> None:
        if not replays:
            with connect(db_url) as other:
                replays.extend(replay(kinesis, other, kinesis_stream, ReplayStart(),
                                      shard_ids=[shard_id]))

    with connect(db_url) as conn, pytest.raises(CheckpointMoved):
        consume_shard(kinesis, conn, kinesis_stream, shard_id, batch_limit=2,
                      on_batch=replay_mid_run)
    assert [r.moved for r in replays] == [True]
    assert _checkpoints(db_url, kinesis_stream)[shard_id] is None
    _consume(db_url, kinesis_stream)
    newest: dict[str, tuple[int, str]] = {}
    for event in A + B:
        if event.source_id not in newest or event.version > newest[event.source_id][0]:
            newest[event.source_id] = (event.version, event.event_id)
    assert _rows(db_url) == newest


def test_replay_refuses_unclear_requests(kinesis_stream: str, db_url: str,
                                         capsys: pytest.CaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    with pytest.raises(ValueError, match="in the future"):
        ReplayStart("timestamp", timestamp=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(ValueError, match="exactly one shard"), connect(db_url) as conn:
        replay(kinesis_client(), conn, kinesis_stream,
               ReplayStart("sequence_number", sequence_number="1"))
    with pytest.raises(ValueError, match="has no shard"), connect(db_url) as conn:
        replay(kinesis_client(), conn, kinesis_stream, ReplayStart(), shard_ids=["nope"])
    assert main(["replay", "--from", "sequence_number", "--sequence-number", "12"]) == 2
    assert "exactly one shard" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["replay", "--from", "timestamp", "--timestamp", "2026-01-01T00:00:00"])
    assert "no time zone" in capsys.readouterr().err
