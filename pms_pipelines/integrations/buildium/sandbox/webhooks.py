"""Buildium's webhooks as the sandbox sends them (the "Webhooks" section of the spec):
`{EventName, EventDateTime, AccountId, <id>}` signed, per the documented steps, with
the subscription's secret: the timestamp, a period and the body without newlines or
spaces after colons, hashed with HMAC-SHA256 and base64-encoded. Retried after 1 min,
10 min and 1 h (here 1 s, 5 s, 20 s)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from pms_pipelines.integrations.kit.sandbox_webhooks import (
    Change, Notifies, SandboxWebhooks, SigningKey,
)

ID_FIELDS = {"Rental": "PropertyId", "RentalUnit": "UnitId", "Lease": "LeaseId",
             "LeaseTenant": "TenantId"}


def body(change: Change, attempt: int) -> dict[str, Any]:
    entity = change.event.rsplit(".", 1)[0]
    account: Any = int(change.account) if change.account.isdigit() else change.account
    return {"EventName": change.event,
            "EventDateTime": change.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "AccountId": account, ID_FIELDS.get(entity, f"{entity}Id"): change.record_id}


def sign(change: Change, body: bytes, timestamp: int, key: SigningKey) -> dict[str, str]:
    message = json.dumps(json.loads(body), separators=(",", ":"))  # step 1's form
    signed = f"{timestamp}.{message}".encode("utf-8")
    digest = hmac.new(change.secret.encode("utf-8"), signed, hashlib.sha256).digest()
    return {"buildium-webhook-timestamp": str(timestamp),
            "buildium-webhook-signature": base64.b64encode(digest).decode()}


WEBHOOKS = SandboxWebhooks(
    notifies=(
        Notifies("rentals", "Rental.Created", "Rental.Updated", "Rental.Deleted"),
        Notifies("units", "RentalUnit.Created", "RentalUnit.Updated", "RentalUnit.Deleted"),
        Notifies("leases", "Lease.Created", "Lease.Updated", "Lease.Deleted"),
        Notifies("tenants", "LeaseTenant.Created", "LeaseTenant.Updated",
                 "LeaseTenant.Deleted"),
    ),
    body=body, sign=sign, retries_s=(1.0, 5.0, 20.0), timeout_s=10.0,
)
