"""Pull one entity of one agency from its PMS and publish the events to the stream.

Only real changes travel: an event whose id (a hash of its key and content) is the one
last published for its key is not published again (`unchanged`), unless the caller asks
to `republish` everything (a re-sync, an operator's forced re-publish).

The order of durable effects is what keeps the promise "nothing lost":
1. pull and publish, in chunks, while reading (memory stays flat on big agencies; one
   chunk is sent while the next is pulled);
2. on a full pull, diff the ids seen against the snapshot of earlier full pulls and
   publish a `delete` event for each id the last two full pulls missed (for PMSs that
   do not signal deletes; one miss can be offset paging skipping a shifted record);
3. only then, in one transaction: advance the watermark, replace the snapshot (with the
   event id now published for each id) and keep the records the mapping rejected as
   dead letters.
A failure in 1 or 2 leaves the watermark where it was, so the next run pulls again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pms_pipelines.canonical import Event, make_event
from pms_pipelines.db import dead_letters, snapshots, watermarks
from pms_pipelines.integrations.kit.cursor import ChangeCursor
from pms_pipelines.integrations.kit.integration import Integration, PullRequest, Rejected
from pms_pipelines.pulls.names import WEBHOOK_MODE
from pms_pipelines.pulls.progress import PullProgress
from pms_pipelines.stream.publisher import PublishStats, publish_records
from pms_pipelines.stream.records import OutgoingRecord

# The PMS filters on its own clock, ours may differ: re-read a little of the past.
# Re-published records keep their event id and are harmless under the version rule.
WATERMARK_OVERLAP = timedelta(minutes=2)
PUBLISH_CHUNK = 500


@dataclass
class PullReport:
    pms: str
    agency_id: str
    entity: str
    mode: str
    read: int = 0  # records read from the entity's own collections (kit/ledger.py)
    skipped: dict[str, int] = field(default_factory=dict)  # by the feed, per reason
    unaccounted: int = 0  # read, yet neither pulled (event or rejection) nor skipped
    pulled: int = 0
    unchanged: int = 0  # events not published: the content last published for their key
    published: int = 0
    rejected: int = 0
    deletes: int = 0
    suspects: int = 0  # missed by this full pull only: deleted if the next one misses them too
    watermark_before: datetime | None = None
    watermark_after: datetime | None = None
    seconds: float = 0.0
    publish: PublishStats = field(default_factory=PublishStats)
    rejections: list[Rejected] = field(default_factory=list)


class PullInProgress(RuntimeError):
    """Another pull of the same agency holds the lock."""


# How long a pull waits for another pull of its agency to end (a webhook's targeted pull
# takes a second or two; a full pull of a big agency minutes: then this one fails, and
# the next tick tries again).
LOCK_WAIT_S = 120.0
LOCK_POLL_S = 0.25


@contextmanager
def pull_lock(conn: Any, pms: str, agency_id: str, wait_s: float = 0.0) -> Iterator[None]:
    """One pull per agency at a time, however it was launched (schedule, webhook worker,
    UI, backfill): two would race on snapshots and watermarks, and on a provider's
    one-use refresh token (PropertyMe rotates it on every refresh). Waits up to `wait_s`
    for the lock, then raises `PullInProgress`."""
    key = f"pull/{pms}/{agency_id}"
    deadline = time.monotonic() + wait_s
    while True:
        locked = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()[0]
        conn.commit()
        if locked:
            break
        if time.monotonic() >= deadline:
            raise PullInProgress(f"another pull of {pms}/{agency_id} is running")
        time.sleep(LOCK_POLL_S)
    try:
        yield
    finally:
        conn.rollback()
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
        conn.commit()


def pull_and_publish(
    integration: Integration,
    *,
    agency_id: str,
    entity: str,
    credentials: Mapping[str, str],
    base_url: str,
    conn: Any,
    kinesis: Any,
    stream: str,
    full: bool,
    now: datetime | None = None,
    log: Callable[[str], None] | None = None,
    save_credentials: Callable[[Mapping[str, str]], None] | None = None,
    republish: bool = False,
    targets: Mapping[str, frozenset[str]] | None = None,
    delete_ids: Iterable[str] = (),
    lock_wait_s: float = LOCK_WAIT_S,
) -> PullReport:
    """Pull and publish one entity: everything (`full`), what changed since the
    watermark, or (`targets`, a webhook's) just the records of these ids by kind
    (kit/webhooks.py), publishing a delete for each of `delete_ids` (own ids, named in
    `targets` too) that the PMS no longer has. A targeted pull leaves the watermark
    alone and judges no other id deleted: it read too little to. Another pull of the
    agency running is waited for up to `lock_wait_s`."""
    with pull_lock(conn, integration.name, agency_id, lock_wait_s):
        started = time.monotonic()
        observed_at = now or datetime.now(timezone.utc)
        previous, stored_cursor = watermarks.read_pull_state(
            conn, integration.name, agency_id, entity)
        cursor = ChangeCursor(stored=stored_cursor)
        last_published = {} if republish else snapshots.published_events(
            conn, integration.name, agency_id, entity)
        conn.commit()
        targeted = targets is not None or bool(delete_ids)
        full = not targeted and (full or previous is None)
        report = PullReport(
            integration.name, agency_id, entity,
            WEBHOOK_MODE if targeted else "full" if full else "incremental",
            watermark_before=previous,
        )
        request = PullRequest(
            agency_id=agency_id,
            entity=entity,
            base_url=base_url,
            credentials=credentials,
            since=None if full or previous is None else previous - WATERMARK_OVERLAP,
            observed_at=observed_at,
            progress=PullProgress(log, f"{integration.name}/{agency_id}/{entity}") if log else None,
            save_credentials=save_credentials,
            cursor=cursor,
            targets=targets,
        )
        seen: set[str] = set()
        published: dict[str, str] = {}  # id -> its event id, sent now or unchanged
        read = integration.pull(request) if not targeted or targets else iter(())
        gone: list[str] = []
        events = _changed(_events_tracking(read, report, seen),
                          last_published, published, report)
        _publish(kinesis, stream, events, report)
        _account(request, report)
        if delete_ids:
            gone = sorted(set(delete_ids) - seen)
            deletes = [
                make_event(source=integration.name, agency_id=agency_id, entity=entity,
                           source_id=source_id, data=None, observed_at=observed_at)
                for source_id in gone
            ]
            report.deletes = len(deletes)
            _publish(kinesis, stream, iter(deletes), report)
        diff = None
        if full:
            previous_ids = snapshots.previous_snapshot(conn, integration.name, agency_id, entity)
            conn.commit()
            diff = snapshots.diff_snapshot(previous_ids, seen)
            deletes = [
                make_event(source=integration.name, agency_id=agency_id, entity=entity,
                           source_id=source_id, data=None, observed_at=observed_at)
                for source_id in sorted(diff.deleted)
            ]
            report.deletes = len(deletes)
            report.suspects = len(diff.suspects)
            _publish(kinesis, stream, iter(deletes), report)
        with conn.transaction():
            dead_letters.store_dead_letters(
                conn,
                [
                    dead_letters.DeadLetter(
                        stage="pull", reason=r.reason, raw=r.raw, source=integration.name,
                        agency_id=agency_id, entity=r.entity, source_id=r.source_id,
                    )
                    for r in report.rejections
                ],
            )
            if diff is not None:
                snapshots.replace_snapshot(
                    conn, integration.name, agency_id, entity, seen, diff.suspects,
                    now=observed_at, published=published,
                )
            else:
                snapshots.mark_seen(conn, integration.name, agency_id, entity, seen,
                                    published=published)
                # Deleted now: if it comes back, even as it was, it is published again.
                snapshots.forget(conn, integration.name, agency_id, entity, gone)
            if not targeted:
                watermarks.advance_watermark(conn, integration.name, agency_id, entity,
                                             observed_at, change_cursor=cursor.found,
                                             found_changes=report.published > 0)
        report.watermark_after = previous if targeted else observed_at
        report.seconds = time.monotonic() - started
        if log:
            log(
                f"{integration.name}/{agency_id}/{entity}: {report.mode} pull done, "
                f"{report.pulled} pulled, {report.unchanged} unchanged, "
                f"{report.published} published, {report.deletes} deletes, "
                f"{report.rejected} rejected, {sum(report.skipped.values())} skipped "
                f"in {report.seconds:.1f}s"
            )
        return report


def _account(request: PullRequest, report: PullReport) -> None:
    """What the pull read against what became of it. A record unaccounted for is a bug
    of the integration's feed (it dropped a record without a declared reason): the
    report says so, and the pull asset logs it as an error."""
    ledger = request.ledger
    report.read = ledger.read[request.entity]
    report.skipped = dict(ledger.skipped)
    report.unaccounted = ledger.unaccounted(request.entity, report.pulled)


def _events_tracking(
    items: Iterable[Event | Rejected], report: PullReport, seen: set[str]
) -> Iterator[Event]:
    for item in items:
        report.pulled += 1
        if isinstance(item, Rejected):
            report.rejected += 1
            report.rejections.append(item)
            if item.source_id is not None:
                seen.add(item.source_id)  # it exists at the PMS: not a delete
            continue
        seen.add(item.source_id)
        yield item


def _changed(events: Iterable[Event], last_published: Mapping[str, str],
             published: dict[str, str], report: PullReport) -> Iterator[Event]:
    """The events whose content is not what was last published for their key; every
    event's id goes into `published`, for the snapshot."""
    for event in events:
        published[event.source_id] = event.event_id
        if last_published.get(event.source_id) == event.event_id:
            report.unchanged += 1
            continue
        yield event


def _publish(kinesis: Any, stream: str, events: Iterator[Event], report: PullReport) -> None:
    """Publish in chunks, one chunk on its way while the next is pulled and mapped (in
    order: one sender). A failed chunk raises here before anything else is published."""
    with ThreadPoolExecutor(1, "publish") as sender:
        sending: Future | None = None
        chunk: list[OutgoingRecord] = []
        for event in events:
            chunk.append(OutgoingRecord(event.key, event.to_bytes()))
            if len(chunk) == PUBLISH_CHUNK:
                _count(sending, report)
                sending, chunk = sender.submit(publish_records, kinesis, stream, chunk), []
        _count(sending, report)
        if chunk:
            _count(sender.submit(publish_records, kinesis, stream, chunk), report)


def _count(sending: Future | None, report: PullReport) -> None:
    """Wait for a chunk sent; its failure is raised here."""
    if sending is not None:
        stats = sending.result()
        report.publish.merge(stats)
        report.published += stats.published
