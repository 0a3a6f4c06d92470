"""The Buildium Open API client: auth headers, offset/limit paging, incremental filter.

Everything here follows the vendor spec (`buildium-openapi.json`) and its introduction:
- auth: `x-buildium-client-id` / `x-buildium-client-secret` headers on every request;
- paging: `offset` (zero-based) and `limit` (1..1000, we ask for the maximum), the total
  in the `X-Total-Count` response header;
- incremental: `lastupdatedfrom` ("on or after", UTC, `YYYY-MM-DDTHH:MM:SSZ`). The spec
  offers it on every endpoint we read (/v1/rentals, /v1/rentals/units,
  /v1/rentals/owners, /v1/leases/tenants, /v1/leases, /v1/leases/rent), so no entity
  falls back to a full pull; only leases and rents echo `LastUpdatedDateTime` back;
- rate limit: 10 requests/s per API key; HTTP retries are the kit's one policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from pms_pipelines.integrations.kit import ApiSender, RetryPolicy
from pms_pipelines.integrations.kit.http import shared_bucket

BUILDIUM_BASE_URL = "https://api.buildium.com"
MAX_LIMIT = 1000  # the spec's maximum `limit`
RATE_LIMIT_PER_S = 10.0
# The query string is capped at 4096 characters; 150 ids of ~17 characters stay well under.
IDS_PER_REQUEST = 150


def format_since(moment: datetime) -> str:
    """Buildium's filter format, floored to the second: re-reading a record is harmless
    (the consumer's version rule), missing one is not."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class BuildiumClient:
    """Reads the Buildium collections one agency (one API key) needs."""

    def __init__(
        self, base_url: str, client_id: str, client_secret: str, *,
        page_size: int = MAX_LIMIT, rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
        policy: RetryPolicy = RetryPolicy(), progress: Callable[[str], None] | None = None,
    ) -> None:
        # 90% of the limit: our clock and theirs never agree on where a second starts.
        limiter = (shared_bucket((base_url, client_id), rate_limit_per_s * 0.9)
                   if rate_limit_per_s else None)
        self.sender = ApiSender(
            base_url,
            {"x-buildium-client-id": client_id, "x-buildium-client-secret": client_secret},
            secrets=(client_secret,), policy=policy, limiter=limiter,
        )
        self.page_size = max(1, min(page_size, MAX_LIMIT))
        self.progress = progress

    def __repr__(self) -> str:
        return f"BuildiumClient({self.sender.base_url!r})"

    def rentals(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        return self.paged("/v1/rentals", since)

    def units(
        self, since: datetime | None = None, property_ids: Iterable[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._by_ids("/v1/rentals/units", "propertyids", property_ids, since)

    def owners(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        return self.paged("/v1/rentals/owners", since)

    def tenants(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        return self.paged("/v1/leases/tenants", since)

    def leases(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        return self.paged("/v1/leases", since)

    def lease(self, lease_id: int) -> dict[str, Any]:
        body, _ = self.sender.get_json(f"/v1/leases/{int(lease_id)}")
        return body

    def rents(
        self, since: datetime | None = None, lease_ids: Iterable[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._by_ids("/v1/leases/rent", "leaseids", lease_ids, since)

    def _by_ids(
        self, path: str, name: str, ids: Iterable[int] | None, since: datetime | None
    ) -> Iterator[dict[str, Any]]:
        if ids is None:
            yield from self.paged(path, since)
            return
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), IDS_PER_REQUEST):
            chunk = ordered[start:start + IDS_PER_REQUEST]
            yield from self.paged(path, since, [(name, i) for i in chunk])

    def paged(
        self, path: str, since: datetime | None = None,
        extra: list[tuple[str, Any]] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a collection, page by page, until `X-Total-Count` is reached."""
        offset = 0
        while True:
            params: list[tuple[str, Any]] = list(extra or [])
            if since is not None:
                params.append(("lastupdatedfrom", format_since(since)))
            params += [("offset", offset), ("limit", self.page_size)]
            page, headers = self.sender.get_json(path, params)
            if not isinstance(page, list):
                raise ValueError(f"GET {path}: expected a JSON array, got {type(page).__name__}")
            total = _int(headers.get("X-Total-Count"))
            offset += len(page)
            if self.progress is not None:
                self.progress(f"GET {path}: {offset} of {total if total is not None else '?'}")
            yield from page
            # Without the header, a short page is the last one.
            done = offset >= total if total is not None else len(page) < self.page_size
            if done or not page:
                return


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
