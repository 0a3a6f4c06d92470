"""Bring up the whole local stack in this process: Postgres, moto, the PMS sandboxes.

`start_stack` returns the environment every other process (dagster dev, its runs,
the demo) needs; nothing here runs in production.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.db.migrate import migrate
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.local_stack.aws_emulator import (
    create_bucket,
    create_delivery_stream,
    create_stream,
    create_topic,
    start_moto,
    use_emulator,
)
from pms_pipelines.local_stack.embedded_postgres import start_embedded_postgres
from pms_pipelines.webhooks.serve import RunningReceiver, start_receiver

STREAM = "pms-events"
SHARDS = 4
LAKE_BUCKET = "pms-lake-local"
# Raw Firehose objects and the compacted lake share the local bucket (two in AWS).
FIREHOSE_STREAM = "pms-handled-events"
ALERT_TOPIC = "pms-alerts"
RAW_PREFIX = "raw/"
AGENCIES = ("acme-lettings", "harbour-homes", "northside-rentals")
LOCAL_CONSUME_LINGER_S = "60"  # settings.py: consume runs stay on their shard a minute
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LocalStack:
    env: dict[str, str]
    stoppers: list[Callable[[], Any]] = field(default_factory=list)
    sandboxes: dict[str, Any] = field(default_factory=dict)
    receiver: RunningReceiver | None = None

    def stop(self) -> None:
        for stop in reversed(self.stoppers):
            stop()
        self.stoppers.clear()


def start_stack(
    state_dir: Path = ROOT / ".local_stack",
    *,
    churn_seconds: float | None = 20.0,
    units_per_agency: int = 300,
    agencies: tuple[str, ...] = AGENCIES,
    say: Callable[[str], None] = print,
) -> LocalStack:
    # Consume runs stay on their shard a minute once caught up (settings.py): a change
    # reaches its row in about a second, not a sensor tick and a run start later.
    stack = LocalStack(env={"PMS_ENV": "local", "PMS_STREAM_NAME": STREAM,
                            "PMS_CONSUME_LINGER_S": os.environ.get("PMS_CONSUME_LINGER_S",
                                                                   LOCAL_CONSUME_LINGER_S)})
    try:
        _start_postgres(stack, state_dir, say)
        _start_aws(stack, say)
        stack.env["PMS_LAKE_MASK_KEY"] = lake_mask_key(state_dir)
        _start_receiver(stack, say)
        _start_sandboxes(stack, state_dir, churn_seconds, units_per_agency, agencies, say)
    except BaseException:
        stack.stop()
        raise
    os.environ.update(stack.env)
    return stack


def _start_postgres(stack: LocalStack, state_dir: Path, say: Callable[[str], None]) -> None:
    url = os.environ.get("PMS_DATABASE_URL")
    if url:
        say("postgres: using PMS_DATABASE_URL")
        dagster_url = os.environ.get("DAGSTER_PG_URL", url)
    else:
        pg = start_embedded_postgres(state_dir / "pg")
        stack.stoppers.append(pg.stop)
        url, dagster_url = pg.urls["pms"], pg.urls["dagster"]
        say(f"postgres: embedded server in {state_dir / 'pg'}")
    applied = migrate(url)
    say(f"postgres: {len(applied)} migration(s) applied")
    with connect(url) as conn:
        # moto keeps no state between runs: checkpoints of the old stream mean nothing,
        # and events published but not consumed are gone, so the first pulls are full.
        conn.execute("DELETE FROM ingest.checkpoint WHERE stream_name = %s", (STREAM,))
        conn.execute("DELETE FROM ingest.pull_watermark WHERE agency_id = ANY(%s)", (list(AGENCIES),))
        conn.commit()
    stack.env.update(PMS_DATABASE_URL=url, DAGSTER_PG_URL=dagster_storage_url(dagster_url))


def dagster_storage_url(url: str) -> str:
    """Name the psycopg2 driver: SQLAlchemy 2.1 maps a bare `postgresql://` to psycopg 3,
    whose server-side parameters break dagster-postgres' `NOTIFY run_events, %s`."""
    scheme, sep, rest = url.partition("://")
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg2{sep}{rest}"
    return url


