"""What every figure shares: the local stack it runs on, the events it uses, the result row.

The stack is the project's own local stack pieces started in this process: an embedded
Postgres (pgserver) in a temporary directory, moto in server mode on loopback, and the
Buildium sandbox when a figure asks for one. Every figure gets a fresh migrated database
and a fresh stream, so figures never see each other's data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pms_pipelines.canonical.model import record_key
from pms_pipelines.consumer.consume import BATCH_LIMIT
from pms_pipelines.db.connection import url_for_database
from pms_pipelines.db.migrate import migrate
from pms_pipelines.stream.records import OutgoingRecord

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Sizes:
    """Every size a figure uses; `make bench` runs the issue's sizes, tests run `tiny()`."""

    loader_events: int = 200_000  # figure 1
    consumer_events: int = 200_000  # figure 2
    consumer_shards: int = 4
    publisher_events: int = 200_000  # figure 3
    memory_events: int = 1_000_000  # figure 4 (against memory_baseline_events)
    memory_baseline_events: int = 100_000
    rate_pull_units: int = 1200  # figure 5: one agency of this many units at 10 req/s
    rate_pull_page_size: int = 50  # small pages, so the pull makes enough requests to pace
    incremental_agencies: int = 3  # figure 6
    incremental_units: int = 300
    tick_shards: int = 64  # figure 7
    tick_repeats: int = 5
    latency_events: int = 300  # figure 8: records published at random times
    latency_seconds: float = 60.0  # over this long
    latency_interval_s: float | None = None  # None: the local stack's default sensor interval
    e2e_records: int = 50_000  # figure 9: sandbox records (units+owners+tenants+leases)
    change_units: int = 2000  # figure 10: an unchanged agency pulled in full
    webhook_changes: int = 200  # figure 11: changes per agency (two hooked, two polled)
    webhook_seconds: float = 240.0  # made over this long
    webhook_units: int = 60
    webhook_poll_s: float | None = None  # None: the local incremental cadence (120 s)
    webhook_model_dagster: bool = True  # add Dagster's daemon loop, queue and run start
    batch_limit: int = BATCH_LIMIT  # the consumer's

    @classmethod
    def tiny(cls) -> Sizes:
        return cls(
            loader_events=600, consumer_events=800, consumer_shards=2, publisher_events=600,
            memory_events=1_000, memory_baseline_events=500, rate_pull_units=40,
            rate_pull_page_size=10, incremental_agencies=1, incremental_units=20,
            tick_shards=8, tick_repeats=1, latency_events=8, latency_seconds=2.0,
            latency_interval_s=1.0, e2e_records=400, batch_limit=200, change_units=20,
            webhook_changes=4, webhook_seconds=2.0, webhook_units=10, webhook_poll_s=2.0,
            webhook_model_dagster=False,
        )


# --------------------------------------------------------------------------- results


@dataclass
class Figure:
    """One row of the table. `ratio` is always `ours / baseline`, from measured values."""

    number: str
    name: str
    ours: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = "—"
    target: str = ""
    target_op: str = ">="  # how `value` compares to `target_value`
    target_value: float | None = None
    compare: str = "ratio"  # "ratio" or "ours": which number the target applies to
    extra_checks: dict[str, bool] = field(default_factory=dict)
    how: str = "measured"
    notes: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.baseline:
            return None
        return self.ours / self.baseline

    @property
    def met(self) -> bool | None:
        if self.error is not None:
            return False
        value = self.ratio if self.compare == "ratio" else self.ours
        if value is None or self.target_value is None:
            return None
        ok = value >= self.target_value if self.target_op == ">=" else value <= self.target_value
        return ok and all(self.extra_checks.values())

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data


def failed_figure(number: str, name: str, error: BaseException | str) -> Figure:
    return Figure(number, name, None, "", error=str(error)[:500], how="failed")


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}"


