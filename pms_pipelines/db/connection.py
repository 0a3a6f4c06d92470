"""How the pipeline reaches Postgres: one URL from the environment, psycopg 3 connections."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg

DATABASE_URL_ENV = "PMS_DATABASE_URL"


class DatabaseUrlMissing(RuntimeError):
    """`PMS_DATABASE_URL` is not set."""


def database_url() -> str:
    """The app database's URL, from `PMS_DATABASE_URL`."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        raise DatabaseUrlMissing(
            f"{DATABASE_URL_ENV} is not set: point it at the pms database, e.g. "
            "postgresql://user:password@host:5432/pms (the local stack sets it for you)"
        )
    return url


def connect(
    url: str, *, application_name: str = "pms_pipelines", autocommit: bool = False,
    connect_timeout_s: int | None = None,
) -> psycopg.Connection:
    """A psycopg 3 connection; the application name shows in `pg_stat_activity`.
    `connect_timeout_s`: give up connecting after this long (libpq: never)."""
    extra = {} if connect_timeout_s is None else {"connect_timeout": connect_timeout_s}
    return psycopg.connect(url, application_name=application_name, autocommit=autocommit,
                           **extra)


def url_for_database(url: str, dbname: str) -> str:
    """The same server and credentials as `url`, another database.

    Works for socket URLs such as `postgresql://postgres:@/postgres?host=/tmp/x`, which
    the embedded server hands out.
    """
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))