def _start_aws(stack: LocalStack, say: Callable[[str], None]) -> None:
    emulator = start_moto(int(os.environ.get("PMS_MOTO_PORT", "0")))
    stack.stoppers.append(emulator.stop)
    use_emulator(emulator)
    create_stream(STREAM, SHARDS)
    create_bucket(LAKE_BUCKET)
    create_delivery_stream(FIREHOSE_STREAM, LAKE_BUCKET, RAW_PREFIX)
    stack.env.update(emulator.env())
    stack.env.update(
        PMS_FIREHOSE_STREAM=FIREHOSE_STREAM, PMS_RAW_BUCKET=LAKE_BUCKET,
        PMS_LAKE_BUCKET=LAKE_BUCKET,
    )
    # Alerts go to an SNS topic in moto unless one is given (a webhook may be added).
    topic = os.environ.get("PMS_ALERT_SNS_TOPIC_ARN") or create_topic(ALERT_TOPIC)
    stack.env["PMS_ALERT_SNS_TOPIC_ARN"] = topic
    say(f"aws: moto at {emulator.endpoint_url}, stream {STREAM} ({SHARDS} shards), "
        f"firehose {FIREHOSE_STREAM} -> s3://{LAKE_BUCKET}/{RAW_PREFIX}, "
        f"alerts -> {topic}")


def lake_mask_key(state_dir: Path) -> str:
    """The lake's masking key, made once per state dir (in AWS it is a secret): random, so
    no key that masks real data lives in the repo, and kept, so masks stay comparable."""
    path = state_dir / "lake_mask_key"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _start_receiver(stack: LocalStack, say: Callable[[str], None]) -> None:
    receiver = start_receiver(REGISTRY, stack.env["PMS_DATABASE_URL"],
                              port=int(os.environ.get("PMS_WEBHOOK_PORT", "0")))
    stack.stoppers.append(receiver.stop)
    stack.receiver = receiver
    stack.env["PMS_WEBHOOK_URL"] = receiver.base_url
    say(f"webhooks: receiver at {receiver.base_url} "
        f"({', '.join(f'/webhooks/{p}' for p in sorted(receiver.receiver.integrations))})")


def _start_sandboxes(
    stack: LocalStack, state_dir: Path, churn_seconds: float | None, units: int,
    agency_ids: tuple[str, ...], say: Callable[[str], None],
) -> None:
    credentials_dir = state_dir / "credentials"
    credentials_dir.mkdir(parents=True, exist_ok=True)
    credentials_dir.chmod(0o700)
    for name, integration in REGISTRY.items():
        module = importlib.import_module(integration.sandbox_module)
        sandbox_agencies = []
        webhooks = module.API.webhooks is not None and integration.webhooks is not None
        for number, agency_id in enumerate(agency_ids, start=100001):
            # Fresh random credentials each run: nothing secret-looking lives in the repo.
            # A file reference, because some providers rotate refresh tokens. Settings
            # the sandbox suggests for its agencies go beside them (Alto's rate limit),
            # and the secret its webhooks are signed with, where the vendor has them.
            creds = {f: secrets.token_hex(16) for f in integration.credential_fields}
            creds.update(getattr(module, "AGENCY_SETTINGS", {}))
            if webhooks:
                creds["webhook_secret"] = secrets.token_urlsafe(24)
            path = credentials_dir / f"{name}-{agency_id}.json"
            path.write_text(json.dumps(creds))
            path.chmod(0o600)
            sandbox_agencies.append({"agency_id": agency_id, "units": units,
                                     "webhook_account": str(number), **creds})
            with connect(stack.env["PMS_DATABASE_URL"]) as conn:
                agencies.register_agency(
                    conn, name, agency_id,
                    display_name=agency_id.replace("-", " ").title(),
                    credentials_ref=f"file:{path}",
                    webhook_account=str(number) if webhooks else None,
                )
                conn.commit()
        sandbox = module.start_sandbox(sandbox_agencies, churn_seconds=churn_seconds)
        stack.stoppers.append(sandbox.stop)
        stack.sandboxes[name] = sandbox
        stack.env[f"PMS_{name.upper()}_BASE_URL"] = sandbox.base_url
        notifies = ""
        if webhooks and stack.receiver is not None:
            sandbox.webhooks.subscribe(stack.receiver.url(name))
            notifies = f", webhooks to {stack.receiver.url(name)}"
        say(f"{name}: sandbox at {sandbox.base_url}, agencies {', '.join(agency_ids)}"
            f"{notifies}")


def prepare_dagster_home(path: Path) -> Path:
    """DAGSTER_HOME with the project's dagster.yaml: `dagster dev` ignores it otherwise."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "dagster.yaml", path / "dagster.yaml")
    return path
