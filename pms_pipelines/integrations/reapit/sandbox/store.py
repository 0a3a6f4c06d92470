"""The sandbox's data: one `CustomerStore` per Reapit customer (one agency), holding
records as the platform returns them, keyed by their string ids.

Ids are unique per customer only, as Reapit documents: two customers may both hold a
property `OXF240001`. Each record's `modified` stamp is kept as a datetime beside it for
the `modifiedFrom` filter and rendered into the record the way Reapit writes times.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# The endpoint each collection is served from; a fixture file uses these paths as keys.
COLLECTIONS: dict[str, str] = {
    "properties": "/properties/",
    "landlords": "/landlords/",
    "contacts": "/contacts/",
    "tenancies": "/tenancies/",
}
# Fixture records without a `modified` stamp count as changed at this fixed time.
FIXTURE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)

Record = dict[str, Any]


def reapit_time(moment: datetime) -> str:
    """Reapit's UTC stamps carry seven fractional digits: `2019-06-23T12:30:12.0000000Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def parse_time(value: str) -> datetime:
    # Python 3.11 reads Reapit's seven fractional digits (and rounds them to six).
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time needs a zone designator")
    return moment


@dataclass
class CustomerStore:
    agency_id: str
    customer_id: str
    client_id: str
    records: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {name: {} for name in COLLECTIONS})
    modified: dict[tuple[str, str], datetime] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    sequence: int = 0

    def put(self, collection: str, record: Record, at: datetime) -> Record:
        """Insert or replace a record and stamp it as modified at `at`."""
        with self.lock:
            record["modified"] = reapit_time(at)
            record.setdefault("created", record["modified"])
            record.setdefault("_links", {"self": {"href": f"{COLLECTIONS[collection]}{record['id']}"}})
            self.records[collection][record["id"]] = record
            self.modified[(collection, record["id"])] = at
            return record

    def new_id(self, office: str, year: int = 24) -> str:
        """Reapit style: office code, two-digit year, sequence (`OXF240012`)."""
        with self.lock:
            self.sequence += 1
            return f"{office}{year:02d}{self.sequence:04d}"

    def select(self, collection: str, *, since: datetime | None = None,
               strictly_after: bool = False, until: datetime | None = None,
               where: Callable[[Record], bool] | None = None) -> list[Record]:
        """Records in id order, filtered like `modifiedFrom`/`modifiedTo`."""
        with self.lock:
            out = []
            for record_id in sorted(self.records[collection]):
                at = self.modified[(collection, record_id)]
                if since is not None and (at <= since if strictly_after else at < since):
                    continue
                if until is not None and at > until:
                    continue
                record = self.records[collection][record_id]
                if where is None or where(record):
                    out.append(copy.deepcopy(record))
            return out


def load_fixture(store: CustomerStore, path: str | Path) -> CustomerStore:
    """Fill a store from a JSON file keyed by endpoint path, each value the `_embedded`
    list of that endpoint's response (contacts as served with `embed=relationships`)."""
    document = json.loads(Path(path).read_text())
    unknown = set(document) - set(COLLECTIONS.values()) - {"_comment"}
    if unknown:
        raise ValueError(f"fixture {path}: unknown endpoints {sorted(unknown)}")
    for collection, endpoint in COLLECTIONS.items():
        for record in document.get(endpoint, []):
            stamp = record.get("modified")
            store.put(collection, copy.deepcopy(record),
                      parse_time(stamp) if stamp else FIXTURE_TIME)
    return store
