"""New dead letters since the last evaluation, in the real database."""

from __future__ import annotations

from pms_pipelines.db.connection import connect
from pms_pipelines.db.dead_letters import DeadLetter, mark_redriven, store_dead_letters
from pms_pipelines.health.dead_letters import Scope, new_dead_letters

SECRET = b'{"first_name": "Ada", "email": "ada@example.org"}'
PULL = Scope("pull", "buildium", "tenant")


def _pull_letter(reason: str, source_id: str, source: str = "buildium") -> DeadLetter:
    return DeadLetter(stage="pull", reason=reason, raw=SECRET, source=source,
                      agency_id="acme", entity="tenant", source_id=source_id)


def _consume_letter(reason: str) -> DeadLetter:
    return DeadLetter(stage="consume", reason=reason, raw=SECRET, stream_name="s",
                      shard_id="shardId-000000000001", sequence_number="42")


def test_first_evaluation_reports_pending_then_only_new_ones(db_conn) -> None:
    ids = store_dead_letters(db_conn, [_pull_letter("bad date", "1"), _pull_letter("bad date", "2"),
                                       _pull_letter("no name", "3"),
                                       _pull_letter("bad date", "9", source="reapit"),
                                       _consume_letter("not JSON")])
    mark_redriven(db_conn, ids[2:3])
    db_conn.commit()

    first, cursor = new_dead_letters(db_conn, PULL, None, severity="WARN")
    assert not first.passed and first.severity == "WARN"
    assert first.metadata["new_dead_letters"] == 2  # pending ones: "3" was re-driven
    assert first.metadata["by_reason"] == "2 x bad date"
    assert first.metadata["pending_dead_letters"] == 2
    assert "buildium/acme/tenant/2: bad date" in first.metadata["examples"]
    assert all("Ada" not in str(v) and "example.org" not in str(v)
               for v in first.metadata.values())

    again, cursor = new_dead_letters(db_conn, PULL, cursor)
    assert again.passed and again.metadata["new_dead_letters"] == 0
    assert "no new pull-stage dead letters (buildium tenant)" in again.description

    store_dead_letters(db_conn, [_pull_letter("no name", "4"), _pull_letter("no name", "5"),
                                 _pull_letter("bad date", "6"), _consume_letter("bad shape")])
    db_conn.commit()
    later, cursor = new_dead_letters(db_conn, PULL, cursor)
    assert not later.passed and later.severity == "ERROR"
    assert later.metadata["new_dead_letters"] == 3
    assert later.metadata["by_reason"].splitlines() == ["2 x no name", "1 x bad date"]
    assert "3 new pull-stage dead letters" in later.description

    stream, _ = new_dead_letters(db_conn, Scope("consume"), None)
    assert stream.metadata["new_dead_letters"] == 2
    assert "shard shardId-000000000001 seq 42" in stream.metadata["examples"]


def test_a_letter_committed_after_a_higher_id_is_not_missed(db_url, db_conn) -> None:
    _, cursor = new_dead_letters(db_conn, PULL, None)
    with connect(db_url) as slow:
        store_dead_letters(slow, [_pull_letter("slow", "1")])  # id taken, not committed
        store_dead_letters(db_conn, [_pull_letter("quick", "2")])
        db_conn.commit()
        seen, cursor = new_dead_letters(db_conn, PULL, cursor)
        assert seen.metadata["new_dead_letters"] == 1
        slow.commit()
    late, cursor = new_dead_letters(db_conn, PULL, cursor)
    assert not late.passed
    assert late.metadata["new_dead_letters"] == 1 and late.metadata["committed_late"] == 1
    settled, _ = new_dead_letters(db_conn, PULL, cursor)
    assert settled.passed
