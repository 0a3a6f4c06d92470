"""The sandbox's data: one `AgencyStore` per agency, holding Buildium records as the API
returns them, plus the hidden last-updated time each collection is filtered on.

Most Buildium messages do not carry their own last-updated time (only leases and rents
do), yet every endpoint filters on `lastupdatedfrom`; so the store keeps that time beside
each record and mirrors it into `LastUpdatedDateTime` where the message has the field.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pms_pipelines.integrations.kit.sandbox_server import parse_time

# The endpoint each collection is served from; a fixture file uses these paths as keys.
COLLECTIONS: dict[str, str] = {
    "rentals": "/v1/rentals",
    "units": "/v1/rentals/units",
    "owners": "/v1/rentals/owners",
    "tenants": "/v1/leases/tenants",
    "leases": "/v1/leases",
    "rents": "/v1/leases/rent",
}
HAS_LAST_UPDATED = {"leases", "rents"}
# Records of a fixture without their own timestamp count as updated at this fixed time,
# so fixture pulls are reproducible.
FIXTURE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)

Record = dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AgencyStore:
    agency_id: str
    client_id: str
    client_secret: str = field(repr=False)
    records: dict[str, dict[int, Record]] = field(
        default_factory=lambda: {name: {} for name in COLLECTIONS})
    updated: dict[tuple[str, int], datetime] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    next_id: int = 1

    def put(self, collection: str, record: Record, at: datetime) -> Record:
        """Insert or replace a record and stamp it as changed at `at`."""
        with self.lock:
            if collection in HAS_LAST_UPDATED:
                record["LastUpdatedDateTime"] = iso(at)
            self.records[collection][record["Id"]] = record
            self.updated[(collection, record["Id"])] = at
            self.next_id = max(self.next_id, record["Id"] + 1)
            return record

    def remove(self, collection: str, record_id: int) -> None:
        with self.lock:
            self.records[collection].pop(record_id, None)
            self.updated.pop((collection, record_id), None)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id - 1

    def select(
        self, collection: str, *, since: datetime | None = None, until: datetime | None = None,
        where: Any = None,
    ) -> list[Record]:
        """Records in id order, filtered like Buildium's lastupdatedfrom/lastupdatedto."""
        with self.lock:
            return [copy.deepcopy(r) for r in self._matching(collection, since, until, where)]

    def page_json(
        self, collection: str, offset: int, limit: int, *, since: datetime | None = None,
        until: datetime | None = None, where: Any = None,
    ) -> tuple[bytes, int]:
        """One page of what `select` returns as the response body, and how many records
        that is in all (X-Total-Count). Encoded under the lock, so nothing is copied and
        paging a big collection is not quadratic."""
        with self.lock:
            matching = self._matching(collection, since, until, where)
            return json.dumps(matching[offset:offset + limit]).encode(), len(matching)

    def _matching(self, collection: str, since: datetime | None, until: datetime | None,
                  where: Any) -> list[Record]:
        out = []
        for record_id in sorted(self.records[collection]):
            at = self.updated[(collection, record_id)]
            if since is not None and at < since:
                continue
            if until is not None and at > until:
                continue
            record = self.records[collection][record_id]
            if where is None or where(record):
                out.append(record)
        return out


def load_fixture(store: AgencyStore, path: str | Path) -> AgencyStore:
    """Fill a store from a JSON file keyed by endpoint path, each value being exactly that
    endpoint's response body (a JSON array of Buildium messages)."""
    document = json.loads(Path(path).read_text())
    unknown = set(document) - set(COLLECTIONS.values()) - {"_comment"}
    if unknown:
        raise ValueError(f"fixture {path}: unknown endpoints {sorted(unknown)}")
    for collection, endpoint in COLLECTIONS.items():
        for record in document.get(endpoint, []):
            stamp = record.get("LastUpdatedDateTime")
            store.put(collection, copy.deepcopy(record),
                      parse_time(stamp) if stamp else FIXTURE_TIME)
    return store