def table(figures: list[Figure]) -> str:
    """The markdown table: figure, ours, baseline, ratio, target, met?"""
    lines = [
        "| # | figure | ours | baseline | ratio | target | met? | how |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        ours = "error" if f.error else f"{_fmt(f.ours)} {f.unit}".strip()
        base = "—" if f.baseline is None else f"{_fmt(f.baseline)} ({f.baseline_name})"
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        lines.append(
            f"| {f.number} | {f.name} | {ours} | {base} | {_fmt(f.ratio)} | {f.target} "
            f"| {met} | {f.how} |"
        )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        with open("/proc/meminfo") as meminfo:
            total_kb = int(meminfo.readline().split()[1])
        info["mem_total_gib"] = round(total_kb / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        info["loadavg_at_start"] = os.getloadavg()
    except OSError:
        pass
    return info


# --------------------------------------------------------------------------- the stack


def patch_moto_put_cost() -> None:
    """moto 5.x finds a shard's last sequence number with `list(records.keys())[-1]` on
    every record put, so publishing N records into one shard costs O(N²): a million
    records into one shard would take hours, for the emulator's sake alone. The same
    answer in O(1) (`records` is an insertion-ordered dict). Only this process' moto."""
    from moto.kinesis.models import Shard

    def get_max_sequence_number(self: Any) -> int:
        return next(reversed(self.records)) if self.records else 0

    Shard.get_max_sequence_number = get_max_sequence_number


class Stack:
    """Embedded Postgres + moto for the whole run; databases and streams per figure."""

    def __init__(self, say: Any = print) -> None:
        from pms_pipelines.local_stack.aws_emulator import start_moto, use_emulator
        from pms_pipelines.local_stack.embedded_postgres import start_embedded_postgres

        self.say = say
        self._saved_env = dict(os.environ)
        self.tmp = Path(tempfile.mkdtemp(prefix="pms-bench-"))
        self.pg = start_embedded_postgres(self.tmp / "pg", databases=(), cleanup_mode="delete")
        self.server_url = self.pg.server_url
        self.template = f"bench_template_{uuid.uuid4().hex[:8]}"
        migrate(self._create_database(self.template))
        patch_moto_put_cost()
        self.moto = start_moto()
        use_emulator(self.moto)

    def _create_database(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template is not None:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(statement)
        return url_for_database(self.server_url, name)

    def new_database(self, label: str) -> str:
        """A fresh database with every migration applied."""
        return self._create_database(f"bench_{label}_{uuid.uuid4().hex[:8]}", self.template)

    def new_stream(self, shards: int, label: str = "bench") -> str:
        from pms_pipelines.local_stack.aws_emulator import create_stream

        name = f"{label}-{uuid.uuid4().hex[:8]}"
        create_stream(name, shard_count=shards, timeout_s=120)
        return name

    def child_env(self, **extra: str) -> dict[str, str]:
        """The environment a subprocess needs to reach this stack."""
        env = dict(os.environ)
        env.update(self.moto.env())
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.update(extra)
        return env

    def stop(self) -> None:
        try:
            self.moto.stop()
        finally:
            self.pg.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)
            os.environ.clear()
            os.environ.update(self._saved_env)


# --------------------------------------------------------------------------- events


def sandbox_agencies(count: int, units: int, prefix: str = "bench") -> list[dict[str, Any]]:
    return [
        {"agency_id": f"{prefix}-{i:03d}", "client_id": f"{prefix}-client-{i:03d}",
         "client_secret": f"{prefix}-secret-{i:03d}", "units": units}
        for i in range(count)
    ]


def pull_agency_events(base_url: str, agency: dict[str, Any], *, entities: tuple[str, ...]
                       = ("property", "landlord", "tenant", "tenancy"),
                       rate_limit_per_s: float | None = None, page_size: int = 1000,
                       since: datetime | None = None) -> list[Any]:
    """Every event of one agency, through the real Buildium client and mapping."""
    from pms_pipelines.integrations.buildium.client import BuildiumClient
    from pms_pipelines.integrations.buildium.pull import pull
    from pms_pipelines.integrations.kit import PullRequest

    creds = {"client_id": agency["client_id"], "client_secret": agency["client_secret"]}
    out: list[Any] = []
    for entity in entities:
        client = BuildiumClient(base_url, creds["client_id"], creds["client_secret"],
                                page_size=page_size, rate_limit_per_s=rate_limit_per_s)
        request = PullRequest(agency_id=agency["agency_id"], entity=entity, base_url=base_url,
                              credentials=creds, since=since,
                              observed_at=datetime.now(timezone.utc))
        out.extend(e for e in pull.with_client(client, request) if hasattr(e, "to_bytes"))
    return out


_TEMPLATE: list[tuple[dict[str, Any], Any]] = []
TEMPLATE_UNITS = 2000


def _template_documents() -> list[tuple[dict[str, Any], Any]]:
    """Realistic events: one generated Buildium agency pulled and mapped for real. Each is
    kept as (its JSON document, its data as the event id hashes it)."""
    if not _TEMPLATE:
        from pms_pipelines.integrations.buildium.sandbox import start_sandbox

        agency = sandbox_agencies(1, TEMPLATE_UNITS, "template")[0]
        sandbox = start_sandbox([agency], rate_limit_per_s=None)
        try:
            events = pull_agency_events(sandbox.base_url, agency)
        finally:
            sandbox.stop()
        _TEMPLATE.extend(
            (json.loads(e.to_bytes()), None if e.data is None else e.data.model_dump(mode="json"))
            for e in events)
    return _TEMPLATE


def bench_records(n: int) -> list[OutgoingRecord]:
    """`n` valid canonical events as stream records, each its own key: the template agency's
    events repeated under new agency ids (so new keys, and event ids computed the way
    `event_id_for` does, which the consumer's validation checks)."""
    template = _template_documents()
    records: list[OutgoingRecord] = []
    copy = 0
    while len(records) < n:
        agency = f"bench-{copy:05d}"
        for doc, data in template[: n - len(records)]:
            key = record_key(doc["source"], agency, doc["entity"], doc["source_id"])
            body = {"key": key, "op": doc["op"], "data": data}
            event_id = hashlib.sha256(
                json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
            ).hexdigest()[:32]
            doc = dict(doc, agency_id=agency, event_id=event_id)
            records.append(OutgoingRecord(key, json.dumps(doc, separators=(",", ":")).encode()))
        copy += 1
    return records


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start


def run_children(stack: Stack, calls: list[list[str]], env: dict[str, str] | None = None,
                 timeout: float = 3600) -> list[dict[str, Any]]:
    """Start `python -m bench.child ARGS` for each of `calls` at once; their JSON results."""
    import subprocess

    procs = [
        subprocess.Popen([sys.executable, "-m", "bench.child", *args], cwd=ROOT,
                         env=stack.child_env(**(env or {})), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for args in calls
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"bench.child failed ({proc.returncode}): {err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def shard_ids(stream: str) -> list[str]:
    from pms_pipelines.aws import kinesis_client
    from pms_pipelines.stream.reader import list_shards

    return [s["ShardId"] for s in list_shards(kinesis_client(), stream)]


def publish(stream: str, records: list[OutgoingRecord]) -> None:
    from pms_pipelines.aws import kinesis_client
    from pms_pipelines.stream.publisher import publish_records

    publish_records(kinesis_client(), stream, records)
