"""The Reapit Foundations platform API, declared for the kit: auth, paging, filters, limit.

From the vendor spec (`reapit-foundations-openapi.json`) and its API documentation:
- auth: OAuth2 client credentials at `https://connect.reapit.cloud/token` (form
  `client_id` + `grant_type=client_credentials`, HTTP Basic `client_id:client_secret`),
  a bearer token that expires (`expires_in`); every request also carries
  `api-version: 2020-01-31` and `reapit-customer: <customer id>` (whose data we read);
- paging: `pageNumber` (from 1) / `pageSize` (1..100), records in `_embedded`, the total
  in `totalCount`, the page count in `totalPageCount` and the page's own size in
  `pageSize` (the API documentation's paging table): the kit stops on whichever ends first;
- incremental: `modifiedFrom` (ISO-8601 with a zone); tenancies document it as strictly
  "after", so their watermark is moved back one second (a re-read is harmless);
- archive: properties, contacts and tenancies carry `fromArchive` and are filtered by it;
- rate limit: 20 requests/s (and 5 concurrent per customer). Retries: the kit's policy.

When the base URL is not the real platform, the token endpoint is `{base_url}/token`, so
one sandbox serves both the authentication service and the platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import UUID

from pms_pipelines.integrations.kit.auth import OAuthToken, grant_key
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.kit.paging import PageNumberPaging, PageRead
from pms_pipelines.integrations.kit.rest import Resource, RestClient, iso_seconds
from pms_pipelines.integrations.kit.vendor_errors import OAUTH_ERROR, ErrorFields
from pms_pipelines.integrations.kit.webhook_signatures import SignatureRefused, b64url_decode

REAPIT_BASE_URL = "https://platform.reapit.cloud"
REAPIT_TOKEN_URL = "https://connect.reapit.cloud/token"
API_VERSION = "2020-01-31"
MAX_PAGE_SIZE = 100
RATE_LIMIT_PER_S = 20.0
IDS_PER_REQUEST = 50  # `id=` repeated: 50 ids of ~10 characters keep the URL short

PAGING = PageNumberPaging("pageNumber", "pageSize", MAX_PAGE_SIZE)


def token_url(base_url: str) -> str:
    return REAPIT_TOKEN_URL if base_url.rstrip("/") == REAPIT_BASE_URL else f"{base_url}/token"


# `ApiErrorModel` / `ValidationErrorModel`: `statusCode`, `description`, `errors[]` of
# `field`/`message`; the token endpoint answers OAuth errors.
ERRORS = (ErrorFields(code=("statusCode",), message=("description",), details="errors",
                      detail_keys=("field", "message")), OAUTH_ERROR)


def _before(seconds: int) -> Callable[[datetime], str]:
    return lambda moment: iso_seconds(moment - timedelta(seconds=seconds))


# The filter that tells live records from gone ones (archived; landlords: deactivated).
ARCHIVED = ("fromArchive", "false", "true")
PROPERTIES = Resource("/properties/", PAGING, since_param="modifiedFrom", holds=("property",),
                      live_filter=ARCHIVED)
LANDLORDS = Resource("/landlords/", PAGING, since_param="modifiedFrom", holds=("landlord",),
                     live_filter=("active", "true", "false"))
CONTACTS = Resource("/contacts/", PAGING, since_param="modifiedFrom",
                    params=(("embed", "relationships"),), holds=("tenant",),
                    live_filter=ARCHIVED)
TENANCIES = Resource("/tenancies/", PAGING, since_param="modifiedFrom",
                     since_format=_before(1), holds=("tenancy",), live_filter=ARCHIVED)


def reapit_auth(base_url: str) -> OAuthToken:
    """The token is the application's, whichever customer it reads: one per process while
    it lasts (`expires_in`), shared by every client of the same application."""
    return OAuthToken(
        token_url=token_url,
        form=lambda c: {"client_id": c["client_id"], "grant_type": "client_credentials"},
        basic_auth_fields=("client_id", "client_secret"),
        header_fields={"reapit-customer": "customer_id"},
        static={"api-version": API_VERSION},
        cache_key=lambda c: grant_key(token_url(base_url), c["client_id"], c["client_secret"]),
    )


class ReapitClient(RestClient):
    """Reads one customer's (one agency's) collections."""

    def __init__(
        self, base_url: str, credentials: Mapping[str, str], *,
        page_size: int | None = None, rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
        policy: RetryPolicy = RetryPolicy(), progress: Callable[[PageRead], None] | None = None,
    ) -> None:
        base_url = base_url.rstrip("/")
        super().__init__(  # the rate limit is the application's (client id)
            base_url, reapit_auth(base_url), credentials, rate_limit_per_s=rate_limit_per_s,
            rate_key=credentials["client_id"], policy=policy, progress=progress,
            error_schemas=ERRORS, page_size=page_size,
        )

    def with_ids(self, resource: Resource, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Live and archived records with these ids, `IDS_PER_REQUEST` at a time."""
        return (record for record, _ in self.named(resource, ids))

    def named(self, resource: Resource, ids: Iterable[str]
              ) -> Iterator[tuple[dict[str, Any], bool]]:
        """(record, gone) for each of these ids, live or archived (deactivated): the live
        ones first, then the archive for the ids not found live only (a webhook names a
        live record most of the time: one request, not two)."""
        missing = {i for i in ids if isinstance(i, str) and i != ""}
        for gone in (False, True):
            if not missing:
                return
            for record in self.by_ids(resource, "id", sorted(missing), IDS_PER_REQUEST,
                                      params=self.live(resource, gone)):
                missing.discard(str(record.get("id")))
                yield record, gone

    def signing_key(self, key_id: str) -> bytes:
        """The application's public webhook-signing key with this id (raw Ed25519
        bytes), from `GET /webhooks/signing/{id}` (the webhooks guide; not in the spec)."""
        body, _ = self.get(f"/webhooks/signing/{quote(key_id, safe='')}")
        keys = body.get("keys") if isinstance(body, dict) else None
        for key in keys if isinstance(keys, list) else []:
            if isinstance(key, dict) and key.get("kid") == key_id and key.get("crv") == "Ed25519":
                return b64url_decode(str(key.get("x", "")))
        raise ValueError(f"Reapit has no Ed25519 signing key {key_id!r}")


# A key is fetched while the vendor waits for our answer: one try, briefly (a failure is
# answered 503 and the vendor retries).
KEY_FETCH = RetryPolicy(max_attempts=1, connect_timeout_s=2.0, read_timeout_s=3.0)


def signing_key(base_url: str, credentials: Mapping[str, str], key_id: str) -> bytes:
    """Reapit's key ids are UUIDs (the guide's example): anything else is not asked for,
    so a forged header cannot make us call Reapit."""
    try:
        UUID(key_id)
    except ValueError:
        raise SignatureRefused(f"key id {key_id[:40]!r} is not a UUID") from None
    return ReapitClient(base_url, credentials, policy=KEY_FETCH).signing_key(key_id)
