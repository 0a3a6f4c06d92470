"""One pull, PMS sandbox → Kinesis (moto): watermarks, deletes, failures losing nothing."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from pms_pipelines.canonical import Event
from pms_pipelines.db import watermarks
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.buildium.client import BuildiumClient
from pms_pipelines.integrations.buildium.pull import FEEDS
from pms_pipelines.integrations.buildium.sandbox import RunningSandbox, start_sandbox
from pms_pipelines.integrations.kit import PmsApiError
from pms_pipelines.integrations.kit.declared import FeedPull
from pms_pipelines.pulls import progress
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.reader import StartPosition, list_shards, read_shard

pytestmark = pytest.mark.integration

BUILDIUM = REGISTRY["buildium"]
AGENCY = "pull-test"


@pytest.fixture
def sandbox() -> Iterator[tuple[RunningSandbox, dict[str, str]]]:
    credentials = {"client_id": secrets.token_hex(6), "client_secret": secrets.token_hex(12)}
    running = start_sandbox(
        [{"agency_id": AGENCY, "units": 40, **credentials}], rate_limit_per_s=None
    )
    yield running, credentials
    running.stop()


def _stream_events(stream: str) -> list[Event]:
    client = kinesis_client()
    return [
        Event.model_validate_json(record.data)
        for shard in list_shards(client, stream)
        for batch in read_shard(client, stream, shard["ShardId"], StartPosition(),
                                sleep=lambda s: None)
        for record in batch.records
    ]


def _pull(sandbox, db_conn, stream, entity, *, full, credentials=None, kinesis=None, now=None,
          republish=False, **how):
    running, good_credentials = sandbox
    return pull_and_publish(
        BUILDIUM, agency_id=AGENCY, entity=entity, credentials=credentials or good_credentials,
        base_url=running.base_url, conn=db_conn, kinesis=kinesis or kinesis_client(),
        stream=stream, full=full, now=now, republish=republish, **how,
    )


def test_full_then_incremental_pull_publish_what_changed(sandbox, kinesis_stream, db_conn) -> None:
    first = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    assert first.mode == "full" and first.pulled > 0
    assert (first.read, first.skipped, first.unaccounted) == (first.pulled, {}, 0)
    assert first.published == first.pulled - first.rejected
    assert watermarks.read_watermark(db_conn, "buildium", AGENCY, "tenant") == first.watermark_after
    assert len(_stream_events(kinesis_stream)) == first.published

    quiet = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=False)
    assert quiet.mode == "incremental" and quiet.pulled == 0

    changes = sandbox[0].churn_once()
    assert changes
    changed = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=False)
    assert 0 < changed.published < first.published
    assert changed.watermark_after > first.watermark_after


def test_only_real_changes_travel(sandbox, kinesis_stream, db_conn) -> None:
    """A full pull of an unchanged agency publishes nothing; a changed record and a
    removed one go out; a forced re-publish sends every record."""
    first = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    assert first.published == first.pulled > 0 and first.unchanged == 0
    again = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    assert (again.pulled, again.unchanged, again.published) == (first.pulled, first.pulled, 0)
    quiet = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=False)
    assert quiet.published == 0  # the watermark's overlap re-reads nothing new

    running, _ = sandbox
    store = running.store(AGENCY)
    edited, stamped, gone = sorted(store.records["tenants"])[:3]
    at = first.watermark_after + timedelta(minutes=5)
    store.put("tenants", {**store.records["tenants"][edited], "FirstName": "Renée"}, at)
    store.put("tenants", dict(store.records["tenants"][stamped]), at)  # only its stamp moves
    store.remove("tenants", gone)
    changed = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=False,
                    now=at + timedelta(minutes=1))
    assert (changed.pulled, changed.published) == (2, 1)
    for _ in range(2):  # a removal needs two full pulls to miss the record
        removal = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    assert (removal.published, removal.deletes) == (1, 1)
    sent = Counter((e.source_id, e.op) for e in _stream_events(kinesis_stream))
    assert sum(sent.values()) == first.published + 2
    assert (sent[(str(edited), "upsert")], sent[(str(gone), "delete")]) == (2, 1)

    forced = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True, republish=True)
    assert forced.published == forced.pulled == first.pulled - 1


def test_a_change_whose_publish_failed_goes_out_next_time(sandbox, kinesis_stream, db_conn) -> None:
    class StreamGone:
        def put_records(self, **kwargs):
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "PutRecords")

    first = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    store = sandbox[0].store(AGENCY)
    edited = min(store.records["tenants"])
    store.put("tenants", {**store.records["tenants"][edited], "LastName": "Ødegård"},
              first.watermark_after + timedelta(minutes=5))
    with pytest.raises(ClientError):
        _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True, kinesis=StreamGone())
    db_conn.rollback()
    retried = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    assert retried.published == 1
    # The stream is read shard by shard: the edited tenant's own events, in order.
    ours = [e for e in _stream_events(kinesis_stream) if e.source_id == str(edited)]
    assert ours[-1].data.last_name == "Ødegård"


def test_a_record_a_feed_drops_without_a_reason_is_reported(
    sandbox, kinesis_stream, db_conn
) -> None:
    """A feed that loses records (a bug of an integration) cannot hide it: the records
    its client read are counted apart from what it yields."""

    def every_other(client, req):
        yield from (seen for i, seen in enumerate(FEEDS["tenant"](client, req)) if i % 2)

    def client(req):
        return BuildiumClient(req.base_url, req.credentials["client_id"],
                              req.credentials["client_secret"], rate_limit_per_s=None)

    lossy = replace(BUILDIUM, pull=FeedPull("buildium", {"tenant": every_other}, client))
    running, credentials = sandbox
    report = pull_and_publish(
        lossy, agency_id=AGENCY, entity="tenant", credentials=credentials,
        base_url=running.base_url, conn=db_conn, kinesis=kinesis_client(),
        stream=kinesis_stream, full=True)
    assert report.read == len(running.store(AGENCY).records["tenants"]) > report.pulled > 0
    assert report.unaccounted == report.read - report.pulled


def test_a_failed_publish_leaves_the_watermark(sandbox, kinesis_stream, db_conn) -> None:
    first = _pull(sandbox, db_conn, kinesis_stream, "landlord", full=True)

    class StreamGone:
        def put_records(self, **kwargs):
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "PutRecords")

    with pytest.raises(ClientError):
        _pull(sandbox, db_conn, kinesis_stream, "landlord", full=True, kinesis=StreamGone(),
              now=first.watermark_after + timedelta(hours=1), republish=True)
    db_conn.rollback()
    assert watermarks.read_watermark(db_conn, "buildium", AGENCY, "landlord") == first.watermark_after


def test_a_failing_pms_leaves_the_watermark_and_no_secret_in_the_error(
    sandbox, kinesis_stream, db_conn
) -> None:
    first = _pull(sandbox, db_conn, kinesis_stream, "property", full=True)
    wrong = {"client_id": sandbox[1]["client_id"], "client_secret": "not-" + secrets.token_hex(8)}
    with pytest.raises(PmsApiError) as raised:
        _pull(sandbox, db_conn, kinesis_stream, "property", full=False, credentials=wrong)
    assert wrong["client_secret"] not in str(raised.value)
    db_conn.rollback()
    assert watermarks.read_watermark(db_conn, "buildium", AGENCY, "property") == first.watermark_after


def test_a_record_gone_from_two_full_pulls_becomes_a_delete(sandbox, kinesis_stream, db_conn) -> None:
    running, _ = sandbox
    _pull(sandbox, db_conn, kinesis_stream, "tenancy", full=True)
    store = running.store(AGENCY)
    gone = sorted(store.records["leases"])[0]
    store.remove("leases", gone)

    once = _pull(sandbox, db_conn, kinesis_stream, "tenancy", full=True)
    assert (once.deletes, once.suspects) == (0, 1)
    twice = _pull(sandbox, db_conn, kinesis_stream, "tenancy", full=True)
    assert (twice.deletes, twice.suspects) == (1, 0)
    deletes = [e for e in _stream_events(kinesis_stream) if e.op == "delete"]
    assert [(e.entity, e.source_id) for e in deletes] == [("tenancy", str(gone))]
    with connect(db_conn.info.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM ingest.pull_snapshot WHERE source_id = %s",
                            (str(gone),)).fetchone()[0] == 0


def test_a_record_first_seen_incrementally_can_still_be_deleted(
    sandbox, kinesis_stream, db_conn
) -> None:
    running, _ = sandbox
    first = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    store = running.store(AGENCY)
    new_id = store.new_id()  # a tenant created after the full pull
    template = next(iter(store.records["tenants"].values()))
    store.put("tenants", {**template, "Id": new_id}, first.watermark_after + timedelta(minutes=5))
    seen = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=False,
                 now=first.watermark_after + timedelta(minutes=10))
    assert seen.published >= 1
    store.remove("tenants", new_id)
    _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    last = _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True)
    assert last.deletes == 1
    deletes = [e.source_id for e in _stream_events(kinesis_stream) if e.op == "delete"]
    assert deletes == [str(new_id)]


def test_one_pull_per_agency_at_a_time(sandbox, kinesis_stream, db_conn, db_url) -> None:
    from pms_pipelines.pulls.pull_and_publish import PullInProgress, pull_lock

    with connect(db_url) as other, pull_lock(other, "buildium", AGENCY):
        for entity in ("tenant", "landlord"):
            with pytest.raises(PullInProgress, match="buildium/pull-test"):
                _pull(sandbox, db_conn, kinesis_stream, entity, full=True, lock_wait_s=0.3)
    assert watermarks.read_watermark(db_conn, "buildium", AGENCY, "tenant") is None
    assert _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True).pulled > 0


def test_a_pull_waits_for_the_one_running_to_end(sandbox, kinesis_stream, db_conn,
                                                 db_url) -> None:
    """A scheduled pull that meets the webhook worker's short pull waits, not fails."""
    import threading

    from pms_pipelines.pulls.pull_and_publish import pull_lock

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with connect(db_url) as other, pull_lock(other, "buildium", AGENCY):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    threading.Timer(0.5, release.set).start()
    assert _pull(sandbox, db_conn, kinesis_stream, "tenant", full=True, lock_wait_s=30).pulled > 0
    assert release.is_set()
    holder.join(10)


