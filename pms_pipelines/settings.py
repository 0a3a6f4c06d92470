"""Which environment we run in, and the settings read from it: the one place that asks.

`PMS_ENV` is `local` (default: moto, embedded Postgres, sandboxes) or `prod` (AWS).
Secrets are never read here; resources take them through Dagster's `EnvVar`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENVIRONMENTS = ("local", "prod")


def environment() -> str:
    env = os.environ.get("PMS_ENV", "local")
    if env not in ENVIRONMENTS:
        raise ValueError(f"PMS_ENV must be one of {ENVIRONMENTS}, not {env!r}")
    return env


def pms_base_url(pms: str, default: str) -> str:
    """Where a PMS is reached: the vendor's URL unless `PMS_<NAME>_BASE_URL` says
    otherwise (the local stack points it at the sandbox)."""
    return os.environ.get(f"PMS_{pms.upper()}_BASE_URL", default)


@dataclass(frozen=True)
class Schedules:
    """Cadences, tuned per environment: locally fast enough to watch, in AWS cheap."""

    incremental_cron: str
    full_cron: str
    consumer_interval_s: int
    agency_interval_s: int
    consume_max_records: int
    consume_linger_s: float  # a caught-up consume run stays on its shard this long
    consume_max_s: float  # ... but lingers no more after this long
    webhook_interval_s: int  # how often the webhook sensor looks for notices
    webhook_linger_s: float  # a webhook worker run with nothing to do stays this long
    webhook_max_s: float  # ... and ends after this long (the sensor starts the next)
    webhook_poll_s: int  # incremental polls of an agency whose webhooks come: this often
    run_retention_days: float  # finished Dagster runs older than this are purged daily


def schedules() -> Schedules:
    local = environment() == "local"
    incremental_cron = os.environ.get(
        "PMS_INCREMENTAL_CRON", "*/2 * * * *" if local else "*/15 * * * *")
    return Schedules(
        incremental_cron=incremental_cron,
        full_cron=os.environ.get("PMS_FULL_CRON", "0 2 * * *"),
        consumer_interval_s=int(os.environ.get("PMS_CONSUMER_INTERVAL_S", "10" if local else "30")),
        agency_interval_s=int(os.environ.get("PMS_AGENCY_INTERVAL_S", "15" if local else "60")),
        consume_max_records=int(os.environ.get("PMS_CONSUME_MAX_RECORDS", "50000")),
        # 0: a run ends once caught up (the sensor starts the next when records come).
        # The local stack sets 60 (`make dev`): a change then reaches its row in about a
        # second, not a sensor tick, a queue wait and a process start later.
        consume_linger_s=float(os.environ.get("PMS_CONSUME_LINGER_S", "0")),
        consume_max_s=float(os.environ.get("PMS_CONSUME_MAX_S", "600")),
        webhook_interval_s=int(os.environ.get("PMS_WEBHOOK_INTERVAL_S", "2" if local else "5")),
        # A worker run that stays serves a notice within half a second; starting one
        # takes seconds locally, a minute on Fargate: stay five minutes without work.
        webhook_linger_s=float(os.environ.get("PMS_WEBHOOK_LINGER_S", "300")),
        webhook_max_s=float(os.environ.get("PMS_WEBHOOK_MAX_S", "3600")),
        # Every other incremental tick: well inside the freshness window (three ticks).
        webhook_poll_s=int(os.environ.get("PMS_WEBHOOK_POLL_S") or 2 * cron_interval_s(
            incremental_cron)),
        run_retention_days=float(os.environ.get("PMS_RUN_RETENTION_DAYS",
                                                "7" if local else "90")),
    )


@dataclass(frozen=True)
class Health:
    """Thresholds of the health asset checks (seconds), and how often they run."""

    cron: str
    pull_freshness_s: int
    lag_warn_s: int
    lag_error_s: int
    integrity_grace_s: int
    webhook_quiet_s: int  # polls finding changes with no webhook this long: a warning


def cron_interval_s(cron: str) -> int:
    """The shortest time between two ticks of `cron`, in seconds."""
    # Private, but the very parser Dagster's schedules tick by (no public equivalent, and
    # no cron library of our own to disagree with it). Pinned by test_dagster_private_apis.py.
    from dagster._utils.schedules import get_smallest_cron_interval

    return int(get_smallest_cron_interval(cron).total_seconds())


def health() -> Health:
    local = environment() == "local"
    # A pull is late once three incremental ticks went by without one succeeding.
    freshness = os.environ.get("PMS_PULL_FRESHNESS_S")
    return Health(
        cron=os.environ.get("PMS_HEALTH_CRON", "*/2 * * * *" if local else "*/5 * * * *"),
        pull_freshness_s=int(freshness) if freshness else
        3 * cron_interval_s(schedules().incremental_cron),
        lag_warn_s=int(os.environ.get("PMS_LAG_WARN_S", "900")),
        lag_error_s=int(os.environ.get("PMS_LAG_ERROR_S", "21600")),
        integrity_grace_s=int(
            os.environ.get("PMS_INTEGRITY_GRACE_S", "600" if local else "3600")
        ),
        webhook_quiet_s=int(os.environ.get("PMS_WEBHOOK_QUIET_S", "600" if local else "3600")),
    )
