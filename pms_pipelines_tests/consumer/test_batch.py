"""apply_batch: rows, dead letters and the checkpoint commit together or not at all."""

from __future__ import annotations

import psycopg
import pytest

from pms_pipelines.consumer import batch as batch_module
from pms_pipelines.consumer.batch import CheckpointMoved, apply_batch
from pms_pipelines.db.checkpoints import advance_checkpoint, read_checkpoints
from pms_pipelines.stream.records import StreamRecord
from pms_pipelines_tests.db.sample_events import event, tenancy_record, tenant_record

STREAM, SHARD = "pms-events", "shardId-000000000000"
BASE = 49590338271490256608559692538361571095921575989136588800


def _record(offset: int, data: bytes) -> StreamRecord:
    return StreamRecord(SHARD, str(BASE + offset), "key", data)


def _counts(db_url: str) -> tuple[int, int, int]:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM pms.tenant), (SELECT count(*) FROM pms.tenancy), "
            "(SELECT count(*) FROM ingest.dead_letter)").fetchone()
    assert row is not None
    return row


def _checkpoint(db_url: str) -> str | None:
    with psycopg.connect(db_url) as conn:
        shard = read_checkpoints(conn, STREAM).get(SHARD)
    return None if shard is None else shard.sequence_number


MIXED = [
    _record(1, event("tenant", "T1", tenant_record("Ada"), 10).to_bytes()),
    _record(2, b"\xff not utf-8"),
    _record(3, event("tenancy", "TY1", tenancy_record(), 10).to_bytes()),
    _record(4, b'{"schema": "pms.event/v1", "source": "buildium", "agency_id": "acme",'
               b' "entity": "tenant", "source_id": "T9"}'),
    _record(5, event("tenant", "T1", tenant_record("Old"), 5).to_bytes()),
]


def test_valid_and_invalid_mix(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        result = apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                             expected_checkpoint=None, run_id="run-1")
        letters = conn.execute(
            "SELECT sequence_number, raw, reason, stage, stream_name, shard_id, source_id "
            "FROM ingest.dead_letter ORDER BY id").fetchall()
    assert [o.outcome for o in result.outcomes] == [
        "loaded", "rejected", "loaded", "rejected", "stale"]
    assert (result.loaded, result.stale, result.rejected) == (2, 1, 2)
    assert result.checkpoint == MIXED[-1].sequence_number == _checkpoint(db_url)
    assert result.outcomes[1].reason.startswith("not UTF-8")
    assert result.outcomes[0].event is not None and result.outcomes[1].event is None
    assert [(seq, bytes(raw)) for seq, raw, *_ in letters] == [
        (MIXED[1].sequence_number, MIXED[1].data), (MIXED[3].sequence_number, MIXED[3].data)]
    assert letters[1][2].startswith("invalid event:")
    assert letters[1][3:] == ("consume", STREAM, SHARD, "T9")  # key kept when readable
    assert _counts(db_url) == (1, 1, 2)
    with psycopg.connect(db_url) as conn:  # the committed row is the newer tenant
        assert conn.execute("SELECT first_name FROM pms.tenant").fetchone() == ("Ada",)


def test_replayed_batch_after_a_lost_commit_ack_is_refused(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED[:2],
                    expected_checkpoint=None)
        with pytest.raises(CheckpointMoved):
            apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED[:2],
                        expected_checkpoint=None)
        # The connection is usable again: CheckpointMoved rolled back cleanly.
        result = apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED[2:],
                             expected_checkpoint=MIXED[1].sequence_number)
    assert result.checkpoint == MIXED[-1].sequence_number
    assert _counts(db_url) == (1, 1, 2)


def test_checkpoint_moved_by_another_run_rolls_back(db_url: str) -> None:
    with psycopg.connect(db_url) as other:
        advance_checkpoint(other, STREAM, SHARD, str(BASE), shard_ended=False, run_id="other")
        other.commit()
    with psycopg.connect(db_url) as conn, pytest.raises(CheckpointMoved):
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                    expected_checkpoint=None)
    assert _counts(db_url) == (0, 0, 0)
    assert _checkpoint(db_url) == str(BASE)


def test_a_crash_mid_transaction_leaves_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("consumer died")

    # Dead letters and events are written by now; the checkpoint advance fails.
    monkeypatch.setattr(batch_module, "advance_checkpoint", crash)
    with psycopg.connect(db_url) as conn, pytest.raises(RuntimeError, match="consumer died"):
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                    expected_checkpoint=None)
    assert _counts(db_url) == (0, 0, 0)
    assert _checkpoint(db_url) is None
    monkeypatch.undo()
    # The replay from the same checkpoint then succeeds as if nothing had happened.
    with psycopg.connect(db_url) as conn:
        result = apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                             expected_checkpoint=None)
    assert (result.loaded, result.stale, result.rejected) == (2, 1, 2)


def test_empty_batch_can_end_a_shard(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        first = apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED[:1],
                            expected_checkpoint=None)
        nothing = apply_batch(conn, stream=STREAM, shard_id=SHARD, records=[],
                              expected_checkpoint=first.checkpoint)
        ended = apply_batch(conn, stream=STREAM, shard_id=SHARD, records=[],
                            expected_checkpoint=first.checkpoint, shard_ended=True)
        shard = read_checkpoints(conn, STREAM)[SHARD]
    assert nothing.outcomes == [] and nothing.checkpoint == first.checkpoint
    assert ended.checkpoint == first.checkpoint and shard.shard_ended


@pytest.mark.parametrize("records, expected", [
    ([MIXED[1], MIXED[0]], "not after"),
    ([StreamRecord("shardId-other", "1", "k", b"{}")], "from shard"),
], ids=["out of order", "other shard"])
def test_a_malformed_batch_is_refused_before_touching_anything(
    db_url: str, records: list[StreamRecord], expected: str
) -> None:
    with psycopg.connect(db_url) as conn, pytest.raises(ValueError, match=expected):
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=records,
                    expected_checkpoint=None)
    assert _checkpoint(db_url) is None


def test_refuses_to_run_inside_an_open_transaction(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute("SELECT 1")
        with pytest.raises(RuntimeError, match="no transaction in progress"):
            apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                        expected_checkpoint=None)