def test_progress_goes_to_the_log_with_the_totals_the_api_gives(
    sandbox, kinesis_stream, db_conn, monkeypatch
) -> None:
    monkeypatch.setattr(progress, "EVERY_S", 0.0)  # every page, so a small pull shows it
    running, credentials = sandbox
    lines: list[str] = []
    report = pull_and_publish(
        BUILDIUM, agency_id=AGENCY, entity="property", credentials=credentials,
        base_url=running.base_url, conn=db_conn, kinesis=kinesis_client(),
        stream=kinesis_stream, full=True, log=lines.append,
    )
    store = running.store(AGENCY)
    # rentals, owners, units: one page each at Buildium's page size, X-Total-Count known
    reads = [("/v1/rentals", len(store.records["rentals"])),
             ("/v1/rentals/owners", len(store.records["owners"])),
             ("/v1/rentals/units", len(store.records["units"]))]
    assert len(lines) == 4
    so_far = 0
    for pages, (line, (path, total)) in enumerate(zip(lines, reads), start=1):
        so_far += total
        assert re.fullmatch(
            rf"buildium/{AGENCY}/property: {pages} pages, {so_far} records in \d+s; "
            rf"GET {path}: page 1, {total} of {total} records, 0 left \(~0 pages.*\)", line)
    assert report.pulled == len(store.records["units"])
    assert lines[3].startswith(f"buildium/{AGENCY}/property: full pull done, "
                               f"{report.pulled} pulled")
