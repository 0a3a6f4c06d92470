"""Applies the versioned SQL files in `migrations/` that a database has not seen yet.

Files are named `NNNN_description.sql` and applied in order, each in its own
transaction together with its row in `ingest.schema_migration`. A session advisory
lock serialises concurrent callers (several Dagster runs starting at once), so each
file runs exactly once. An applied file whose content changed is an error: fix
forward with a new file instead.

    PMS_DATABASE_URL=postgresql://... python -m pms_pipelines.db.migrate
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pms_pipelines.db.connection import DatabaseUrlMissing, connect, database_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works; this one is "pms_migr" in ASCII, unlikely to clash with the app's.
ADVISORY_LOCK_KEY = 0x706D735F6D696772
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS ingest;
CREATE TABLE IF NOT EXISTS ingest.schema_migration (
    version     text        PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
"""


class MigrationChanged(RuntimeError):
    """An already-applied migration file no longer matches what was applied."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files, in version order; a misnamed or duplicate file is an error."""
    migrations: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_description.sql")
        version = match.group(1)
        if version in migrations:
            raise ValueError(f"two migration files share version {version}")
        migrations[version] = Migration(version, path.name, path.read_text())
    return [migrations[v] for v in sorted(migrations)]


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names of the files applied by this call."""
    applied_now: list[str] = []
    with connect(url, application_name="pms_migrate", autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            conn.execute(_BOOTSTRAP)
            done = dict(conn.execute("SELECT version, checksum FROM ingest.schema_migration"))
            for migration in available_migrations(directory):
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationChanged(
                            f"{migration.name} changed after it was applied; "
                            "add a new migration instead of editing it"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(
                        "INSERT INTO ingest.schema_migration (version, name, checksum)"
                        " VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    return applied_now


def main() -> int:
    try:
        url = database_url()
    except DatabaseUrlMissing as err:
        print(err, file=sys.stderr)
        return 2
    applied = migrate(url)
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
