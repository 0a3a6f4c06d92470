"""Checkpoints, dead letters, the agency registry, watermarks and pull snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pms_pipelines.db.agencies import (
    get_agency,
    list_agencies,
    register_agency,
    set_agency_enabled,
)
from pms_pipelines.db.checkpoints import (
    CheckpointBackwards,
    advance_checkpoint,
    lock_checkpoint,
    read_checkpoints,
)
from pms_pipelines.db.dead_letters import (
    DeadLetter,
    list_dead_letters,
    mark_redriven,
    store_dead_letters,
)
from pms_pipelines.db.snapshots import (
    SnapshotDiff,
    diff_snapshot,
    mark_seen,
    previous_snapshot,
    published_events,
    replace_snapshot,
)
from pms_pipelines.db.watermarks import advance_watermark, read_change_cursor, read_watermark
from pms_pipelines_tests.db.sample_events import at

# Real Kinesis sequence numbers are 56+ digits: too long for bigint, and "9" > "10" as text.
SEQ_A = "49590338271490256608559692538361571095921575989136588898"
SEQ_B = "49590338271490256608559692538361571095921575989136588899"
SEQ_LONG = "1" + "0" * 127


def test_checkpoint_is_created_on_first_lock(db_conn: psycopg.Connection) -> None:
    assert read_checkpoints(db_conn, "s") == {}
    cp = lock_checkpoint(db_conn, "s", "shardId-0")
    assert (cp.sequence_number, cp.shard_ended) == (None, False)
    assert set(read_checkpoints(db_conn, "s")) == {"shardId-0"}


def test_checkpoint_only_moves_forward(db_conn: psycopg.Connection) -> None:
    advance_checkpoint(db_conn, "s", "sh", SEQ_B, shard_ended=False, run_id="r1")
    with pytest.raises(CheckpointBackwards):
        advance_checkpoint(db_conn, "s", "sh", SEQ_A, shard_ended=False, run_id="r2")
    # Numeric, not textual, order: "9" sorts after "100..." as text.
    cp = advance_checkpoint(db_conn, "s", "sh", SEQ_LONG, shard_ended=False, run_id="r3")
    with pytest.raises(CheckpointBackwards):
        advance_checkpoint(db_conn, "s", "sh", "9", shard_ended=False, run_id="r4")
    assert (cp.sequence_number, cp.run_id) == (SEQ_LONG, "r3")
    same = advance_checkpoint(db_conn, "s", "sh", SEQ_LONG, shard_ended=True, run_id="r5")
    assert (same.sequence_number, same.shard_ended) == (SEQ_LONG, True)
    kept = advance_checkpoint(db_conn, "s", "sh", None, shard_ended=False, run_id="r6")
    assert (kept.sequence_number, kept.shard_ended) == (SEQ_LONG, True)  # stays ended
    assert read_checkpoints(db_conn, "s")["sh"] == kept
    assert read_checkpoints(db_conn, "other") == {}


def test_checkpoint_lock_blocks_a_second_transaction(db_url: str) -> None:
    with psycopg.connect(db_url) as first, psycopg.connect(db_url) as second:
        lock_checkpoint(first, "s", "sh")
        first.commit()
        lock_checkpoint(first, "s", "sh")
        second.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            lock_checkpoint(second, "s", "sh")


def test_dead_letters_store_list_and_redrive(db_conn: psycopg.Connection) -> None:
    ids = store_dead_letters(db_conn, [
        DeadLetter(stage="consume", reason="not JSON", raw=b"\xff\x00", stream_name="s",
                   shard_id="sh", sequence_number=SEQ_A),
        DeadLetter(stage="pull", reason="unmappable", raw=b"{}", source="buildium",
                   agency_id="acme", entity="tenant", source_id="9"),
    ])
    pending = list_dead_letters(db_conn)
    assert [d.id for d in pending] == ids
    assert pending[0].raw == b"\xff\x00" and pending[0].sequence_number == SEQ_A
    assert [d.reason for d in list_dead_letters(db_conn, stage="pull")] == ["unmappable"]
    assert mark_redriven(db_conn, [ids[0]]) == 1
    assert mark_redriven(db_conn, [ids[0]]) == 0
    assert [d.id for d in list_dead_letters(db_conn)] == [ids[1]]
    everything = list_dead_letters(db_conn, include_redriven=True)
    assert everything[0].redriven_at is not None


def test_agency_registry(db_conn: psycopg.Connection) -> None:
    register_agency(db_conn, "buildium", "acme", display_name="Acme",
                    credentials_ref="env:BUILDIUM_ACME")
    register_agency(db_conn, "reapit", "oak", display_name="Oak",
                    credentials_ref="secretsmanager:arn:aws:secretsmanager:eu-west-2:1:secret:x")
    updated = register_agency(db_conn, "buildium", "acme", display_name="Acme Ltd",
                              credentials_ref="env:BUILDIUM_ACME_2")
    assert (updated.display_name, updated.credentials_ref) == ("Acme Ltd", "env:BUILDIUM_ACME_2")
    assert [a.agency_id for a in list_agencies(db_conn)] == ["acme", "oak"]
    assert [a.agency_id for a in list_agencies(db_conn, pms="reapit")] == ["oak"]
    assert set_agency_enabled(db_conn, "buildium", "acme", False)
    assert not set_agency_enabled(db_conn, "buildium", "nobody", False)
    assert [a.agency_id for a in list_agencies(db_conn)] == ["oak"]
    assert len(list_agencies(db_conn, enabled_only=False)) == 2
    assert get_agency(db_conn, "buildium", "acme").enabled is False
    assert get_agency(db_conn, "buildium", "nobody") is None
    file_ref = register_agency(db_conn, "propertyme", "gum", display_name="Gum",
                               credentials_ref="file:/var/lib/pms/gum.json")
    assert file_ref.credentials_ref == "file:/var/lib/pms/gum.json"
    by_name = register_agency(db_conn, "buildium", "oak", display_name="Oak",
                              credentials_ref="secretsmanager:pms-staging/agencies/buildium/oak")
    assert by_name.credentials_ref.endswith("/buildium/oak")


@pytest.mark.parametrize("ref", ["sk_live_abc123", "env:", "env:lower", "secretsmanager:x",
                                 "secretsmanager:has spaces/x"])
def test_agency_refuses_anything_but_a_credentials_reference(
    db_conn: psycopg.Connection, ref: str
) -> None:
    with pytest.raises(ValueError) as err:
        register_agency(db_conn, "buildium", "acme", display_name="A", credentials_ref=ref)
    assert "sk_live" not in str(err.value)  # never echo what may be a secret


def test_watermark_never_moves_backwards(db_conn: psycopg.Connection) -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert read_watermark(db_conn, "buildium", "acme", "tenant") is None
    assert advance_watermark(db_conn, "buildium", "acme", "tenant", t) == t
    assert advance_watermark(db_conn, "buildium", "acme", "tenant", t - timedelta(hours=1)) == t
    later = t + timedelta(minutes=5)
    assert advance_watermark(db_conn, "buildium", "acme", "tenant", later) == later
    assert read_watermark(db_conn, "buildium", "acme", "tenant") == later
    assert read_watermark(db_conn, "buildium", "acme", "property") is None
    with pytest.raises(ValueError):
        advance_watermark(db_conn, "buildium", "acme", "tenant", datetime(2026, 2, 1))


def test_a_change_cursor_is_kept_with_its_watermark_and_never_rewound(
        db_conn: psycopg.Connection) -> None:
    t = datetime(2026, 3, 1, tzinfo=UTC)
    assert read_change_cursor(db_conn, "propertyme", "acme", "tenant") is None
    advance_watermark(db_conn, "propertyme", "acme", "tenant", t, change_cursor="100")
    advance_watermark(db_conn, "propertyme", "acme", "tenant", t + timedelta(minutes=1))
    assert read_change_cursor(db_conn, "propertyme", "acme", "tenant") == "100"  # saw nothing
    advance_watermark(db_conn, "propertyme", "acme", "tenant", t + timedelta(minutes=2),
                      change_cursor="150")
    # A slower, older pull finishing late cannot rewind it.
    advance_watermark(db_conn, "propertyme", "acme", "tenant", t, change_cursor="120")
    assert read_change_cursor(db_conn, "propertyme", "acme", "tenant") == "150"



def test_snapshot_is_replaced_whole(db_conn: psycopg.Connection) -> None:
    assert previous_snapshot(db_conn, "buildium", "acme", "tenant") == {}
    replace_snapshot(db_conn, "buildium", "acme", "tenant", ["1", "2", "2", "3"])
    replace_snapshot(db_conn, "buildium", "acme", "property", ["1"])
    assert set(previous_snapshot(db_conn, "buildium", "acme", "tenant")) == {"1", "2", "3"}
    replace_snapshot(db_conn, "buildium", "acme", "tenant", iter(["3", "4"]))
    assert set(previous_snapshot(db_conn, "buildium", "acme", "tenant")) == {"3", "4"}
    replace_snapshot(db_conn, "buildium", "acme", "tenant", [])
    assert previous_snapshot(db_conn, "buildium", "acme", "tenant") == {}
    assert set(previous_snapshot(db_conn, "buildium", "acme", "property")) == {"1"}


def test_the_snapshot_keeps_the_event_last_published_per_id(db_conn: psycopg.Connection) -> None:
    key = ("buildium", "acme", "tenant")
    replace_snapshot(db_conn, *key, ["1", "2", "3"], published={"1": "e1", "2": "e2"})
    assert published_events(db_conn, *key) == {"1": "e1", "2": "e2"}  # 3: only rejected
    # A full pull: 1 changed, 2 rejected this time (keeps e2), 3 missed (a suspect keeps
    # nothing it did not have), 4 new.
    replace_snapshot(db_conn, *key, ["1", "2", "4"], {"3"}, now=at(10),
                     published={"1": "e1b", "4": "e4"})
    assert published_events(db_conn, *key) == {"1": "e1b", "2": "e2", "4": "e4"}
    # An incremental pull: 2 published again, 5 new, 4 rejected (keeps e4).
    mark_seen(db_conn, *key, ["2", "4", "5"], published={"2": "e2b", "5": "e5"})
    assert published_events(db_conn, *key) == {"1": "e1b", "2": "e2b", "4": "e4", "5": "e5"}
    # Gone from the snapshot (deleted): nothing remembered, so a return is published.
    replace_snapshot(db_conn, *key, ["1"], published={"1": "e1b"})
    assert published_events(db_conn, *key) == {"1": "e1b"}


def test_a_record_is_deleted_only_when_two_full_pulls_miss_it(
    db_conn: psycopg.Connection,
) -> None:
    key = ("buildium", "acme", "tenant")
    replace_snapshot(db_conn, *key, ["1", "2", "3"])
    first = diff_snapshot(previous_snapshot(db_conn, *key), {"1", "3"})
    assert first == SnapshotDiff(deleted=set(), suspects={"2"})
    replace_snapshot(db_conn, *key, {"1", "3"}, first.suspects, now=at(10))
    assert previous_snapshot(db_conn, *key)["2"] == at(10)

    # Missed again: deleted. Seen again instead: no longer a suspect.
    assert diff_snapshot(previous_snapshot(db_conn, *key), {"1", "3"}).deleted == {"2"}
    back = diff_snapshot(previous_snapshot(db_conn, *key), {"1", "2", "3"})
    assert back == SnapshotDiff(deleted=set(), suspects=set())
    replace_snapshot(db_conn, *key, {"1", "2", "3"}, back.suspects, now=at(20))
    assert previous_snapshot(db_conn, *key)["2"] is None

    # A suspect keeps the time it was first missed.
    replace_snapshot(db_conn, *key, {"1"}, {"2", "3"}, now=at(30))
    replace_snapshot(db_conn, *key, {"1"}, {"2", "3"}, now=at(40))
    assert previous_snapshot(db_conn, *key) == {"1": None, "2": at(30), "3": at(30)}