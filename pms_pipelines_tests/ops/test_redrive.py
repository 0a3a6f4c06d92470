"""Re-drive a selection of dead letters (reason, ids, time range) after a fix: through
the Dagster job, the command line and the chunked Python call, against real Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance

from pms_pipelines.canonical import Tenant, make_event
from pms_pipelines.db.connection import connect
from pms_pipelines.db.dead_letters import list_dead_letters
from pms_pipelines.ops.cli import main
from pms_pipelines.ops.redrive import Selection, redrive_selection, selected_ids

pytestmark = pytest.mark.integration
T0 = datetime(2026, 5, 1, tzinfo=UTC)
BUG = "entity 'tenant' not allowed (bug 12)"


def _event(source_id: str):  # noqa: ANN202
    return make_event(source="buildium", agency_id="dl", entity="tenant", source_id=source_id,
                      data=Tenant(first_name=f"fixed {source_id}"), observed_at=T0)


def _letters(db_url: str) -> dict[str, int]:
    """Dead letters as the consumer leaves them (stage consume, original bytes): four
    valid now that bug 12 is fixed, received on different days, and one never valid."""
    rows = [(BUG, _event(f"t{day}").to_bytes(), T0 + timedelta(days=day)) for day in range(3)]
    rows += [("schema version unknown", _event("other").to_bytes(), T0),
             ("not JSON", b"{broken", T0)]
    ids = {}
    with connect(db_url) as conn:
        for reason, raw, received in rows:
            ids[f"{reason}@{received:%d}"] = conn.execute(
                "INSERT INTO ingest.dead_letter (stage, reason, raw, received_at) "
                "VALUES ('consume', %s, %s, %s) RETURNING id", (reason, raw, received),
            ).fetchone()[0]
        conn.commit()
    return ids


def _tenants(db_url: str) -> dict[str, str]:
    with connect(db_url) as conn:
        return dict(conn.execute("SELECT source_id, first_name FROM pms.tenant").fetchall())


def _pending(db_url: str) -> list[str]:
    with connect(db_url) as conn:
        return sorted(letter.reason for letter in list_dead_letters(conn, stage="consume"))


def test_the_job_redrives_by_reason_and_time_range(db_url: str, monkeypatch) -> None:
    from pms_pipelines.definitions import defs

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    _letters(db_url)
    job = defs.resolve_job_def("ops_redrive_dead_letters")
    config = {"reason_contains": "BUG 12", "received_after": (T0 + timedelta(days=1)).isoformat(),
              "received_before": (T0 + timedelta(days=2)).isoformat()}
    result = job.execute_in_process(
        run_config={"ops": {"redrive_dead_letters": {"config": config}}},
        instance=DagsterInstance.ephemeral())
    assert result.success
    assert _tenants(db_url) == {"t1": "fixed t1"}
    output = next(e for e in result.all_events if e.event_type_value == "STEP_OUTPUT")
    counts = {k: v.value for k, v in output.event_specific_data.metadata.items()}
    assert counts == {"examined": 1, "loaded": 1, "stale": 0, "redriven": 1, "still_invalid": 0}
    # The rest of bug 12, then everything: what is still invalid stays pending.
    assert job.execute_in_process(
        run_config={"ops": {"redrive_dead_letters": {"config": {"reason_contains": "bug 12"}}}},
        instance=DagsterInstance.ephemeral()).success
    assert _tenants(db_url) == {f"t{d}": f"fixed t{d}" for d in range(3)}
    assert _pending(db_url) == ["not JSON", "schema version unknown"]
    bad_time = job.execute_in_process(
        run_config={"ops": {"redrive_dead_letters": {"config": {"received_after": "2026-05-01"}}}},
        instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert not bad_time.success
    assert _pending(db_url) == ["not JSON", "schema version unknown"]


def test_the_command_line_redrives_ids_with_a_dry_run_first(
    db_url: str, monkeypatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    ids = _letters(db_url)
    chosen = [ids["schema version unknown@01"], ids["not JSON@01"]]
    args = ["redrive", *(f"--id={i}" for i in chosen)]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "would re-drive 1 (0 loaded, 0 stale); 1 still invalid" in out.out
    assert "dead letters" in out.err  # the progress bar
    assert _tenants(db_url) == {}
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"still invalid: dead letter {ids['not JSON@01']}: not JSON" in out
    assert "2 pending examined; re-drove 1 (1 loaded, 0 stale); 1 still invalid" in out
    assert _tenants(db_url) == {"other": "fixed other"}
    assert _pending(db_url) == sorted(["not JSON", *[BUG] * 3])


def test_chunks_commit_one_by_one_and_add_up(db_url: str) -> None:
    _letters(db_url)
    with connect(db_url) as conn:
        ids = selected_ids(conn, Selection())
        assert len(ids) == 5
        chunks = []
        report = redrive_selection(conn, ids, chunk=2, on_chunk=chunks.append)
    assert [c.examined for c in chunks] == [2, 2, 1]
    assert (report.examined, report.loaded, len(report.still_invalid)) == (5, 4, 1)
    assert _pending(db_url) == ["not JSON"]
    with pytest.raises(ValueError, match="time zone"):
        Selection(received_after=datetime(2026, 1, 1))
