"""The Buildium Open API, declared for the kit: auth, paging, incremental filter, limit.

From the vendor spec (`buildium-openapi.json`) and its introduction:
- auth: `x-buildium-client-id` / `x-buildium-client-secret` headers on every request;
- paging: `offset` (zero-based) and `limit` (1..1000, we ask for the maximum), the total
  in the `X-Total-Count` response header;
- incremental: `lastupdatedfrom` ("on or after", UTC, `YYYY-MM-DDTHH:MM:SSZ`), offered on
  every endpoint we read, so no entity falls back to a full pull; only leases and rents
  echo `LastUpdatedDateTime` back. Rents allow "a maximum date range of 365 days": a
  watermark older than that is read in windows closed by `lastupdatedto`;
- rate limit: "10 concurrent requests per second" per API key; the kit's rate window
  allows exactly that (10 in any second, counted until a second after each answer).
  HTTP retries are the kit's one policy. Header auth is stateless, so the next page is
  read ahead in a thread while the current one is mapped;
- errors: `ApiErrorResponse` bodies (`UserMessage`, `ErrorCode`, `Errors[]` of
  `Key`/`Value`); only those fields reach an error text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from pms_pipelines.integrations.kit.auth import HeaderKeys
from pms_pipelines.integrations.kit.declared import positive_int, unique
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.kit.paging import OffsetPaging, PageRead
from pms_pipelines.integrations.kit.rest import Resource, RestClient, iso_seconds
from pms_pipelines.integrations.kit.vendor_errors import ErrorFields

BUILDIUM_BASE_URL = "https://api.buildium.com"
MAX_LIMIT = 1000  # the spec's maximum `limit`
RATE_LIMIT_PER_S = 10.0
# The query string is capped at 4096 characters; 150 ids of ~17 characters stay well under.
IDS_PER_REQUEST = 150
# /v1/leases/rent: "The maximum date range is 365 days"; a day is kept in hand.
RENT_RANGE = timedelta(days=364)
ID = positive_int(2**31)  # Buildium's ids are int32

ERRORS = ErrorFields(code=("ErrorCode",), message=("UserMessage",), details="Errors",
                     detail_keys=("Key", "Value"))
AUTH_HEADERS = {"x-buildium-client-id": "client_id", "x-buildium-client-secret": "client_secret"}
# Pages asked for at once once X-Total-Count is known: the rate window, not one
# request's round trip, then sets the pace (header auth is safe in threads).
IN_FLIGHT = 4
PAGING = OffsetPaging("offset", "limit", MAX_LIMIT, total_header="X-Total-Count",
                      in_flight=IN_FLIGHT)


def _resource(path: str, *holds: str) -> Resource:
    return Resource(path, PAGING, since_param="lastupdatedfrom", holds=holds)


RENTALS = _resource("/v1/rentals")  # buildings: a look-up of the property pull
UNITS = _resource("/v1/rentals/units", "property")
OWNERS = _resource("/v1/rentals/owners", "landlord")
TENANTS = _resource("/v1/leases/tenants", "tenant")
LEASES = _resource("/v1/leases", "tenancy")
LEASE = Resource("/v1/leases/{lease_id}", holds=("tenancy",))
UNIT = Resource("/v1/rentals/units/{unit_id}", holds=("property",))
TENANT = Resource("/v1/leases/tenants/{tenant_id}", holds=("tenant",))
RENTS = _resource("/v1/leases/rent")  # joined to leases


class BuildiumClient(RestClient):
    """Reads the Buildium collections one agency (one API key) needs."""

    def __init__(
        self, base_url: str, client_id: str, client_secret: str, *,
        page_size: int | None = None, rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
        policy: RetryPolicy = RetryPolicy(), progress: Callable[[PageRead], None] | None = None,
    ) -> None:
        super().__init__(
            base_url, HeaderKeys(AUTH_HEADERS),
            {"client_id": client_id, "client_secret": client_secret},
            rate_limit_per_s=rate_limit_per_s, rate_key=client_id, policy=policy,
            progress=progress, read_ahead=True, error_schemas=(ERRORS,), page_size=page_size,
        )

    def _some(self, resource: Resource, name: str, ids: Iterable[int] | None,
              since: datetime | None) -> Iterator[dict[str, Any]]:
        """Every record of `resource` (`ids` None), or those of these ids."""
        if ids is None:
            return self.records(resource, since=since)
        return self.by_ids(resource, name, ids, IDS_PER_REQUEST, since=since, valid=ID)

    def rentals(
        self, since: datetime | None = None, property_ids: Iterable[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._some(RENTALS, "propertyids", property_ids, since)

    def units(
        self, since: datetime | None = None, property_ids: Iterable[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._some(UNITS, "propertyids", property_ids, since)

    def owners(
        self, since: datetime | None = None, property_ids: Iterable[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Rental owners (with `property_ids`: the owners of any of those properties)."""
        return self._some(OWNERS, "propertyids", property_ids, since)

    def leases(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        return self.records(LEASES, since=since)

    def lease(self, lease_id: int) -> dict[str, Any]:
        return self.record(LEASE, lease_id=int(lease_id))

    def each(self, resource: Resource, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """The records at an item path (`UNIT`, `TENANT`, `LEASE`) of these ids; one the
        API does not know (404), or not an int32 id, has none."""
        arg = resource.path.rsplit("{", 1)[1].rstrip("}")
        return self.found(resource, arg, (int(i) for i in ids if i.isdigit()), valid=ID)

    def rents(
        self, since: datetime | None = None, lease_ids: Iterable[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        if since is None or lease_ids is not None:
            return self._some(RENTS, "leaseids", lease_ids, since)
        return self._rents_since(since)

    def _rents_since(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Rents changed since `since`, in windows of at most `RENT_RANGE`, the last one
        open-ended. Both ends are inclusive, so a rent stamped on an edge is read twice
        and yielded once."""
        now = datetime.now(timezone.utc)
        starts = [since]
        while now - starts[-1] > RENT_RANGE:
            starts.append(starts[-1] + RENT_RANGE)
        closed = [self.records(RENTS, since=start, params=[("lastupdatedto", iso_seconds(end))])
                  for start, end in zip(starts, starts[1:])]
        return unique(*closed, self.records(RENTS, since=starts[-1]))
