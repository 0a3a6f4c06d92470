"""The Alto (Vebra / Zoopla) API, declared for the kit: auth, cursor paging, filters, limit.

From the vendor spec (`alto-openapi.json`, OpenAPI 3.0.4) and the guides beside it
(`alto-authentication.yml`, `alto-conventions.yml`; the spec wins where they differ):
- auth: OAuth2 client credentials at `POST {api host}/token` (HTTP Basic
  `client_id:client_secret`, form `grant_type=client_credentials`; the guides document the
  sandbox host's endpoint, the spec none), a bearer token; every call also carries the
  agency's `AgencyRef` header (403 without it). The token is the application's, shared
  by every agency it reads;
- paging: an opaque cursor, `next-token` / `max-results` (the PropertyManagement family
  at most 100, Inventory and Contacts 250), records in `items`, the next cursor in
  `meta.nextToken` (none at the end);
- incremental: `modified-from` (date-time) on /inventory/filter, /contacts/all and
  /tenancies;
- deletes: archived properties (`archived`) and contacts (`active`) are asked for
  explicitly on an incremental pull; tenancies have no archive flag: a full pull's
  snapshot diff catches a deleted one;
- rate limit: none published; 5 requests/s per application by default, or the agency's
  own `rate_limit_per_s` setting (kept with its credentials), and a 429 (with or without
  `Retry-After`) is retried by the kit's one policy;
- errors: `ProblemDetails` (`title`, `detail`, `status`) and the Contacts family's
  `ErrorsResponse` (`errors[]` of `code`/`message`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pms_pipelines.integrations.kit.auth import OAuthToken, grant_key
from pms_pipelines.integrations.kit.declared import positive_int
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.kit.paging import CursorPaging, PageRead, Unpaged
from pms_pipelines.integrations.kit.rest import Resource, RestClient
from pms_pipelines.integrations.kit.vendor_errors import OAUTH_ERROR, ErrorFields

ALTO_BASE_URL = "https://api.alto.zoopla.co.uk"
RATE_LIMIT_PER_S = 5.0  # none published: conservative; an agency's `rate_limit_per_s` wins
IDS_PER_REQUEST = 50
ID = positive_int(2**31)  # tenancy ids are int32 in paths

ERRORS = (ErrorFields(code=("status",), message=("title",), details="errors",
                      detail_keys=("code", "message")), OAUTH_ERROR)


def _cursor(size: int) -> CursorPaging:
    return CursorPaging("next-token", "max-results", size)


# Lettings properties changed since; each row names an inventory item read in full below.
INVENTORY = Resource("/inventory/filter", _cursor(250), since_param="modified-from",
                     params=(("recordType", "Rent"),), holds=("property",),
                     live_filter=("archived", "false", "true"))
INVENTORY_ITEMS = Resource("/inventory/items", Unpaged(records_path=("items",)))
DEACTIVATED = ("active", "true", "false")
LANDLORDS = Resource("/contacts/all", _cursor(250), since_param="modified-from",
                     params=(("persona", "Landlord"),), holds=("landlord",),
                     live_filter=DEACTIVATED)
TENANTS = Resource("/contacts/all", _cursor(250), since_param="modified-from",
                   params=(("persona", "Tenant"),), holds=("tenant",), live_filter=DEACTIVATED)
TENANCIES = Resource("/tenancies", _cursor(100), since_param="modified-from",
                     holds=("tenancy",))
TENANT_IDS = Resource("/tenancies/{tenancy_id}/tenantIds")


def agency_rate(credentials: Mapping[str, str], default: float | None) -> float | None:
    """The agency's `rate_limit_per_s` setting if it has one, else `default`."""
    setting = credentials.get("rate_limit_per_s")
    if setting is None:
        return default
    try:
        rate = float(setting)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 1000:
        raise ValueError(f"rate_limit_per_s must be a number of requests per second in "
                         f"(0, 1000], not {setting!r}")
    return rate


def token_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/token"


def alto_auth(base_url: str) -> OAuthToken:
    return OAuthToken(
        token_url=token_url,
        form=lambda c: {"grant_type": "client_credentials"},
        basic_auth_fields=("client_id", "client_secret"),
        header_fields={"AgencyRef": "agency_ref"},
        cache_key=lambda c: grant_key(token_url(base_url), c["client_id"], c["client_secret"]),
    )


class AltoClient(RestClient):
    """Reads one agency's (one `AgencyRef`'s) collections."""

    def __init__(
        self, base_url: str, credentials: Mapping[str, str], *,
        page_size: int | None = None, rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
        policy: RetryPolicy = RetryPolicy(), progress: Callable[[PageRead], None] | None = None,
    ) -> None:
        super().__init__(
            base_url.rstrip("/"), alto_auth(base_url), credentials,
            rate_limit_per_s=agency_rate(credentials, rate_limit_per_s),
            rate_key=credentials["client_id"],
            policy=policy, progress=progress, error_schemas=ERRORS, page_size=page_size,
        )

    def inventory_items(self, ids: Iterable[Any]) -> Iterator[dict[str, Any]]:
        """The full inventory items of these ids."""
        return self.by_ids(INVENTORY_ITEMS, "inventory-id", ids, IDS_PER_REQUEST)

    def tenant_ids(self, tenancy_id: Any) -> dict[str, Any]:
        """The answer of `/tenancies/{id}/tenantIds` (`{totalCount, items: [{tenantId,
        contactId}]}`), for the mapping to read (a malformed one rejects its tenancy, not
        the pull); empty for an id the API could not take."""
        if not ID(tenancy_id):
            return {}
        return self.record(TENANT_IDS, tenancy_id=tenancy_id)
