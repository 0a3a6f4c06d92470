"""Figure 9, the whole path: PMS sandbox → Postgres rows, sandbox rate limit off.

The Buildium sandbox serves agencies holding about `e2e_records` records in all
(rentals, units, owners, tenants, leases, rents). Ours: a process, as a pull run, does
for each agency and entity a full `pull_and_publish` (client, mapping, canonical events,
PutRecords into moto) while another process consumes every shard into Postgres (one
thread per shard, as the sensor's runs per shard would, until the pull has ended and the
shard is caught up); timed from the pull's start (after its imports, as dlt's) to the
last commit. Baseline: dlt's `rest_api`
source over the same sandbox and collections into the same Postgres server (a merge on
`Id` per collection), run as a subprocess from its own virtualenv `.venv-bench`.
Both rates are the sandbox's records per second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.common import ROOT, Figure, Sizes, Stack, sandbox_agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations.buildium.sandbox import start_sandbox

BENCH_VENV = ROOT / ".venv-bench"
RECORDS_PER_UNIT = 4.4  # rentals+units+owners+tenants+leases+rents per unit, generated data
UNITS_PER_AGENCY = 2000


def dlt_python() -> Path | None:
    python = BENCH_VENV / "bin" / "python"
    return python if python.exists() else None


def _ours(stack: Stack, sandbox, agencies: list[dict], shards: int
          ) -> tuple[float, float, dict]:
    """The pull in a process of its own (a pull run) and the consumer in another (a thread
    per shard, as the sensor's runs per shard), both apart from the sandbox and moto as
    dlt is: the consumer takes what has arrived until the pull has ended and each shard
    is caught up."""
    stream = stack.new_stream(shards, "f9")
    url = stack.new_database("f9ours")
    path = stack.tmp / "f9-agencies.json"
    path.write_text(json.dumps([{k: a[k] for k in ("agency_id", "client_id", "client_secret")}
                                for a in agencies]))
    ended = stack.tmp / "f9-pull-ended"
    env = stack.child_env(PMS_DATABASE_URL=url)

    def child(*args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "bench.child", *args, "--stream", stream],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    consumer = child("consume-until", "--until", str(ended))
    puller = child("pull", "--base-url", sandbox.base_url, "--agencies", str(path))
    results = []
    for proc in (puller, consumer):
        out, err = proc.communicate(timeout=3600)
        ended.touch()
        if proc.returncode != 0:
            for other in (puller, consumer):
                if other.poll() is None:
                    other.kill()  # our own child
            raise RuntimeError(f"bench.child failed ({proc.returncode}): {err[-1500:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    pulled, consumed = results
    with connect(url) as conn:
        rows = {t: conn.execute(f"SELECT count(*) FROM pms.{t}").fetchone()[0]
                for t in ("property", "landlord", "tenant", "tenancy")}
    return consumed["end"] - pulled["start"], pulled["end"] - pulled["start"], rows


def _dlt(stack: Stack, sandbox, agencies: list[dict]) -> tuple[float, dict]:
    python = dlt_python()
    if python is None:
        raise RuntimeError(f"{BENCH_VENV} missing: `make bench` creates it from "
                           "bench/requirements-dlt.txt")
    url = stack.new_database("f9dlt")
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    config = {
        "base_url": sandbox.base_url, "dataset": "dlt_bench",
        "agencies": [{k: a[k] for k in ("agency_id", "client_id", "client_secret")}
                     for a in agencies],
        "postgres": {"host": host, "port": parts.port or 5432,
                     "database": parts.path.lstrip("/"),
                     "username": parts.username or "postgres", "password": parts.password},
        "page_size": 1000, "pipelines_dir": str(stack.tmp / "dlt-pipelines"),
    }
    path = stack.tmp / "dlt-config.json"
    path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["RUNTIME__LOG_LEVEL"] = "WARNING"
    proc = subprocess.run([str(python), str(ROOT / "bench" / "dlt_rest_api.py"), str(path)],
                          cwd=stack.tmp, env=env, capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"dlt failed: {proc.stderr[-1500:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["end"] - result["start"], result["rows"]


def run(stack: Stack, sizes: Sizes) -> Figure:
    units_total = max(1, round(sizes.e2e_records / RECORDS_PER_UNIT))
    count = max(1, -(-units_total // UNITS_PER_AGENCY))
    agencies = sandbox_agencies(count, units_total // count, "f9")
    sandbox = start_sandbox(agencies, rate_limit_per_s=None)
    try:
        records = sum(len(store.records[c]) for store in sandbox.state.stores
                      for c in store.records)
        ours_s, pull_s, ours_rows = _ours(stack, sandbox, agencies, 4)
        name = "whole path: sandbox → Postgres rows, records/s"
        try:
            dlt_s, dlt_rows = _dlt(stack, sandbox, agencies)
        except Exception as error:  # noqa: BLE001 - the figure says why
            return Figure("9", name, records / ours_s, "rec/s", target="≥ 1.0",
                          target_value=1.0, how="baseline failed",
                          notes=f"dlt baseline could not run: {str(error)[-300:]}",
                          details={"records": records, "ours_s": ours_s, "pull_s": pull_s,
                                   "ours_rows": ours_rows})
    finally:
        sandbox.stop()
    return Figure(
        "9", name, records / ours_s, "rec/s", baseline=records / dlt_s,
        baseline_name="dlt rest_api → postgres", target="≥ 1.0", target_value=1.0,
        details={"records": records, "agencies": count, "ours_s": ours_s, "dlt_s": dlt_s,
                 "pull_s": pull_s, "ours_rows": ours_rows, "dlt_rows": dlt_rows},
        notes=f"pull + publish alone {records / pull_s:,.0f} rec/s ({pull_s:.1f} of "
              f"{ours_s:.1f} s; dlt {dlt_s:.1f} s)",
    )
