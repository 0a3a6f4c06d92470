"""The PropertyMe API, declared for the kit: OAuth refresh tokens, change stamps, paging.

From the vendor spec (`propertyme-swagger2.json`, Swagger 2.0, host app.propertyme.com,
basePath /api) and PropertyMe's OpenID discovery document (login.propertyme.com):
- auth: `Authorization: Bearer <access token>`; tokens come from the OAuth2 token endpoint
  `https://login.propertyme.com/connect/token` with `grant_type=refresh_token` (the
  authorisation-code step happens once, out of band, with scope `offline_access`). The
  identity server rotates the refresh token on every use and refuses a used one, so each
  new one is kept for this process and handed to `save_credentials`;
- change filter: `Timestamp` (int64, "changed timestamp greater than this value") on
  /v1/lots and /v1/contacts. The spec gives no unit, and every record carries its own
  `Timestamp`: the filter is the highest one the last successful pull saw (kit/cursor.py),
  never a conversion of our clock; `0` reads everything;
- paging: `Offset`/`Limit` with no total (a short page is the last) on /v1/lots/archived;
  /v1/lots, /v1/contacts and /v1/tenancies return the whole result in one array;
- errors: ServiceStack bodies, `{"ResponseStatus": {"ErrorCode", "Message", "Errors"}}`, and
  OAuth ones from the token endpoint. Only those fields reach an error text: the spec
  documents the 400 of /v1/contacts as a list of contacts, which must never be copied;
- rate limit: none published; we assume 10 requests/s per client id (see README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pms_pipelines.integrations.kit.auth import OAuthToken
from pms_pipelines.integrations.kit.refresh_grant import RotatingRefreshGrant
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.kit.paging import OffsetPaging
from pms_pipelines.integrations.kit.rest import Resource, RestClient, iso_seconds
from pms_pipelines.integrations.kit.vendor_errors import OAUTH_ERROR, ErrorFields

PROPERTYME_BASE_URL = "https://app.propertyme.com/api"
PROPERTYME_TOKEN_URL = "https://login.propertyme.com/connect/token"
RATE_LIMIT_PER_S = 10.0
PAGE_SIZE = 500

def token_url(base_url: str) -> str:
    """PropertyMe's identity server for the real API; `<origin>/connect/token` for any
    other base URL (the sandbox, a recording proxy), which serves both."""
    if base_url.rstrip("/") == PROPERTYME_BASE_URL:
        return PROPERTYME_TOKEN_URL
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/connect/token"


# ServiceStack's `ResponseStatus` (its `Errors[]` of `FieldName`/`Message`); the token
# endpoint's OAuth errors (RFC 6749 5.2).
ERRORS = (ErrorFields(code=("ResponseStatus.ErrorCode",), message=("ResponseStatus.Message",),
                      details="ResponseStatus.Errors", detail_keys=("FieldName", "Message")),
          OAUTH_ERROR)


LOTS = Resource("/v1/lots", holds=("property",))  # Timestamp is required: always passed
CONTACTS = Resource("/v1/contacts", params=(("IncludeArchived", "true"),),
                    holds=("landlord", "tenant"))
TENANCIES = Resource("/v1/tenancies", params=(("IncludeClosed", "true"),),
                     holds=("tenancy",))
ARCHIVED_LOTS = Resource("/v1/lots/archived", OffsetPaging("Offset", "Limit", PAGE_SIZE),
                         since_param="ArchivedSince", since_format=iso_seconds,
                         holds=("property",))

REAUTHORISE = (
    "PropertyMe refresh tokens are one-use and it documents no grace period: this one was "
    "used already (for example the answer to an earlier refresh was lost after PropertyMe "
    "had rotated it) or the agency revoked our access. Connect the agency again "
    "(PropertyMe's authorisation-code flow, scope offline_access) and write the new "
    "refresh_token into its credentials reference."
)


class PropertyMeClient(RestClient):
    """Reads one agency's (one connected portfolio's) PropertyMe collections."""

    def __init__(
        self, base_url: str, credentials: Mapping[str, str], *,
        save_credentials: Callable[[Mapping[str, str]], None] | None = None,
        agency_id: str = "(unnamed)",
        rate_limit_per_s: float | None = RATE_LIMIT_PER_S, policy: RetryPolicy = RetryPolicy(),
        progress: Callable[[str], None] | None = None,
    ) -> None:
        grant = RotatingRefreshGrant(credentials, token_url(base_url), save_credentials,
                                     pms="propertyme", agency_id=agency_id, remedy=REAUTHORISE)
        auth = OAuthToken(token_url=token_url, form=grant.form, on_token=grant.on_token,
                          refused=grant.refused, cache_key=grant.key)
        super().__init__(base_url, auth, credentials, rate_limit_per_s=rate_limit_per_s,
                         rate_key=grant.client_id, policy=policy, progress=progress,
                         error_schemas=ERRORS, secrets=(grant.client_secret, grant.current))

    def changed(self, resource: Resource, after: int) -> Iterator[dict[str, Any]]:
        """The records of a change-stamp collection whose `Timestamp` is greater than
        `after` (`0`: every record)."""
        return self.records(resource, params=[("Timestamp", after)])

    def lots(self, after: int = 0) -> Iterator[dict[str, Any]]:
        return self.changed(LOTS, after)

    def contacts(self, after: int = 0) -> Iterator[dict[str, Any]]:
        return self.changed(CONTACTS, after)

    def archived_lots(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        return self.records(ARCHIVED_LOTS, since=since)

    def tenancies(self) -> Iterator[dict[str, Any]]:
        return self.records(TENANCIES)
