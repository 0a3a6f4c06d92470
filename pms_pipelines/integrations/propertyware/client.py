"""The Propertyware REST API v1, declared for the kit: auth, paging, incremental filter, limit.

From the vendor spec (`propertyware-openapi.json`) and its introduction:
- base URL `https://api.propertyware.com/pw/api/rest/v1` (the spec's server; the intro's
  request examples agree, its one `/pw/api/v1/rest` mention is a typo);
- auth: three headers on every request, `x-propertyware-client-id`,
  `x-propertyware-client-secret` and `x-propertyware-system-id` (the organization id);
- paging: `offset` (zero-based) and `limit` (1..500; we ask for 500), the total in the
  `X-Total-Count` header; we also sort by `id` so pages stay stable while records change;
- incremental: `lastModifiedDateTimeStart` ("modified on or after", `YYYY-MM-DDTHH:MM:SSZ`)
  on every collection we read; every record echoes `lastModifiedDateTime`;
- `includeDeactivated=true` on buildings, units and portfolios: a deactivated unit must
  stay visible (status inactive) rather than vanish and look deleted;
- errors: `ErrorResponse` bodies (`userMessage`, `errorCode`, `errors[]`);
- rate limit: the intro's (commented, "FUTURE") 10 requests/s per client; 429 is a
  documented response code either way. HTTP retries are the kit's one policy.
"""

from __future__ import annotations

from collections.abc import Callable

from pms_pipelines.integrations.kit.auth import HeaderKeys
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.kit.paging import OffsetPaging, PageRead
from pms_pipelines.integrations.kit.rest import Resource, RestClient
from pms_pipelines.integrations.kit.vendor_errors import ErrorFields

PROPERTYWARE_BASE_URL = "https://api.propertyware.com/pw/api/rest/v1"
MAX_LIMIT = 500  # the documented maximum `limit`
RATE_LIMIT_PER_S = 10.0
CREDENTIAL_FIELDS = ("client_id", "client_secret", "system_id")
AUTH_HEADERS = {
    "x-propertyware-client-id": "client_id",
    "x-propertyware-client-secret": "client_secret",
    "x-propertyware-system-id": "system_id",
}
PAGING = OffsetPaging("offset", "limit", MAX_LIMIT, total_header="X-Total-Count")
SINCE = "lastModifiedDateTimeStart"
BY_ID = (("orderby", "id"),)
WITH_DEACTIVATED = (*BY_ID, ("includeDeactivated", "true"))

BUILDINGS = Resource("/buildings", PAGING, SINCE, params=WITH_DEACTIVATED)
UNITS = Resource("/units", PAGING, SINCE, params=WITH_DEACTIVATED, holds=("property",))
PORTFOLIOS = Resource("/portfolios", PAGING, SINCE, params=WITH_DEACTIVATED)
OWNERS = Resource("/contacts", PAGING, SINCE, params=(*BY_ID, ("type", "OWNER")),
                  holds=("landlord",))
TENANTS = Resource("/contacts", PAGING, SINCE, params=(*BY_ID, ("type", "TENANT")),
                   holds=("tenant",))
LEASES = Resource("/leases", PAGING, SINCE, params=BY_ID, holds=("tenancy",))


# Propertyware's `ErrorResponse`: `userMessage`, `errorCode`, `errors[]` of `key`/`message`.
ERRORS = ErrorFields(code=("errorCode",), message=("userMessage",), details="errors")


class PropertywareClient(RestClient):
    """Reads the Propertyware collections one agency (one organization's API key) needs."""

    def __init__(
        self, base_url: str, credentials: dict[str, str], *,
        rate_limit_per_s: float | None = RATE_LIMIT_PER_S, policy: RetryPolicy = RetryPolicy(),
        progress: Callable[[PageRead], None] | None = None,
    ) -> None:
        super().__init__(base_url, HeaderKeys(AUTH_HEADERS), credentials,
                         rate_limit_per_s=rate_limit_per_s, rate_key=credentials["client_id"],
                         policy=policy, progress=progress, error_schemas=(ERRORS,))
