"""Figure 11, webhooks: seconds from a change in the sandbox to its row in Postgres, the
webhook path against the polling path in the same run; vendor requests per change and
per idle agency per hour.

Per PMS with webhooks (Buildium, Reapit) two agencies, each in its own sandbox (so each
one's requests are counted apart): one registered with a webhook account, its sandbox
subscribed to a real receiver (uvicorn on loopback), and one polled only. Changes are
made at random moments (Buildium: a tenant's phones; Reapit: a tenancy's rent), each a
real content change. Measured, with the real code: the sandbox's signed webhook, the
receiver storing it, the webhook sensor's logic (a worker run per PMS with notices due
and no worker on its way), the worker's loop (`serve_notices.serve_pms`: targeted pulls
by `pull_and_publish`, half a second between rounds, staying `PMS_WEBHOOK_LINGER_S`) or,
on the polled agencies, the incremental pull each schedule tick asks for, the consumer
sensor's logic (`shards_to_consume`) and `consume_shard`; a change's latency ends at
the commit of the batch holding the first event that shows its value (a pull that
started before the change may read it; each change sets a value new for its record).

Modelled (Dagster is not started, as in figure 8): the daemon evaluates sensors at most
every 5 s (`MIN_INTERVAL_LOOP_TIME`), so the webhook sensor ticks every
max(`PMS_WEBHOOK_INTERVAL_S`, 5) s and the consumer sensor every
max(`PMS_CONSUMER_INTERVAL_S`, 5) s; each run then waits in the queue up to the local
instance's `dequeue_interval_seconds` (1 s) and its process starts (measured: an
interpreter importing the definitions) before its code runs: each simulated run sleeps
that long first. Consume runs stay on their shard once caught up, as the local stack's
do (`PMS_CONSUME_LINGER_S` 60 s), and webhook workers stay while notices come. Dagster
on a busy laptop adds more than this model: a run's process start competes for the same
two cores (docs/benchmarks.md gives what `make dev` showed).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import random
import secrets
import tempfile
import threading
import time
from collections import defaultdict
from decimal import Decimal
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.common import Figure, Sizes, Stack
from bench.f8_latency import _pct, run_startup_seconds
from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db import agencies, webhook_notices
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.consumer_sensor import MAX_RUNS_PER_TICK
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit.auth import forget_tokens
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines.pulls.serve_notices import Served, serve_agency, serve_pms
from pms_pipelines.settings import cron_interval_s, schedules
from pms_pipelines.local_stack.stack import LOCAL_CONSUME_LINGER_S
from pms_pipelines.webhooks.serve import start_receiver

DAEMON_LOOP_S = 5.0  # dagster/_daemon/sensor.py MIN_INTERVAL_LOOP_TIME
# A queued run's wait before its process starts, with the local instance's
# `dequeue_interval_seconds: 1` (dagster.yaml), as measured under `make dev`.
QUEUE_WAIT_S = (0.0, 1.0)
PROD_POLL_S = 15 * 60  # the incremental cadence in AWS, for requests per idle hour
# What each PMS's change does: (collection, entity, mutate, shown). `mutate(record, rng,
# used)` gives the record a value it never had in this run and returns it; `shown(data)`
# is that value as the canonical record carries it.
def _new_phone(record: dict[str, Any], rng: random.Random, used: set[Any]) -> str:
    had = used | {p.get("Number") for p in record.get("PhoneNumbers") or []}
    while (number := f"(555) 01{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}") in had:
        pass
    record.update(PhoneNumbers=[{"Number": number, "Type": "Cell"}])
    return number


def _new_rent(record: dict[str, Any], rng: random.Random, used: set[Any]) -> Decimal:
    had = used | ({Decimal(str(record["rent"]))} if record.get("rent") is not None else set())
    while (rent := Decimal(rng.randrange(600, 3000, 5))) in had:
        pass
    record.update(rent=float(rent))
    return rent


CHANGES = {
    "buildium": ("tenants", "tenant", _new_phone,
                 lambda data: ((data or {}).get("contact") or {}).get("phone")),
    "reapit": ("tenancies", "tenancy", _new_rent,
               lambda data: None if (data or {}).get("rent_amount") is None
               else Decimal(str(data["rent_amount"]))),
}


class Agency:
    """One agency of the figure: its sandbox, and whether webhooks or polls bring its
    changes."""

    def __init__(self, pms: str, hooked: bool, sandbox: Any, agency: dict[str, Any]) -> None:
        self.pms, self.hooked, self.sandbox, self.agency = pms, hooked, sandbox, agency
        self.agency_id = agency["agency_id"]
        self.credentials = {f: agency[f] for f in REGISTRY[pms].credential_fields}
        self.in_flight = False
        self.requests_before = 0


def _start(stack: Stack, pms: str, hooked: bool, units: int, secrets_dir: Path,
           url: str) -> Agency:
    integration = REGISTRY[pms]
    agency_id = f"f11-{pms}-{'hooked' if hooked else 'polled'}"
    agency = {"agency_id": agency_id, "units": units, "webhook_account": agency_id,
              "webhook_secret": secrets.token_urlsafe(16),
              **{f: f"{agency_id}-{f}" for f in integration.credential_fields}}
    module = importlib.import_module(integration.sandbox_module)
    sandbox = module.start_sandbox([agency], rate_limit_per_s=None)
    path = secrets_dir / f"{agency_id}.json"
    path.write_text(json.dumps({k: v for k, v in agency.items()
                                if k in (*integration.credential_fields, "webhook_secret")}))
    with connect(url) as conn:
        agencies.register_agency(conn, pms, agency_id, display_name=agency_id,
                                 credentials_ref=f"file:{path}",
                                 webhook_account=agency_id if hooked else None)
        conn.commit()
    return Agency(pms, hooked, sandbox, agency)


def run(stack: Stack, sizes: Sizes) -> list[Figure]:
    url = stack.new_database("f11")
    stream = stack.new_stream(4, "f11")
    kinesis = kinesis_client()
    model = sizes.webhook_model_dagster
    startup = run_startup_seconds(stack) if model else 0.0
    # The local stack's consume runs stay on their shard once caught up (make dev).
    linger = float(LOCAL_CONSUME_LINGER_S) if model else 1.0
    rng = random.Random(11)
    webhook_tick = max(float(schedules().webhook_interval_s), DAEMON_LOOP_S if model else 0.0)
    consumer_tick = max(float(schedules().consumer_interval_s), DAEMON_LOOP_S if model else 0.0)
    poll_every = sizes.webhook_poll_s or float(cron_interval_s(schedules().incremental_cron))
    if not model:
        webhook_tick, consumer_tick = 0.5, 0.5
    secrets_dir = Path(tempfile.mkdtemp(prefix="f11-"))
    paths = [_start(stack, pms, hooked, sizes.webhook_units, secrets_dir, url)
             for pms in CHANGES for hooked in (True, False)]
    for p in paths:  # the receiver fetches Reapit's keys from its base URL
        if p.hooked:
            os.environ[f"PMS_{p.pms.upper()}_BASE_URL"] = p.sandbox.base_url
    receiver = start_receiver(REGISTRY, url)
    lock = threading.Lock()
    errors: list[BaseException] = []
    # key -> the changes not yet in Postgres, oldest first: (when, the value it set)
    changes: dict[tuple[str, str, str, str], list[tuple[float, Any]]] = defaultdict(list)
    used: dict[tuple[str, str, str, str], set[Any]] = defaultdict(set)
    latency: dict[bool, list[float]] = {True: [], False: []}
    made = {True: 0, False: 0}
    runs = {"webhook": 0, "poll": 0, "consume": 0}
    consuming: set[str] = set()
    serving: set[str] = set()  # PMSs whose webhook worker is on its way
    done = threading.Event()
    worker_linger = schedules().webhook_linger_s if model else 1.0

    def delay() -> None:
        if model:
            time.sleep(rng.uniform(*QUEUE_WAIT_S) + startup)

    def pull(p: Agency, entity: str, **how: Any) -> None:
        with connect(url) as conn:
            pull_and_publish(REGISTRY[p.pms], agency_id=p.agency_id, entity=entity,
                             credentials=p.credentials, base_url=p.sandbox.base_url,
                             conn=conn, kinesis=kinesis, stream=stream, **how)

    def as_run(kind: str, work: Any, p: Agency | None = None) -> None:
        def body() -> None:
            try:
                delay()
                work()
            except BaseException as error:  # noqa: BLE001 - surfaced by the main loop
                errors.append(error)
            finally:
                with lock:
                    if p is not None:
                        p.in_flight = False
        with lock:
            runs[kind] += 1
            if p is not None:
                p.in_flight = True
        threading.Thread(target=body, daemon=True).start()

    def worker(pms: str) -> None:
        """The webhook worker's run (defs/webhook_worker.py), ended with the figure."""
        hooked = {p.agency_id: p for p in paths if p.pms == pms and p.hooked}
        try:
            with connect(url) as conn:
                def serve(agency_id: str, ids: list[int]) -> Served:
                    p = hooked[agency_id]
                    return serve_agency(conn, pms, agency_id, ids, lambda entity, todo: (
                        pull_and_publish(
                            REGISTRY[pms], agency_id=agency_id, entity=entity,
                            credentials=p.credentials, base_url=p.sandbox.base_url,
                            conn=conn, kinesis=kinesis, stream=stream, full=False,
                            targets=todo.frozen_targets(), delete_ids=todo.deletes,
                            lock_wait_s=0)), "f11")

                serve_pms(conn, pms, serve, linger_s=worker_linger,
                          max_s=schedules().webhook_max_s,
                          clock=lambda: math.inf if done.is_set() else time.monotonic())
        finally:
            with lock:
                serving.discard(pms)

    def hook(_conn: Any, result: Any) -> None:
        now = time.time()
        with lock:
            for outcome in result.outcomes:
                event = outcome.event
                if event is None or outcome.outcome != "loaded":
                    continue
                key = (event.source, event.agency_id, event.entity, event.source_id)
                waiting = changes.get(key)
                if not waiting:
                    continue
                shown = CHANGES[event.source][3](event.model_dump(mode="json")["data"])
                # The event shows the value of one change: it and every earlier one are in.
                last = max((i for i, (_, value) in enumerate(waiting) if value == shown),
                           default=None)
                if last is None:
                    continue
                for t, _ in waiting[:last + 1]:
                    latency[event.agency_id.endswith("hooked")].append(now - t)
                del waiting[:last + 1]

    def consume(shard_id: str) -> None:
        try:
            with connect(url) as conn:
                consume_shard(kinesis_client(), conn, stream, shard_id, before_commit=hook,
                              linger_s=linger, max_seconds=schedules().consume_max_s)
        finally:
            with lock:
                consuming.discard(shard_id)

    # Everything pulled once, as the first full pulls do, and consumed.
    for p in paths:
        for entity in REGISTRY[p.pms].entities:
            pull(p, entity, full=True)
    moments = sorted((rng.uniform(0, sizes.webhook_seconds), p)
                     for p in paths for _ in range(sizes.webhook_changes))
    for p in paths:
        p.requests_before = sum(p.sandbox.state.counts.values())
        if p.hooked:
            p.sandbox.webhooks.subscribe(receiver.url(p.pms))

    def changer() -> None:
        start = time.time()
        for moment, p in moments:
            time.sleep(max(0.0, start + moment - time.time()))
            collection, entity, mutate, _ = CHANGES[p.pms]
            store = p.sandbox.store(p.agency_id)
            with store.lock:
                record_id = rng.choice(sorted(store.records[collection]))
                record = store.records[collection][record_id]
                key = (p.pms, p.agency_id, entity, str(record_id))
                with lock:
                    value = mutate(record, rng, used[key])
                    used[key].add(value)
                    at = time.time()
                    changes[key].append((at, value))
                    made[p.hooked] += 1
                store.put(collection, record, datetime.fromtimestamp(at, timezone.utc))

    started = time.time()
    changing = threading.Thread(target=changer, daemon=True)
    changing.start()
    next_tick = {"webhook": started, "consumer": started, "poll": started + poll_every}
    deadline = started + sizes.webhook_seconds + 2 * poll_every + 120
    sensor_kinesis = kinesis_client()
    with connect(url) as conn:
        while time.time() < deadline:
            if errors:
                raise errors[0]
            now = time.time()
            if now >= next_tick["webhook"]:
                next_tick["webhook"] += webhook_tick
                due = {pms for pms, _ in webhook_notices.pending_agencies(conn, 1)}
                conn.commit()
                for pms in sorted(due):
                    with lock:
                        if pms in serving:
                            continue
                        serving.add(pms)
                    as_run("webhook", lambda pms=pms: worker(pms))
            if now >= next_tick["consumer"]:
                next_tick["consumer"] += consumer_tick
                with lock:
                    busy = set(consuming)
                planned, _ = shards_to_consume(sensor_kinesis, conn, stream, busy,
                                               MAX_RUNS_PER_TICK)
                for shard_id in planned:
                    with lock:
                        consuming.add(shard_id)
                    as_run("consume", lambda s=shard_id: consume(s))
            if now >= next_tick["poll"]:
                next_tick["poll"] += poll_every
                for p in paths:
                    if not p.hooked and not p.in_flight:
                        as_run("poll", lambda p=p: [pull(p, e, full=False)
                                                    for e in REGISTRY[p.pms].entities], p)
            with lock:
                left = sum(len(v) for v in changes.values())
            if not changing.is_alive() and left == 0:
                break
            time.sleep(0.05)
    done.set()
    receiver.stop()
    if errors:
        raise errors[0]
    lost = sum(len(v) for v in changes.values())
    if lost:
        raise RuntimeError(f"{lost} changes never reached Postgres")
    requests = {p.agency_id: sum(p.sandbox.state.counts.values()) - p.requests_before
                for p in paths}
    per_change = {p.pms: requests[p.agency_id] / max(1, sizes.webhook_changes)
                  for p in paths if p.hooked}
    idle = _idle_requests(paths, pull)
    for p in paths:
        p.sandbox.stop()
    hooked_p50, hooked_p95 = _pct(latency[True], 0.5), _pct(latency[True], 0.95)
    polled_p50, polled_p95 = _pct(latency[False], 0.5), _pct(latency[False], 0.95)
    relaxed = schedules().webhook_poll_s / cron_interval_s(schedules().incremental_cron)
    idle_hour = {f"{pms} {'webhooks' if hooked else 'polled'}":
                 round(3600 / PROD_POLL_S / (relaxed if hooked else 1) * n, 1)
                 for (pms, hooked), n in idle.items()}
    details = {"changes": {"webhook": made[True], "polled": made[False]}, "runs": runs, "webhook_tick_s": webhook_tick,
               "consumer_tick_s": consumer_tick, "poll_every_s": poll_every,
               "run_startup_s": startup, "queue_wait_s": QUEUE_WAIT_S if model else (0, 0),
               "consume_linger_s": linger, "webhook_linger_s": worker_linger,
               "requests": requests, "requests_per_change": per_change,
               "idle_requests_per_poll": {f"{k[0]} {k[1]}": v for k, v in idle.items()},
               "idle_requests_per_hour_in_aws": idle_hour,
               "polled_p50_s": polled_p50, "polled_p95_s": polled_p95,
               "webhook_p50_s": hooked_p50, "webhook_p95_s": hooked_p95}
    how = "measured + modelled" if model else "measured"
    worst = max(per_change.values())
    return [
        Figure("11a", f"webhook change → row, p95 (p50 {hooked_p50:.1f} s)", hooked_p95, "s",
               baseline=polled_p95, baseline_name=f"polling path p95 (p50 {polled_p50:.1f} s)",
               target="p95 ≤ 10 s", target_op="<=", target_value=10.0, compare="ours",
               how=how, details=details,
               notes=f"{made[True]} webhook and {made[False]} polled changes; modelled "
                     f"per run: queue 0–1 s + start {startup:.1f} s; workers and consume "
                     f"runs stay while work comes; sensors every "
                     f"{webhook_tick:g} s (webhooks) and {consumer_tick:g} s (consumer)"),
        Figure("11b", "vendor requests per webhook change (worst PMS, tokens included)",
               worst, "req", target="≤ 2", target_op="<=", target_value=2.0,
               compare="ours", how="measured", details={"per_pms": per_change},
               notes=", ".join(f"{k} {v:.2f}" for k, v in per_change.items())),
        Figure("11c", "idle agency: vendor requests per hour in AWS, webhooks on (worst PMS)",
               max(v for k, v in idle_hour.items() if "webhooks" in k), "req/h",
               baseline=max(v for k, v in idle_hour.items() if "polled" in k),
               baseline_name="polled only", target="ratio ≤ 1", target_op="<=",
               target_value=1.0, how="measured", details={"per_hour": idle_hour},
               notes=", ".join(f"{k} {v:g}" for k, v in idle_hour.items())),
    ]


def _idle_requests(paths: list[Agency], pull: Any) -> dict[tuple[str, bool], int]:
    """Requests of one incremental pull run of every entity with nothing changed."""
    counts = {}
    for p in paths:
        forget_tokens()  # a new run process
        before = sum(p.sandbox.state.counts.values())
        for entity in REGISTRY[p.pms].entities:
            pull(p, entity, full=False)
        counts[(p.pms, p.hooked)] = sum(p.sandbox.state.counts.values()) - before
    return counts
