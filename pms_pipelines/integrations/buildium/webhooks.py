"""Buildium's webhooks (the "Webhooks" section of `buildium-openapi.json`).

A notice is `{EventName, EventDateTime, AccountId, <entity ids>}`, signed with the
subscription's secret (the agency's `webhook_secret`): base64 HMAC-SHA256 of
`"{buildium-webhook-timestamp}.{body}"` in `buildium-webhook-signature`. Buildium waits
10 s for a 2xx, retries after 1 min, 10 min and 1 h, and suspends the subscription
after 20 failures in a row. Its notices carry no event id: a retry resends the same
body, which is the dedupe key. No event names rental owners: landlords are polled only.
"""

from pms_pipelines.integrations.kit.webhook_signatures import HmacTimestamp
from pms_pipelines.integrations.kit.webhooks import Topic, Webhooks, body_digest, field

SIGNATURE = HmacTimestamp("buildium-webhook-signature", "buildium-webhook-timestamp")

_UNIT = Topic("property", "UnitId")
_RENTAL = Topic("property", "PropertyId", kind="rental")
_LEASE = Topic("tenancy", "LeaseId")
_TENANT = Topic("tenant", "TenantId")

WEBHOOKS = Webhooks(
    scheme=SIGNATURE,
    account=field("AccountId"),
    event_name=field("EventName"),
    dedupe=body_digest,
    topics={
        "Rental.Created": (_RENTAL,), "Rental.Updated": (_RENTAL,),
        "RentalUnit.Created": (_UNIT,), "RentalUnit.Updated": (_UNIT,),
        "RentalUnit.Deleted": (Topic("property", "UnitId", op="delete"),),
        "Lease.Created": (_LEASE,), "Lease.Updated": (_LEASE,),
        "Lease.Deleted": (Topic("tenancy", "LeaseId", op="delete"),),
        # A tenant moved out: the lease's tenants carry each one's status.
        "Lease.MoveOut.Created": (_LEASE, _TENANT),
        "LeaseTenant.Created": (_TENANT,), "LeaseTenant.Updated": (_TENANT,),
        "LeaseTenant.Deleted": (Topic("tenant", "TenantId", op="delete"),),
    },
    deadline_s=10.0,
)
