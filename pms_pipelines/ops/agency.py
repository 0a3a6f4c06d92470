"""Register, enable or disable an agency in the registry (`ingest.agency`).

The agency sensor turns a newly registered, enabled agency into a partition of its
PMS's pull job and starts its first full pull; the schedules pull only enabled
agencies, and the pull itself refuses a disabled one. Disabling keeps the partition,
the watermarks and the rows: enabling again resumes incremental pulls (re-sync the
agency if it was off for long).

Registering checks what would otherwise surface minutes later as failing pulls: the
agency id's characters (it becomes a Dagster partition key and part of UI URLs), that
the credentials reference resolves to every field the PMS needs, and — unless told not
to — one authenticated request to the PMS with them (the token, then the first page of
an incremental read "since now"). Nothing is stored when a check fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import partial
from typing import Any

from pms_pipelines.db import agencies
from pms_pipelines.db.agencies import Agency
from pms_pipelines.integrations.kit.errors import PmsApiError
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.kit.integration import Integration, PullRequest
from pms_pipelines.pulls.credentials import CredentialsError, resolve_credentials, save_credentials
from pms_pipelines.settings import pms_base_url

# What a Dagster partition key and a UI URL path segment both take as they are.
AGENCY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
AGENCY_ID_RULE = ("letters, digits, '.', '_' and '-', starting with a letter or digit, "
                  "at most 100 characters, no '..'")


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
    check: bool = True,
) -> Agency:
    """Add the agency, or update its name, credentials reference and enabled flag.
    `credentials_ref` names where the secret lives (`env:`, `secretsmanager:`, `file:`),
    never the secret: anything else is refused without echoing it. With `check`, the
    credentials are resolved and tried against the PMS first (`check_access`)."""
    _check_pms(registry, pms)
    check_agency_id(agency_id)
    if not display_name.strip():
        raise ValueError("display_name must not be empty")
    agencies.check_credentials_ref(credentials_ref)
    if check:
        check_access(registry[pms], agency_id, credentials_ref)
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


def check_agency_id(agency_id: str) -> None:
    if not AGENCY_ID.fullmatch(agency_id) or ".." in agency_id:
        raise ValueError(f"agency_id {agency_id!r} cannot be a Dagster partition key and a "
                         f"URL segment as it is: use {AGENCY_ID_RULE}")


def check_access(integration: Integration, agency_id: str, credentials_ref: str) -> None:
    """Resolve the credentials and make the PMS answer one authenticated request with
    them; raise ValueError saying what failed (never the secret)."""
    try:
        credentials = resolve_credentials(credentials_ref, integration.credential_fields,
                                          integration.optional_fields)
    except (CredentialsError, OSError, ValueError, KeyError) as error:
        raise ValueError(f"credentials {credentials_ref!r} cannot be used: {error} "
                         f"({integration.name} needs "
                         f"{', '.join(integration.credential_fields)})") from None
    now = datetime.now(timezone.utc)
    request = PullRequest(
        agency_id=agency_id, entity=integration.entities[0],
        base_url=pms_base_url(integration.name, integration.default_base_url),
        credentials=credentials, since=now, observed_at=now,
        policy=RetryPolicy(max_attempts=2),
        save_credentials=partial(save_credentials, credentials_ref))
    answers = integration.pull(request)
    try:
        next(iter(answers), None)
    except CredentialsError as error:  # a rotated refresh token with nowhere to go
        raise ValueError(str(error)) from None
    except PmsApiError as error:
        raise ValueError(f"{integration.name} refused the credentials {credentials_ref!r} "
                         f"for agency {agency_id}: {error} (register with --no-check to "
                         "store it anyway)") from None
    finally:
        close = getattr(answers, "close", None)
        if close is not None:
            close()
