"""The sandbox's data: one `AgencyStore` per agency (one Propertyware organization),
holding records exactly as the API returns them. Every Propertyware record carries its
own `lastModifiedDateTime`, which is what `lastModifiedDateTimeStart/End` filter on."""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable


# The endpoint each collection is served from (under the API's /pw/api/rest/v1 prefix);
# a fixture file uses these paths as keys.
COLLECTIONS: dict[str, str] = {
    "buildings": "/buildings",
    "units": "/units",
    "portfolios": "/portfolios",
    "contacts": "/contacts",
    "leases": "/leases",
}
# Records of a fixture without their own stamp count as modified at this fixed time,
# so fixture pulls are reproducible.
FIXTURE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)

Record = dict[str, Any]


def iso(moment: datetime) -> str:
    """Propertyware's `YYYY-MM-dd'T'HH:mm:ssXXX`, in UTC."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AgencyStore:
    agency_id: str
    client_id: str
    client_secret: str = field(repr=False)
    system_id: str = ""
    records: dict[str, dict[int, Record]] = field(
        default_factory=lambda: {name: {} for name in COLLECTIONS})
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    next_id: int = 1

    def put(self, collection: str, record: Record, at: datetime | None = None) -> Record:
        """Insert or replace a record; with `at`, stamp it modified then (as Propertyware
        does on every save)."""
        with self.lock:
            if at is not None:
                record["lastModifiedDateTime"] = iso(at)
                record.setdefault("createdDateTime", iso(at))
                record["lastModifiedBy"] = "Sandbox User"
            self.records[collection][record["id"]] = record
            self.next_id = max(self.next_id, record["id"] + 1)
            return record

    def remove(self, collection: str, record_id: int) -> None:
        with self.lock:
            self.records[collection].pop(record_id, None)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id - 1

    def select(self, collection: str, where: Callable[[Record], bool]) -> list[Record]:
        """Matching records in id order, as copies (a response must not alias the store)."""
        with self.lock:
            return [copy.deepcopy(r) for _, r in sorted(self.records[collection].items())
                    if where(r)]


def load_fixture(store: AgencyStore, path: str | Path) -> AgencyStore:
    """Fill a store from a JSON file keyed by endpoint path, each value being exactly that
    endpoint's response body (a JSON array of Propertyware records)."""
    document = json.loads(Path(path).read_text())
    unknown = set(document) - set(COLLECTIONS.values()) - {"_comment"}
    if unknown:
        raise ValueError(f"fixture {path}: unknown endpoints {sorted(unknown)}")
    for collection, endpoint in COLLECTIONS.items():
        for record in document.get(endpoint, []):
            record = copy.deepcopy(record)
            record.setdefault("lastModifiedDateTime", iso(FIXTURE_TIME))
            store.put(collection, record)
    return store
