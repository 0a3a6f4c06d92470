"""Reapit's webhooks (`reapit_webhooks.md`).

A notice names `topicId`, `customerId` (the agency: its `customer_id`), `entityId` and
`eventId`, with the entity's `new`/`old` state; we read the entity afresh by id instead
(`new` is null for an archived one, and our mapping reads the API's shape). Signed with
the application's Ed25519 key: `X-Signature: s:keyId:timestamp:signature` over
`timestamp + body`, the public key served at `GET /webhooks/signing/{keyId}`. Reapit
waits about 10 s (never less than 5) and retries 5 times over about 30 minutes; a 4xx
is not retried. One event may notify several entities (same `eventId`) and each retry
counts `SendAttempts` in the body: the dedupe key is topic, event and entity.
"""

from collections.abc import Mapping
from typing import Any

from pms_pipelines.integrations.kit.webhook_signatures import Ed25519KeyId
from pms_pipelines.integrations.kit.webhooks import Topic, Webhooks, field
from pms_pipelines.integrations.reapit.client import signing_key

SIGNATURE = Ed25519KeyId("X-Signature")


def dedupe(document: Mapping[str, Any], body: bytes) -> str:
    return ":".join(str(document.get(k)) for k in ("topicId", "eventId", "entityId"))


def _own(entity: str) -> tuple[Topic, ...]:
    return (Topic(entity, "entityId"),)


WEBHOOKS = Webhooks(
    scheme=SIGNATURE,
    account=field("customerId"),
    event_name=field("topicId"),
    dedupe=dedupe,
    topics={
        "properties.created": _own("property"), "properties.modified": _own("property"),
        "landlords.created": _own("landlord"), "landlords.modified": _own("landlord"),
        # Every contact; the tenant feed keeps those holding a tenancy role.
        "contacts.created": _own("tenant"), "contacts.modified": _own("tenant"),
        "tenancies.created": _own("tenancy"), "tenancies.modified": _own("tenancy"),
    },
    deadline_s=5.0,
    public_key=signing_key,
)
