"""The REST client every integration uses: auth, paging, incremental filter, rate limit.

An integration declares `Resource`s (path, paginator, incremental parameter and its
format); `RestClient.records(resource, since=...)` yields the records of every page,
through the kit's one retry policy and the provider's rate limit, refreshing a token
once when the API answers 401. With `read_ahead` the next page is fetched in a thread
while the caller maps the current one; each page is reported to `progress` as a
`PageRead` (the caller decides how often to log). A provider whose pages never end, or
whose 200 holds no record list, fails the read with a `PmsApiError` like any failed call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pms_pipelines.integrations.kit.auth import Auth
from pms_pipelines.integrations.kit.errors import PmsApiError
from pms_pipelines.integrations.kit.http import ApiSender, RetryPolicy, shared_bucket
from pms_pipelines.integrations.kit.ledger import PullLedger
from pms_pipelines.integrations.kit.vendor_errors import OAUTH_ERROR, ErrorFields
from pms_pipelines.integrations.kit.paging import (
    EndlessPaging, PageRead, Paginator, Params, Record, Unpaged, UnexpectedBody,
)
from pms_pipelines.read_ahead import read_ahead

# A list element that is not a JSON object is yielded as a record holding it under this
# key alone: it has no id, reaches the feed like any record, and `to_event` keeps it as a
# rejection ("record is not a JSON object") with its value, never a crash or a loss.
NOT_AN_OBJECT = "__not_an_object__"


def iso_seconds(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC, floored to the second: re-reading a record is
    harmless (the consumer's version rule), missing one is not."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Resource:
    """One collection of the provider's API."""

    path: str
    paginator: Paginator = field(default_factory=Unpaged)
    since_param: str | None = None  # the provider's incremental filter; None: always full
    since_format: Callable[[datetime], str] = iso_seconds
    params: tuple[tuple[str, Any], ...] = ()
    # The canonical entities its records are (kit/ledger.py); empty for a look-up only.
    holds: tuple[str, ...] = ()
    # The vendor's archive flag: (parameter, value for live records, value for gone
    # ones), always sent, never left to the vendor's default (`RestClient.changed`).
    live_filter: tuple[str, str, str] | None = None


