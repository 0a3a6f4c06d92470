"""The agency registry: which agencies of which PMS we pull, and where their credentials live.

`credentials_ref` names the secret (`env:BUILDIUM_ACME`, `secretsmanager:<name or arn>`,
`file:<path>.json`); the secret itself is never stored here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import psycopg

_COLUMNS = ("pms, agency_id, display_name, credentials_ref, enabled, created_at, updated_at, "
            "webhook_account")
# The same rule as the CHECK constraint on ingest.agency.credentials_ref.
_CREDENTIALS_REF = re.compile(
    r"^(env:[A-Z][A-Z0-9_]*"
    r"|secretsmanager:(arn:\S+|[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)+)"
    r"|file:.+\.json)$"
)


@dataclass(frozen=True)
class Agency:
    pms: str
    agency_id: str
    display_name: str
    credentials_ref: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    webhook_account: str | None = None  # how the vendor's webhooks name the agency


def check_credentials_ref(credentials_ref: str) -> None:
    """Refuse early and without echoing the value: it may be a pasted secret."""
    if not _CREDENTIALS_REF.match(credentials_ref):
        raise ValueError(
            "credentials_ref must be env:<VARIABLE>, secretsmanager:<name or arn> or "
            "file:<path>.json, not a secret"
        )


def register_agency(
    conn: psycopg.Connection,
    pms: str,
    agency_id: str,
    *,
    display_name: str,
    credentials_ref: str,
    enabled: bool = True,
    webhook_account: str | None = None,
) -> Agency:
    """Add an agency, or update its name, credentials reference, enabled flag and the
    account its vendor's webhooks name it by."""
    check_credentials_ref(credentials_ref)
    row = conn.execute(
        "INSERT INTO ingest.agency (pms, agency_id, display_name, credentials_ref, enabled, "
        "webhook_account) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (pms, agency_id) "
        "DO UPDATE SET display_name = EXCLUDED.display_name, "
        "credentials_ref = EXCLUDED.credentials_ref, enabled = EXCLUDED.enabled, "
        "webhook_account = COALESCE(EXCLUDED.webhook_account, ingest.agency.webhook_account), "
        f"updated_at = now() RETURNING {_COLUMNS}",
        (pms, agency_id, display_name, credentials_ref, enabled, webhook_account),
    ).fetchone()
    assert row is not None
    return Agency(*row)


def list_agencies(
    conn: psycopg.Connection, pms: str | None = None, enabled_only: bool = True
) -> list[Agency]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest.agency "
        "WHERE (%(pms)s::text IS NULL OR pms = %(pms)s) AND (NOT %(enabled_only)s OR enabled) "
        "ORDER BY pms, agency_id",
        {"pms": pms, "enabled_only": enabled_only},
    ).fetchall()
    return [Agency(*row) for row in rows]


def get_agency(conn: psycopg.Connection, pms: str, agency_id: str) -> Agency | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest.agency WHERE pms = %s AND agency_id = %s",
        (pms, agency_id),
    ).fetchone()
    return None if row is None else Agency(*row)


def agency_by_webhook_account(conn: psycopg.Connection, pms: str,
                              account: str) -> Agency | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest.agency WHERE pms = %s AND webhook_account = %s",
        (pms, account),
    ).fetchone()
    return None if row is None else Agency(*row)


def set_agency_enabled(conn: psycopg.Connection, pms: str, agency_id: str, enabled: bool) -> bool:
    """Enable or disable an agency; False when it is not registered."""
    cur = conn.execute(
        "UPDATE ingest.agency SET enabled = %s, updated_at = now() "
        "WHERE pms = %s AND agency_id = %s",
        (enabled, pms, agency_id),
    )
    return cur.rowcount == 1
