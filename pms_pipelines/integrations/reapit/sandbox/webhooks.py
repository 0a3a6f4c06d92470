"""Reapit's webhooks as the sandbox sends them (`reapit_webhooks.md`): `{SendAttempts,
eventId, entityId, customerId, eventTime, topicId, new, old, diff}`, signed with the
application's Ed25519 key: `X-Signature: s:{keyId}:{timestamp}:{signature}`, the
signature (base64url) of the timestamp and the body with nothing between. The public
key is served at `GET /webhooks/signing/{keyId}`. Retried 5 times (at least 1, 2, 5,
10 and 15 minutes apart; here seconds), never after a 4xx."""

from __future__ import annotations

import base64
from typing import Any

from pms_pipelines.integrations.kit.sandbox_webhooks import (
    Change, Notifies, SandboxWebhooks, SigningKey,
)


def body(change: Change, attempt: int) -> dict[str, Any]:
    new = None
    if change.record is not None and not change.record.get("fromArchive"):
        new = {k: v for k, v in change.record.items() if not k.startswith("__")}
    return {"SendAttempts": attempt, "eventId": change.notice_id,
            "entityId": str(change.record_id), "customerId": change.account,
            "eventTime": change.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "topicId": change.event, "new": new, "old": None, "diff": None}


def sign(change: Change, body: bytes, timestamp: int, key: SigningKey) -> dict[str, str]:
    signature = key.private.sign(str(timestamp).encode() + body)
    encoded = base64.urlsafe_b64encode(signature).decode().rstrip("=")
    return {"X-Signature": f"s:{key.key_id}:{timestamp}:{encoded}"}


def _topics(collection: str, name: str) -> Notifies:
    return Notifies(collection, f"{name}.created", f"{name}.modified")


WEBHOOKS = SandboxWebhooks(
    notifies=(_topics("properties", "properties"), _topics("landlords", "landlords"),
              _topics("contacts", "contacts"), _topics("tenancies", "tenancies")),
    body=body, sign=sign, retries_s=(1.0, 2.0, 5.0, 10.0, 15.0), timeout_s=10.0,
    key_path="/webhooks/signing/",
)