class RestClient:
    """Reads one agency's collections from one provider."""

    def __init__(
        self, base_url: str, auth: Auth, credentials: Mapping[str, str], *,
        rate_limit_per_s: float | None = None, rate_key: str | None = None,
        policy: RetryPolicy = RetryPolicy(), progress: Callable[[PageRead], None] | None = None,
        read_ahead: bool = False, error_schemas: tuple[ErrorFields, ...] = (OAUTH_ERROR,),
        secrets: tuple[str, ...] = (), page_size: int | None = None,
    ) -> None:
        """`rate_key`: whom the vendor's rate limit counts (an API key, an application),
        shared by every client of it in this process; `secrets`: values never to appear
        in an error text beyond the credentials' own; `page_size`: at most this many
        records a page (tests), never more than a resource's paging asks for."""
        limiter = shared_bucket(base_url, rate_key, rate_limit_per_s)
        self.sender = ApiSender(base_url, {}, secrets=secrets, policy=policy, limiter=limiter,
                                error_schemas=error_schemas)
        self.page_size = page_size
        self.auth = auth
        self.credentials = credentials
        self.progress = progress
        # Only for stateless auth (fixed headers): a token refresh is not thread-safe.
        self.read_ahead = read_ahead
        self.ledger = PullLedger()  # a pull puts its request's ledger here

    def __repr__(self) -> str:
        return f"RestClient({self.sender.base_url!r})"

    def get(self, path: str, params: Params | None = None) -> Any:
        """One authenticated GET; a 401 gets one retry with a fresh token."""
        try:
            return self._get(path, params)
        except PmsApiError as error:
            if error.status == 401 and self.auth.invalidate():
                return self._get(path, params)
            raise

    def _get(self, path: str, params: Params | None) -> tuple[Any, Mapping[str, str]]:
        headers = self.auth.headers(self.sender, self.credentials)
        return self.sender.get_json(path, params, headers=headers)

    def record(self, resource: Resource, **path_args: Any) -> Any:
        """The one record at `resource`'s path (e.g. `/v1/leases/{lease_id}`)."""
        body, _ = self.get(resource.path.format(**path_args))
        self.ledger.count_read(resource.holds, 1)
        return body if isinstance(body, dict) else {NOT_AN_OBJECT: body}

    def records(
        self, resource: Resource, *, since: datetime | None = None,
        params: Params = (), path_args: Mapping[str, Any] | None = None,
    ) -> Iterator[Record]:
        """Every record of `resource` (changed since `since`, when given and supported);
        each a dict (`NOT_AN_OBJECT`)."""
        path = resource.path.format(**(path_args or {}))
        query: Params = [*resource.params, *params]
        if since is not None and resource.since_param:
            query.append((resource.since_param, resource.since_format(since)))
        paginator = resource.paginator
        if self.page_size is not None:
            paginator = paginator.sized(self.page_size)
        pages = paginator.pages(lambda p: self.get(path, p), query)
        if self.read_ahead:
            pages = read_ahead(pages, f"read-ahead {path}")
        count = records = 0
        try:
            for page, total in pages:
                count, records = count + 1, records + len(page)
                self.ledger.count_read(resource.holds, len(page))
                if self.progress is not None:
                    self.progress(PageRead(path, count, records, total, len(page)))
                yield from (r if isinstance(r, dict) else {NOT_AN_OBJECT: r} for r in page)
        except (EndlessPaging, UnexpectedBody) as error:
            raise PmsApiError(method="GET", path=path, status=200, message=str(error),
                              attempts=1) from None

    @staticmethod
    def live(resource: Resource, gone: bool = False) -> Params:
        """The query naming live records of `resource` (or, with `gone`, archived or
        deactivated ones); none where the vendor has no archive flag."""
        if resource.live_filter is None:
            return []
        name, live, archived = resource.live_filter
        return [(name, archived if gone else live)]

    def changed(self, resource: Resource, since: datetime | None
                ) -> Iterator[tuple[Record, bool]]:
        """(record, gone) pairs: a full read sees live records only; an incremental one of
        a resource with an archive flag also sees what was archived since."""
        flagged = since is not None and resource.live_filter is not None
        for gone in (False, True) if flagged else (False,):
            for record in self.records(resource, since=since, params=self.live(resource, gone)):
                yield record, gone

    def found(self, resource: Resource, arg: str, ids: Iterable[Any],
              valid: Callable[[Any], bool] = lambda i: i != "") -> Iterator[Record]:
        """The record at `resource`'s item path for each id (`arg` names it in the path),
        one request each; an id the vendor does not know (404) or would refuse (not
        `valid`) has no record: a targeted pull publishes nothing for it, and the next
        full pull finds whether it was deleted."""
        for record_id in sorted({i for i in ids if valid(i)}, key=str):
            try:
                yield self.record(resource, **{arg: record_id})
            except PmsApiError as error:
                if error.status != 404:
                    raise

    def by_ids(
        self, resource: Resource, name: str, ids: Iterable[Any], per_request: int, *,
        since: datetime | None = None, params: Params = (),
        valid: Callable[[Any], bool] = lambda i: isinstance(i, str) and i != "",
    ) -> Iterator[Record]:
        """The records of `resource` with these ids, asked for `per_request` at a time as
        the repeated parameter `name` (`propertyids=1&propertyids=2`); none for no ids.
        An id that is not `valid` (a malformed reference the API would refuse) is not
        asked for: its record is not found, as for an id the vendor does not know."""
        ordered = sorted({i for i in ids if valid(i)}, key=str)
        for start in range(0, len(ordered), per_request):
            chunk = [(name, i) for i in ordered[start:start + per_request]]
            yield from self.records(resource, since=since, params=[*params, *chunk])
