"""Register, enable or disable an agency in the registry (`ingest.agency`).

The agency sensor turns a newly registered, enabled agency into a partition of its
PMS's pull job and starts its first full pull; the schedules pull only enabled
agencies, and the pull itself refuses a disabled one. Disabling keeps the partition,
the watermarks and the rows: enabling again resumes incremental pulls (re-sync the
agency if it was off for long).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pms_pipelines.db import agencies
from pms_pipelines.db.agencies import Agency


def register(
    conn: Any,
    registry: Mapping[str, Any],
    pms: str,
    agency_id: str,
    *,
    display_name: str,
    credentials_ref: str,
    enabled: bool = True,
    webhook_account: str | None = None,
) -> Agency:
    """Add the agency, or update its name, credentials reference and enabled flag.
    `credentials_ref` names where the secret lives (`env:`, `secretsmanager:`, `file:`),
    never the secret: anything else is refused without echoing it."""
    _check_pms(registry, pms)
    if not agency_id.strip() or agency_id != agency_id.strip():
        raise ValueError("agency_id must be non-empty, without surrounding spaces")
    if not display_name.strip():
        raise ValueError("display_name must not be empty")
    agency = agencies.register_agency(
        conn, pms, agency_id, display_name=display_name, credentials_ref=credentials_ref,
        enabled=enabled, webhook_account=webhook_account,
    )
    conn.commit()
    return agency


def set_enabled(conn: Any, registry: Mapping[str, Any], pms: str, agency_id: str,
                enabled: bool) -> Agency:
    """Enable or disable a registered agency; raises LookupError when it is not one."""
    _check_pms(registry, pms)
    if not agencies.set_agency_enabled(conn, pms, agency_id, enabled):
        conn.rollback()
        raise LookupError(f"agency {pms}/{agency_id} is not registered")
    conn.commit()
    agency = agencies.get_agency(conn, pms, agency_id)
    conn.commit()
    assert agency is not None
    return agency


def _check_pms(registry: Mapping[str, Any], pms: str) -> None:
    if pms not in registry:
        raise ValueError(f"unknown PMS {pms!r}: registered integrations are "
                         f"{', '.join(sorted(registry))}")


def describe(agency: Agency) -> str:
    state = "enabled" if agency.enabled else "disabled"
    webhooks = (f", webhooks from account {agency.webhook_account}"
                if agency.webhook_account else "")
    return f"{agency.pms}/{agency.agency_id} ({agency.display_name}): {state}, " \
           f"credentials {agency.credentials_ref}{webhooks}"
