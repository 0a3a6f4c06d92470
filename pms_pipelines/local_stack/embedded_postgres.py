"""An embedded Postgres 16 (the `pgserver` wheel) for the local stack and the tests.

No Docker and no system Postgres needed. The data directory persists, so `make dev`
keeps its data between runs under `.local_stack/pg`. Production never imports this:
there Postgres is RDS, reached through `PMS_DATABASE_URL`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pms_pipelines.db.connection import url_for_database

DEFAULT_DATABASES = ("pms", "dagster")
DEFAULT_DATA_DIR = Path(".local_stack/pg")  # relative to the repo root, where `make dev` runs


@dataclass
class EmbeddedPostgres:
    """A running embedded server; `urls` maps each ensured database to its URL."""

    data_dir: Path
    server_url: str  # the `postgres` maintenance database
    urls: dict[str, str] = field(default_factory=dict)
    _server: Any = None

    def url(self, dbname: str) -> str:
        return url_for_database(self.server_url, dbname)

    def stop(self) -> None:
        """Stop the server (when this process holds the last handle); data stays."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def start_embedded_postgres(
    data_dir: Path | str = DEFAULT_DATA_DIR,
    databases: Iterable[str] = DEFAULT_DATABASES,
    *,
    cleanup_mode: str | None = "stop",
) -> EmbeddedPostgres:
    """Start (or attach to) the server in `data_dir` and create `databases` if missing.

    `cleanup_mode`: 'stop' stops the server when this process exits, 'delete' also
    removes the data directory (tests), None leaves it running.
    """
    with warnings.catch_warnings():
        # pgserver warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import pgserver

        data_dir = Path(data_dir).expanduser().resolve()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir, cleanup_mode=cleanup_mode)
    pg = EmbeddedPostgres(data_dir=data_dir, server_url=server.get_uri(), _server=server)
    pg.urls = ensure_databases(pg.server_url, databases)
    return pg


def ensure_databases(server_url: str, databases: Iterable[str]) -> dict[str, str]:
    """Create each database that does not exist yet; return the URL of each."""
    urls: dict[str, str] = {}
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in databases:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            urls[name] = url_for_database(server_url, name)
    return urls
